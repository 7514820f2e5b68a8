import Foundation

/// Mistral: `[TOOL_CALLS][{"name": …, "arguments": {…}}, …]` (v0.3 templates), or the newer
/// `[TOOL_CALLS]name[ARGS]{…}` per call.
public struct MistralToolCallFormat: ToolCallFormat {
    public init() {}

    public var name: String { "mistral" }
    public var callOpening: String { "[TOOL_CALLS]" }
    public var callClosing: String { "" }

    /// A non-empty array of calls.
    public func callSchema(for tools: [ToolDefinition]) -> JSONValue { ToolCallSchema.callList(for: tools) }

    /// Mistral's templates list tools as `[AVAILABLE_TOOLS][…][/AVAILABLE_TOOLS]`.
    public func systemPrompt(for tools: [ToolDefinition]) -> String {
        "[AVAILABLE_TOOLS]" + JSONValue.array(tools.map(\.functionJSON)).serialized(.python) + "[/AVAILABLE_TOOLS]"
    }

    public func render(_ calls: [ToolCall]) -> String {
        let list = JSONValue.array(calls.map { .object([("name", .string($0.name)), ("arguments", $0.arguments)]) })
        return callOpening + list.serialized(.python)
    }

    public func parse(_ output: String) -> ParsedToolCalls {
        guard let open = output.range(of: callOpening) else {
            return ParsedToolCalls(content: output.trimmingWhitespace(), calls: [])
        }
        let content = output[..<open.lowerBound].trimmingWhitespace()
        var rest = output[open.upperBound...]
        var calls: [ToolCall] = []
        var malformed: [String] = []
        if rest.drop(while: \.isWhitespace).hasPrefix("[") {
            if let (value, tail) = JSONSpans.leading(in: rest), case .array(let items) = value {
                for item in items {
                    if let call = ToolCall.fromJSON(item, id: "call_\(calls.count)") { calls.append(call) } else { malformed.append(item.serialized()) }
                }
                let leftover = tail.trimmingWhitespace()
                if !leftover.isEmpty { malformed.append(leftover) }
            } else {
                malformed.append(rest.trimmingWhitespace())
            }
            return ParsedToolCalls(content: content, calls: calls, malformed: malformed)
        }
        // `name[ARGS]{…}` repeated, each optionally after another [TOOL_CALLS].
        while !rest.isEmpty {
            rest = rest.drop(while: \.isWhitespace)
            if rest.hasPrefix(callOpening) { rest = rest.dropFirst(callOpening.count) }
            guard let args = rest.range(of: "[ARGS]") else {
                if !rest.isEmpty { malformed.append(rest.trimmingWhitespace()) }
                break
            }
            let name = rest[..<args.lowerBound].trimmingWhitespace()
            guard let (value, tail) = JSONSpans.leading(in: rest[args.upperBound...]), case .object = value, ToolDefinition.isValidName(name) else {
                malformed.append(rest.trimmingWhitespace())
                break
            }
            calls.append(ToolCall(id: "call_\(calls.count)", name: name, arguments: value))
            rest = tail
        }
        return ParsedToolCalls(content: content, calls: calls, malformed: malformed)
    }
}
