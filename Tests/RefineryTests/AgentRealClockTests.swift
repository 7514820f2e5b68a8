import RefineryCore
import Refinery
import RefineryTesting
import Testing

/// The same enforcement on the real clock (generous bounds: CI machines are loaded).
@Suite("Agent on the real clock", .timeLimit(.minutes(1)))
struct AgentRealClockTests {
    @Test("a draft that would take 5 s is cut at a 150 ms deadline and returned, marked truncated")
    func realDeadline() async {
        let clock = ContinuousClock()
        let model = ScriptedModel(
            name: "m", replies: [AgentTesting.slow("w", chunks: 100, delay: .milliseconds(50))], clock: clock)
        let agent = Agent(
            model: model, draft: Draft(maxTokens: 200), critique: Critique(), refine: Refine(), reserve: .zero,
            costs: CostBook([AgentTesting.cost("m")]), clock: clock)
        let start = clock.now
        let result = await agent.run("q", deadline: Deadline(start.advanced(by: .milliseconds(150))))
        let wall = start.duration(to: clock.now)
        #expect(result.outcome == .truncated)
        #expect(result.answer.hasPrefix("w0 "))
        #expect(wall >= .milliseconds(150))
        #expect(wall < .milliseconds(400))
    }
}
