import RefineryCore
import Refinery

/// Serves a Refinery ``Agent`` as an ``AgentEndpoint``: each request builds the agent for its
/// input (agents such as `writer` read their constraints from it), runs it to the request's
/// deadline, and answers with the result's answer, outcome and (on request) its JSON trace.
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
        return AgentReply(
            answer: result.answer, outcome: result.outcome.rawValue, stopReason: result.stopReason.rawValue,
            partial: result.isPartial, promptTokens: result.steps.reduce(0) { $0 + $1.promptTokens },
            generatedTokens: result.generatedTokens, trace: invocation.includeTrace ? result.json(includeText: false) : nil)
    }
}
