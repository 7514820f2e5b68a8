import Foundation

/// For chat templates that know nothing of tools: the tools and the call syntax are described
/// in the system prompt, and calls are written as `<tool_call>{"name": …, "arguments": {…}}</tool_call>`.
public struct PromptedToolCallFormat: ToolCallFormat {
    public init() {}

    public var name: String { "prompted" }
    public var callOpening: String { "<tool_call>" }
    public var callClosing: String { "</tool_call>" }

    public func callSchema(for tools: [ToolDefinition]) -> JSONValue { ToolCallSchema.call(for: tools) }

    public func systemPrompt(for tools: [ToolDefinition]) -> String {
        var text = "You can call these tools. Each is described by a JSON schema of its arguments:\n\n"
        for tool in tools {
            text += "- \(tool.name): \(tool.description)\n  arguments: \(ToolCallSchema.argumentsSchema(tool.parameters).serialized(.python))\n"
        }
        text += "\nTo call a tool, reply with exactly one line per call, and nothing else:\n"
        text += "<tool_call>{\"name\": \"TOOL_NAME\", \"arguments\": {ARGUMENTS}}</tool_call>\n"
        text += "Each call's result comes back in a message from the tool. If no tool is needed, answer directly."
        return text
    }

    public func render(_ calls: [ToolCall]) -> String {
        calls.map { call in
            callOpening + JSONValue.object([("name", .string(call.name)), ("arguments", call.arguments)]).serialized(.python) + callClosing
        }.joined(separator: "\n")
    }

    public func parse(_ output: String) -> ParsedToolCalls {
        TaggedCalls.parse(output, open: callOpening, close: callClosing)
    }
}
