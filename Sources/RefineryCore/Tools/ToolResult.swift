
/// How one tool call ended.
public struct ToolResult: Sendable {
    /// The call as the model made it.
    public let call: ToolCall
    /// The tool's output, or why there is none.
    public let outcome: Result<ToolOutput, ToolError>
    /// Wall-clock time from start to outcome.
    public let duration: Duration

    public init(call: ToolCall, outcome: Result<ToolOutput, ToolError>, duration: Duration) {
        self.call = call
        self.outcome = outcome
        self.duration = duration
    }

    /// The text the model reads: the output, or `error: …` saying what went wrong.
    public var content: String {
        switch outcome {
        case .success(let output): return output.content
        case .failure(let error): return "error: \(error.message)"
        }
    }

    /// Whether the tool produced an output.
    public var succeeded: Bool {
        if case .success = outcome { return true }
        return false
    }

    /// The error, when the call did not produce an output.
    public var error: ToolError? {
        if case .failure(let e) = outcome { return e }
        return nil
    }

    /// The `tool` message that answers the call.
    public var message: ChatMessage { .tool(content, callID: call.id, name: call.name) }
}
