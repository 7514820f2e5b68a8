/// Separates a local model's tool calls from its text, so a ``LocalModel`` reports them as
/// ``GenerationEvent/toolCallDelta(_:)`` events as remote models do.
///
/// Text streams through until it could be the start of a call (any of the constraint's
/// openings); from the first opening on, everything is held and, when the generation ends,
/// parsed into calls (the constraint made them parse) and the text around them.
import RefineryCore
import Foundation

struct LocalToolCallSplitter {
    let openings: [String]
    let format: any ToolCallFormat
    let toolNames: Set<String>
    /// Text not yet passed on: a tail that may begin an opening, or everything from the first call.
    private var held = ""
    private var heldTokens: [Int32] = []
    private var inCalls = false

    /// `startsInCall`: the output must begin with a call (tool choice `required` or a named tool).
    init(openings: [String], format: any ToolCallFormat, toolNames: Set<String>, startsInCall: Bool) {
        self.openings = openings.filter { !$0.isEmpty }
        self.format = format
        self.toolNames = toolNames
        inCalls = startsInCall
    }

    /// Takes generated text; returns the part that is certainly not a call.
    mutating func feed(_ text: String, tokens: [Int32]) -> (text: String, tokens: [Int32]) {
        held += text
        heldTokens += tokens
        if inCalls { return ("", []) }
        if let start = openings.compactMap({ held.range(of: $0)?.lowerBound }).min() {
            inCalls = true
            let free = String(held[..<start])
            held = String(held[start...])
            return (free, [])
        }
        // Keep back the longest tail that could still grow into an opening.
        var keep = 0
        for opening in openings {
            for length in stride(from: min(opening.count - 1, held.count), to: 0, by: -1)
            where held.hasSuffix(opening.prefix(length)) {
                keep = max(keep, length)
                break
            }
        }
        let cut = held.index(held.endIndex, offsetBy: -keep)
        let free = String(held[..<cut])
        held = String(held[cut...])
        let ids = heldTokens
        heldTokens = []
        return (free, ids)
    }

    /// At the end: the rest of the text and the calls found in what was held.
    mutating func finish() -> (text: String, tokens: [Int32], calls: [ToolCall]) {
        defer {
            held = ""
            heldTokens = []
        }
        guard inCalls else { return (held, heldTokens, []) }
        let parsed = ToolCallFormats.parseLeniently(held, format: format, toolNames: toolNames)
        if parsed.calls.isEmpty { return (held, heldTokens, []) }
        return (parsed.content, heldTokens, parsed.calls)
    }
}
