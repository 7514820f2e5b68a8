import RefineryCore
import Refinery

/// An agent the server exposes as the model `agent:<name>`.
///
/// The server hands the agent the conversation and an absolute deadline (from the
/// `X-Refinery-Deadline-Ms` header, the `refinery.deadline_ms` body field, or the server's
/// default) and answers with whatever the agent returns by then. Cancelling the calling task
/// (the client disconnected) must stop the agent's generations.
public protocol AgentEndpoint: Sendable {
    /// The name after `agent:` in the model name.
    var name: String { get }

    /// Runs the agent once. Failures the agent can describe belong in ``AgentReply/outcome``;
    /// a thrown error is answered with a 500.
    func run(_ invocation: AgentInvocation) async throws -> AgentReply

    /// Runs the agent once, reporting its hidden work as it happens and ending with the reply.
    /// Ending the stream early (the client went away) must stop the agent's generations.
    ///
    /// The default runs ``run(_:)`` and reports no work: implement it when the agent can say
    /// what it is doing, so streaming clients see progress before the answer.
    func stream(_ invocation: AgentInvocation) -> AsyncThrowingStream<AgentUpdate, any Error>
}

extension AgentEndpoint {
    public func stream(_ invocation: AgentInvocation) -> AsyncThrowingStream<AgentUpdate, any Error> {
        let (stream, continuation) = AsyncThrowingStream<AgentUpdate, any Error>.makeStream()
        let task = Task {
            do {
                continuation.yield(.finished(try await run(invocation)))
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}

/// What an agent is asked to do.
public struct AgentInvocation: Sendable {
    /// The request's conversation.
    public var messages: [ChatMessage]
    /// When the answer is due.
    public var deadline: Deadline
    /// When the request arrived (the deadline is measured from here).
    public var startedAt: ContinuousClock.Instant
    /// Whether the client asked for the run's trace.
    public var includeTrace: Bool

    public init(messages: [ChatMessage], deadline: Deadline, startedAt: ContinuousClock.Instant, includeTrace: Bool) {
        self.messages = messages
        self.deadline = deadline
        self.startedAt = startedAt
        self.includeTrace = includeTrace
    }

    /// The text of the last user message: the agent's input.
    public var input: String {
        messages.last { $0.role == .user }?.content ?? ""
    }
}

/// What an agent run answers.
public struct AgentReply: Sendable {
    /// The best answer the run produced.
    public var answer: String
    /// How the run ended (`complete`, `refined_partially`, `draft_only`, `truncated`, `failed`).
    public var outcome: String
    /// Why the run stopped refining, when the agent says.
    public var stopReason: String?
    /// Whether the answer is an unfinished draft.
    public var partial: Bool
    /// Prompt tokens over every step.
    public var promptTokens: Int
    /// Generated tokens over every step.
    public var generatedTokens: Int
    /// The run's steps and plans (sent only when the client asked for the trace).
    public var trace: JSONValue?

    public init(
        answer: String, outcome: String, stopReason: String? = nil, partial: Bool = false, promptTokens: Int = 0,
        generatedTokens: Int = 0, trace: JSONValue? = nil
    ) {
        self.answer = answer
        self.outcome = outcome
        self.stopReason = stopReason
        self.partial = partial
        self.promptTokens = promptTokens
        self.generatedTokens = generatedTokens
        self.trace = trace
    }
}
