import Foundation

/// Llama 3.1 / 3.2 JSON tool calling: the reply is `{"name": …, "parameters": {…}}` (several
/// calls separated by `;`), optionally after `<|python_tag|>`.
public struct Llama3ToolCallFormat: ToolCallFormat {
    public init() {}

    public var name: String { "llama3" }
    /// Llama 3 opens a call with the JSON object itself.
    public var callOpening: String { "{\"name\": " }
    public var callClosing: String { "" }

    /// The whole call object, `parameters` holding the arguments. The engine constrains from the
    /// object's first byte, so the schema covers the opening text too.
    public func callSchema(for tools: [ToolDefinition]) -> JSONValue {
        ToolCallSchema.call(for: tools, argumentsKey: "parameters")
    }

    /// The instructions Llama 3.1's template gives in the user turn when tools are present.
    public func systemPrompt(for tools: [ToolDefinition]) -> String {
        var text = "Given the following functions, please respond with a JSON for a function call with its proper arguments "
        text += "that best answers the given prompt.\n\n"
        text += "Respond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}. "
        text += "Do not use variables.\n\n"
        for tool in tools { text += tool.functionJSON.serialized(JSONFormatting(indent: 4, itemSeparator: ",", keySeparator: ": ")) + "\n\n" }
        return text
    }

    public func render(_ calls: [ToolCall]) -> String {
        calls.map { call in
            JSONValue.object([("name", .string(call.name)), ("parameters", call.arguments)]).serialized(.python)
        }.joined(separator: "; ")
    }

    public func parse(_ output: String) -> ParsedToolCalls {
        var text = Substring(output)
        if let tag = text.range(of: "<|python_tag|>") { text = text[tag.upperBound...] }
        let trimmed = text.trimmingWhitespace()
        // A reply that does not start with an object is an answer, not a call.
        guard trimmed.hasPrefix("{") else { return ParsedToolCalls(content: output.trimmingWhitespace(), calls: []) }
        var calls: [ToolCall] = []
        var rest = Substring(trimmed)
        while let (value, tail) = JSONSpans.leading(in: rest) {
            guard let call = ToolCall.fromJSON(value, id: "call_\(calls.count)") else {
                return ParsedToolCalls(content: "", calls: calls, malformed: [String(rest).trimmingWhitespace()])
            }
            calls.append(call)
            rest = tail.drop(while: { $0.isWhitespace || $0 == ";" })
        }
        let leftover = rest.trimmingWhitespace()
        return ParsedToolCalls(content: "", calls: calls, malformed: leftover.isEmpty ? [] : [leftover])
    }
}
