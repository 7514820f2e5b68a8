import RefineryCore
import Refinery

/// Serves a Refinery ``Agent`` as an ``AgentEndpoint``: each request builds the agent for its
/// input (agents such as `writer` read their constraints from it), runs it to the request's
/// deadline, and answers with the result's answer, outcome and (on request) its JSON trace.
/// Streamed, it reports each plan and each finished step as reasoning while the run goes on.
///
/// The endpoint keeps one ``CostBook`` for all requests, so the latency planner keeps learning
/// the models' speeds across requests.
public struct AgentRunnerEndpoint: AgentEndpoint {
    public let name: String
    /// Shared by every run.
    public let costs: CostBook
    private let makeAgent: @Sendable (_ input: String, _ costs: CostBook) -> Agent

    /// An endpoint that builds its agent per request with `makeAgent(input, costs)`.
    public init(name: String, costs: CostBook = CostBook(), makeAgent: @escaping @Sendable (_ input: String, _ costs: CostBook) -> Agent) {
        self.name = name
        self.costs = costs
        self.makeAgent = makeAgent
    }

    /// An endpoint that runs the same agent for every request.
    public init(_ agent: Agent) {
        self.init(name: agent.name, costs: agent.costs) { _, _ in agent }
    }

    public func run(_ invocation: AgentInvocation) async throws -> AgentReply {
        let agent = makeAgent(invocation.input, costs)
        let result = await agent.run(invocation.input, deadline: invocation.deadline, startedAt: invocation.startedAt)
        return Self.reply(result, includeTrace: invocation.includeTrace)
    }

    public func stream(_ invocation: AgentInvocation) -> AsyncThrowingStream<AgentUpdate, any Error> {
        let agent = makeAgent(invocation.input, costs)
        let events = agent.stream(invocation.input, deadline: invocation.deadline, startedAt: invocation.startedAt)
        let (stream, continuation) = AsyncThrowingStream<AgentUpdate, any Error>.makeStream()
        let task = Task {
            do {
                for try await event in events {
                    if let text = AgentReasoning.text(for: event) { continuation.yield(.reasoning(text)) }
                    if case .finished(let result) = event {
                        continuation.yield(.finished(Self.reply(result, includeTrace: invocation.includeTrace)))
                    }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        // Dropping the updates drops the agent's event stream, which cancels the run.
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// The reply for a finished run: its tokens summed over every step, sub-steps included.
    static func reply(_ result: AgentResult, includeTrace: Bool) -> AgentReply {
        let tokens = result.steps.reduce((prompt: 0, generated: 0)) { sum, step in
            let t = tokenTotals(step)
            return (sum.prompt + t.prompt, sum.generated + t.generated)
        }
        return AgentReply(
            answer: result.answer, outcome: result.outcome.rawValue, stopReason: result.stopReason.rawValue,
            partial: result.isPartial, promptTokens: tokens.prompt, generatedTokens: tokens.generated,
            trace: includeTrace ? result.json(includeText: false) : nil)
    }

    /// A step's tokens. A step that ran others inside it (a composition, a sub-agent) may or may
    /// not count its children in its own figures, so the larger of the two is taken: never
    /// counted twice, never lost.
    static func tokenTotals(_ step: StepRecord) -> (prompt: Int, generated: Int) {
        let children = step.steps.reduce((prompt: 0, generated: 0)) { sum, child in
            let t = tokenTotals(child)
            return (sum.prompt + t.prompt, sum.generated + t.generated)
        }
        return (max(step.promptTokens, children.prompt), max(step.generatedTokens, children.generated))
    }
}
