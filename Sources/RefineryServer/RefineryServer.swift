import RefineryCore
import Refinery
import RefineryOpenAI

/// The OpenAI-compatible HTTP server exposing Refinery's models and agents.
///
/// - ``OpenAICompatibleServer``: the server (routes, admission, metrics, shutdown).
/// - ``ServerConfiguration``: address, limits, API key and deadlines.
/// - ``ServedModel`` and ``AgentEndpoint``: what the server exposes.
/// - ``APIError``: errors rendered as OpenAI's error JSON.
public enum RefineryServer {
    /// The header a client sets to give a request's deadline in milliseconds from its arrival.
    public static let deadlineHeader = "X-Refinery-Deadline-Ms"
    /// The prefix of the model names under which agents are served (`agent:<name>`).
    public static let agentPrefix = "agent:"
}
