/// Preparing a conversation with tools for a chat template that does not handle tools itself.
///
/// Templates that render `tools`, `tool_calls` and the `tool` role (Qwen 2.5, Llama 3.1, Mistral)
/// get the conversation as it is. For the others, this rewrites it into plain turns the
/// template can render: the format's tool instructions join the system prompt, an assistant's
/// calls become text in the format's syntax, and tool results become user turns wrapped in
/// `<tool_response>` tags naming the tool.
public enum ToolPrompting {
    /// `messages` ready for a template that knows nothing of tools.
    public static func plainMessages(_ messages: [ChatMessage], tools: [ToolDefinition], format: any ToolCallFormat) -> [ChatMessage] {
        var out: [ChatMessage] = []
        if !tools.isEmpty {
            let instructions = format.systemPrompt(for: tools)
            if let first = messages.first, first.role == .system {
                out.append(.system(first.content.isEmpty ? instructions : first.content + "\n\n" + instructions))
            } else {
                out.append(.system(instructions))
            }
        }
        for (i, message) in messages.enumerated() {
            if i == 0 && message.role == .system && !tools.isEmpty { continue }
            switch message.role {
            case .assistant where !message.toolCalls.isEmpty:
                let calls = format.render(message.toolCalls)
                out.append(.assistant(message.content.isEmpty ? calls : message.content + "\n" + calls))
            case .tool:
                let response = "<tool_response>\n" + (message.name.map { "\($0): " } ?? "") + message.content + "\n</tool_response>"
                // Consecutive results share one user turn, as they answer one assistant turn.
                if let last = out.last, last.role == .user, last.content.hasPrefix("<tool_response>") {
                    out[out.count - 1].content += "\n" + response
                } else {
                    out.append(.user(response))
                }
            default:
                out.append(message)
            }
        }
        return out
    }
}
