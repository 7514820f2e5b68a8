import Foundation

/// Qwen 2.5 / Hermes: each call is `<tool_call>\n{"name": …, "arguments": {…}}\n</tool_call>`.
public struct HermesToolCallFormat: ToolCallFormat {
    public init() {}

    public var name: String { "hermes" }
    public var callOpening: String { "<tool_call>\n" }
    public var callClosing: String { "\n</tool_call>" }

    public func callSchema(for tools: [ToolDefinition]) -> JSONValue { ToolCallSchema.call(for: tools) }

    /// The system-prompt section Qwen 2.5's template writes for tools.
    public func systemPrompt(for tools: [ToolDefinition]) -> String {
        var text = "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
        text += "You are provided with function signatures within <tools></tools> XML tags:\n<tools>"
        for tool in tools { text += "\n" + tool.functionJSON.serialized(.python) }
        text += "\n</tools>\n\nFor each function call, return a json object with function name and arguments within "
        text += "<tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>"
        return text
    }

    public func render(_ calls: [ToolCall]) -> String {
        calls.map { call in
            let json: JSONValue = .object([("name", .string(call.name)), ("arguments", call.arguments)])
            return callOpening + json.serialized(.python) + callClosing
        }.joined(separator: "\n")
    }

    public func parse(_ output: String) -> ParsedToolCalls {
        TaggedCalls.parse(output, open: "<tool_call>", close: "</tool_call>")
    }
}

/// Parsing for formats that wrap each call's JSON in an opening and a closing tag.
enum TaggedCalls {
    static func parse(_ output: String, open: String, close: String) -> ParsedToolCalls {
        var content = ""
        var calls: [ToolCall] = []
        var malformed: [String] = []
        var rest = Substring(output)
        while let openRange = rest.range(of: open) {
            content += rest[..<openRange.lowerBound]
            let afterOpen = rest[openRange.upperBound...]
            let body: Substring
            if let closeRange = afterOpen.range(of: close) {
                body = afterOpen[..<closeRange.lowerBound]
                rest = afterOpen[closeRange.upperBound...]
            } else {
                // An unclosed last call (generation stopped at the end of the JSON).
                body = afterOpen
                rest = ""
            }
            if let (value, tail) = JSONSpans.leading(in: body), tail.allSatisfy(\.isWhitespace),
               let call = ToolCall.fromJSON(value, id: "call_\(calls.count)")
            {
                calls.append(call)
            } else {
                malformed.append(String(body).trimmingWhitespace())
            }
        }
        content += rest
        return ParsedToolCalls(content: content.trimmingWhitespace(), calls: calls, malformed: malformed)
    }
}

extension StringProtocol {
    package func trimmingWhitespace() -> String {
        guard let first = firstIndex(where: { !$0.isWhitespace }), let last = lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return String(self[first...last])
    }
}
