import RefineryCore

/// Another agent a ``ToolLoop`` may hand the conversation over to, offered to the model as a
/// tool named `transfer_to_<agent name>`. When the model calls it, the loop ends and the agent
/// answers the conversation within the loop's time left; its answer becomes the loop's, and its
/// steps nest under the loop's record and span.
///
/// ```swift
/// let billing = Agent(name: "billing", instructions: "You answer billing questions.", model: model)
/// let triage = ToolLoop(tools: tools, handoffs: [Handoff(to: billing, description: "Billing and invoices.")])
/// ```
public struct Handoff: Sendable {
    /// The agent that takes over.
    public let agent: Agent
    /// When to hand over, as the model is told.
    public let description: String

    /// A handoff to `agent` for what `description` says.
    public init(to agent: Agent, description: String) {
        self.agent = agent
        self.description = description
    }

    /// The tool name the model calls (`transfer_to_` and the agent's name, made a valid tool name).
    public var toolName: String {
        let name = "transfer_to_" + agent.name.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" ? $0 : "_" }
        return String(name.prefix(64))
    }

    /// What the model is told about the handoff.
    public var definition: ToolDefinition {
        ToolDefinition(
            name: toolName, description: "Hand the conversation over to \(agent.name): \(description)",
            parameters: JSONSchema.object([.optional("note", JSONSchema.string(description: "What the next agent should know"))]))
    }

    /// The conversation as the agent taking over reads it: the user's turns, then the note.
    static func conversation(_ transcript: [ChatMessage], note: String?) -> String {
        let user = transcript.filter { $0.role == .user }.map(\.content)
        var text = user.joined(separator: "\n\n")
        if let note, !note.isEmpty { text += "\n\n(Note from the previous agent: \(note))" }
        return text
    }
}
