import RefineryCore
import Refinery
import Foundation
import RefineryInference

/// The calls read from one model output, and whether it held a call attempt that did not parse.
public struct BFCLDecodedOutput: Sendable, Hashable {
    /// The calls, in output order.
    public var calls: [ToolCall]
    /// Text that opened a call (a template tag, a ```json fence, or a JSON object with a
    /// `name` key) but did not yield one.
    public var malformed: [String]

    /// Creates a decoded output.
    public init(calls: [ToolCall], malformed: [String] = []) {
        self.calls = calls
        self.malformed = malformed
    }

    /// Whether the model tried to call a function and the call could not be read: a format error.
    public var unparseable: Bool { !malformed.isEmpty }
}

/// Reads function calls out of a model's output, as leniently as is still unambiguous, the same
/// way for constrained and unconstrained runs so that a comparison measures the constraint and
/// not the parser: the template's own call syntax, then another family's tags, then fenced or
/// bare JSON shaped like a call (see ``ToolCallFormats/parseLeniently(_:format:toolNames:)``).
/// Calls a model reports as tool-call deltas are taken from the deltas.
///
/// An output that opened a call without producing a readable one is *unparseable*: a tag whose
/// body is not a call object, a ```json fence, or a `{…"name"…` object that does not parse.
public enum BFCLOutputDecoder {
    /// Decodes `text` (and any tool-call `deltas`) in `format`.
    public static func decode(text: String, deltas: [ToolCallDelta] = [], format: any ToolCallFormat) -> BFCLDecodedOutput {
        if !deltas.isEmpty { return assemble(deltas) }
        let parsed = ToolCallFormats.parseLeniently(text, format: format)
        if !parsed.calls.isEmpty || !parsed.malformed.isEmpty {
            return BFCLDecodedOutput(calls: parsed.calls, malformed: parsed.malformed)
        }
        if let attempt = unreadableAttempt(in: text) { return BFCLDecodedOutput(calls: [], malformed: [attempt]) }
        return BFCLDecodedOutput(calls: [])
    }

    /// The calls described by streamed deltas, assembled by the ``ToolCallAssembler``; a call
    /// without a name or whose arguments are not a JSON object is malformed.
    static func assemble(_ deltas: [ToolCallDelta]) -> BFCLDecodedOutput {
        var assembler = ToolCallAssembler()
        for delta in deltas { assembler.add(delta) }
        var calls: [ToolCall] = []
        var malformed: [String] = []
        for assembled in assembler.assembled() {
            if assembled.problem == nil, !assembled.call.name.isEmpty {
                calls.append(
                    ToolCall(id: "call_\(calls.count)", name: assembled.call.name, arguments: assembled.call.arguments))
            } else {
                let arguments = assembled.call.arguments.stringValue ?? assembled.call.arguments.serialized()
                malformed.append(assembled.call.name + arguments)
            }
        }
        return BFCLDecodedOutput(calls: calls, malformed: malformed)
    }

    /// A call attempt that no parser could read: a ```json fence, or an object that names a
    /// function (`"name"` or `'name'` right after a `{`) — returned from its start.
    static func unreadableAttempt(in text: String) -> String? {
        if let fence = text.range(of: "```json", options: .caseInsensitive) {
            return String(text[fence.lowerBound...]).trimmingWhitespace()
        }
        var index = text.startIndex
        while let brace = text[index...].firstIndex(of: "{") {
            let after = text[text.index(after: brace)...].drop(while: { $0.isWhitespace })
            if after.hasPrefix("\"name\"") || after.hasPrefix("'name'") || after.hasPrefix("\"function\"") {
                return String(text[brace...]).trimmingWhitespace()
            }
            index = text.index(after: brace)
        }
        return nil
    }
}
