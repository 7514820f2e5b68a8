import RefineryCore
import Refinery
import RefineryTesting
import Testing

/// A local and a remote model together: the planner gives each step to the preferred model
/// when its measured costs fit the time left, else to the other, and a failing or stalled
/// model gives way to the other inside the same deadline. The remote is a scripted model.
@Suite("Agent on a local and a remote model", .timeLimit(.minutes(1)))
struct AgentLocalRemoteTests {
    let mentionsSea = Verify("sea") { answer, _ in answer.contains("sea") ? .pass : .fail("does not mention the sea") }

    func agent(preferred: ScriptedModel, other: ScriptedModel, costs: [CostModel], clock: ManualClock) -> Agent {
        Agent(
            name: "test", model: preferred, fallbacks: [other], draft: Draft(maxTokens: 50), verifiers: [mentionsSea],
            refine: Refine(maxTokens: 50), stopRules: StopRules(maxRounds: 1), reserve: .zero,
            costs: CostBook(costs), clock: clock)
    }

    @Test("draft locally, refine remotely: the long draft does not fit the slow remote, the short rewrite does")
    func draftLocalRefineRemote() async {
        let clock = ManualClock()
        let remote = ScriptedModel(name: "remote", texts: ["the sea, calm"])
        let local = ScriptedModel(name: "local", texts: ["a calm day"])
        // Remote: 20 tokens/s (a 50-token draft takes 2.5 s); local: 100 tokens/s.
        let costs = [AgentTesting.cost("remote", tokensPerSecond: 20), AgentTesting.cost("local", tokensPerSecond: 100)]
        let result = await agent(preferred: remote, other: local, costs: costs, clock: clock)
            .run("Write about the sea.", deadline: .after(.seconds(2), on: clock))
        #expect(result.plans[0].steps.first?.model == "local")
        #expect(result.steps.map(\.kind) == [.draft, .verify, .refine, .verify])
        #expect(result.steps[0].model == "local")
        // After the draft the rewrite is expected at about the draft's length: 16 tokens, 0.8 s remotely.
        #expect(result.steps[2].model == "remote")
        #expect(remote.requests.count == 1 && local.requests.count == 1)
        #expect(result.answer == "the sea, calm")
        #expect(result.outcome == .complete)
    }

    @Test("the reverse: the remote drafts when the local model is too slow for the draft, the local one refines")
    func draftRemoteRefineLocal() async {
        let clock = ManualClock()
        let local = ScriptedModel(name: "local", texts: ["the sea at dusk"])
        let remote = ScriptedModel(name: "remote", texts: ["a calm evening"])
        let costs = [AgentTesting.cost("local", tokensPerSecond: 20), AgentTesting.cost("remote", tokensPerSecond: 200)]
        let result = await agent(preferred: local, other: remote, costs: costs, clock: clock)
            .run("Write about the sea.", deadline: .after(.seconds(2), on: clock))
        #expect(result.steps.map(\.kind) == [.draft, .verify, .refine, .verify])
        #expect(result.steps[0].model == "remote")
        #expect(result.steps[2].model == "local")
        #expect(result.answer == "the sea at dusk")
    }

    @Test("a remote that fails mid-run gives the step to the local model inside the deadline")
    func remoteFailureMidRun() async {
        let clock = ManualClock()
        let remote = ScriptedModel(
            name: "remote", replies: [.init("a calm day"), .failure(ScriptedModelError(message: "HTTP 502"))])
        let local = ScriptedModel(name: "local", texts: ["the sea, calm"])
        let costs = [AgentTesting.cost("remote", tokensPerSecond: 1000), AgentTesting.cost("local", tokensPerSecond: 100)]
        let result = await agent(preferred: remote, other: local, costs: costs, clock: clock)
            .run("Write about the sea.", deadline: .after(.seconds(2), on: clock))
        #expect(result.steps[0].model == "remote")
        #expect(result.steps[2].kind == .refine)
        #expect(result.steps[2].model == "local")
        #expect(result.steps[2].fallbacks.first?.hasPrefix("remote: ") == true)
        #expect(result.steps[2].fallbacks.first?.contains("HTTP 502") == true)
        #expect(result.answer == "the sea, calm")
        #expect(result.outcome == .complete)
    }

    @Test("a remote that stalls is cut off in time for the local model to answer by the deadline")
    func remoteStallMidRun() async {
        let clock = ManualClock()
        let start = clock.now
        let remote = ScriptedModel(
            name: "remote", replies: [.init("a calm day"), .init("late", delayPerChunk: .seconds(30))], clock: clock)
        let local = ScriptedModel(
            name: "local", replies: [AgentTesting.slow("sea ", chunks: 2, delay: .milliseconds(50))], clock: clock)
        let costs = [AgentTesting.cost("remote", tokensPerSecond: 1000), AgentTesting.cost("local", tokensPerSecond: 100)]
        let run = Task {
            await agent(preferred: remote, other: local, costs: costs, clock: clock)
                .run("Write about the sea.", deadline: .after(.seconds(2), on: clock))
        }
        // The refine's remote attempt ends where the local model's estimate (50 tokens, 0.5 s)
        // still fits before the step's sub-deadline; then the local model streams its answer.
        await clock.waitForSleepers(2)
        let wake = clock.nextWake
        #expect(wake != nil && start.duration(to: wake!) <= .milliseconds(1500))
        clock.advance(to: wake!)
        await clock.advance(by: .milliseconds(50), afterSleepers: 2)
        await clock.advance(by: .milliseconds(50), afterSleepers: 2)
        let result = await run.value
        #expect(result.steps[2].model == "local")
        #expect(result.steps[2].fallbacks == ["remote: cut off at its sub-deadline"])
        #expect(result.answer == "sea 0 sea 1 ")
        #expect(result.elapsed <= .seconds(2))
    }
}
