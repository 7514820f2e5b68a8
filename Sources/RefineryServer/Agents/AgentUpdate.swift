import RefineryCore

/// What an agent run reports while it works: its hidden work as text, then its reply.
///
/// The server sends each ``reasoning(_:)`` text to the client as it arrives, as the
/// `reasoning_content` of a chunk (the field llama.cpp's server, vLLM and DeepSeek use for a
/// model's thinking), so a client sees the plans and steps before the answer.
public enum AgentUpdate: Sendable {
    /// A piece of the run's hidden work: a plan made, a step finished.
    case reasoning(String)
    /// The run's reply; always the last update.
    case finished(AgentReply)
}
