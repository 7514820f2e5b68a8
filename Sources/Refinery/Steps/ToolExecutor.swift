import RefineryCore
/// The minimal tool interface a ``ToolLoop`` needs: what to tell the model, and how to run a call.
///
/// Kept deliberately small so the tool layer (typed `Tool`s, validation, sandboxing, MCP) can
/// conform to it without the agent layer depending on its details. An executor never throws:
/// errors, timeouts and invalid arguments come back as text the model reads.
public protocol ToolExecutor: Sendable {
    /// The tools offered to the model.
    var definitions: [ToolDefinition] { get }

    /// Runs `call` and returns what the model sees as the tool's result, by `deadline` at the latest.
    func execute(_ call: ToolCall, deadline: Deadline) async -> String
}
