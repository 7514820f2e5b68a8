import RefineryCore
import Refinery
import RefineryTesting
import Testing

/// Deadlines, re-planning, cancellation at each stage and fallback, driven by a manual clock.
@Suite("Agent under a deadline", .timeLimit(.minutes(1)))
struct AgentDeadlineTests {
    func agent(
        _ models: [ScriptedModel], clock: ManualClock, costs: [CostModel]? = nil, rules: StopRules = StopRules(),
        verifiers: [Verify] = []
    ) -> Agent {
        Agent(
            name: "test", model: models[0], fallbacks: Array(models.dropFirst()), draft: Draft(maxTokens: 10),
            critique: Critique(maxTokens: 10), verifiers: verifiers, refine: Refine(maxTokens: 10), stopRules: rules,
            reserve: .zero,
            costs: CostBook(costs ?? models.map { AgentTesting.cost($0.name) }), clock: clock)
    }

    @Test("a slow draft makes the agent re-plan: fewer rounds, and it returns the draft in time")
    func replanAfterSlowStep() async {
        let clock = ManualClock()
        let model = ScriptedModel(
            name: "m",
            replies: [
                AgentTesting.slow("w", chunks: 5, delay: .milliseconds(150)),
                .init(AgentTesting.verdict(4, acceptable: false, issues: ["vague"])),
            ], clock: clock)
        let agent = agent([model], clock: clock, rules: StopRules(maxRounds: 3))
        let run = Task { await agent.run("q", deadline: .after(.seconds(1), on: clock)) }
        for _ in 0..<5 { await clock.advance(by: .milliseconds(150), afterSleepers: 2) }
        let result = await run.value
        // 100 tok/s: draft 100 ms + critique 100 ms + 3 rounds of 200 ms fit in 1 s...
        #expect(result.plans[0].rounds == 3)
        #expect(result.plans[0].steps.count == 8)
        // ...but the draft ran at 6.7 tok/s: the smoothed rate (72 tok/s) leaves time for a critique only.
        #expect(result.plans[1].reason == "after draft")
        #expect(result.plans[1].rounds == 0)
        #expect(result.plans[1].steps.map(\.kind) == [.critique])
        #expect(result.plans.last?.steps.isEmpty == true)
        #expect(result.steps.map(\.kind) == [.draft, .critique])
        #expect(result.outcome == .draftOnly)
        #expect(result.stopReason == .deadline)
        #expect(result.answer == "w0 w1 w2 w3 w4 ")
        #expect(result.elapsed == .milliseconds(750))
    }

    @Test("a first answer longer than the planner's estimate is not cut at the estimate")
    func firstAnswerKeepsAgentCap() async {
        let clock = ManualClock()
        let chunks = (0..<20).map { "w\($0) " }
        let model = ScriptedModel(
            name: "m",
            replies: [
                ScriptedModel.Reply(chunks.joined(), chunks: chunks, delayPerChunk: .zero),
                .init(AgentTesting.verdict(9, acceptable: true)),
            ], clock: clock)
        // Stale figures (a busy spell): 10 tok/s, so 1 s fits about 10 tokens of draft.
        var agent = agent([model], clock: clock, costs: [AgentTesting.cost("m", tokensPerSecond: 10)])
        agent.draft = Draft(maxTokens: 40)
        let result = await agent.run("q", deadline: .after(.seconds(1), on: clock))
        let planned = result.plans[0].steps.first?.maxTokens ?? 0
        #expect(planned < 20, "the planner's estimate is below the answer's length")
        #expect(model.requests.first?.maxTokens == 40)
        #expect(result.outcome != .truncated)
        #expect(result.answer == chunks.joined())
    }

    @Test("cut off during the draft: truncated, the partial draft returned and marked")
    func truncated() async {
        let clock = ManualClock()
        let model = ScriptedModel(
            name: "m", replies: [AgentTesting.slow("w", chunks: 5, delay: .milliseconds(100))], clock: clock)
        let agent = agent([model], clock: clock)
        let run = Task { await agent.run("q", deadline: .after(.milliseconds(250), on: clock)) }
        await clock.advance(by: .milliseconds(100), afterSleepers: 2)
        await clock.advance(by: .milliseconds(100), afterSleepers: 2)
        await clock.advance(by: .milliseconds(50), afterSleepers: 2)
        let result = await run.value
        #expect(result.outcome == .truncated)
        #expect(result.isPartial)
        #expect(result.answer == "w0 w1 ")
        #expect(result.steps.map(\.status) == [.cutOff])
        #expect(result.elapsed == .milliseconds(250))
        #expect(result.timeline.contains("[TRUNCATED"))
        #expect(clock.sleeperCount == 0)
    }

    @Test("cut off during the critique: draft only")
    func cutDuringCritique() async {
        let clock = ManualClock()
        let model = ScriptedModel(
            name: "m",
            replies: [.init("d1"), .init(AgentTesting.verdict(9, acceptable: true), delayPerChunk: .seconds(10))],
            clock: clock)
        let agent = agent([model], clock: clock)
        let run = Task { await agent.run("q", deadline: .after(.seconds(1), on: clock)) }
        await clock.advance(by: .seconds(1), afterSleepers: 2)
        let result = await run.value
        #expect(result.steps.map(\.kind) == [.draft, .critique])
        #expect(result.steps[1].status == .cutOff)
        #expect(result.outcome == .draftOnly)
        #expect(result.answer == "d1")
        #expect(result.elapsed <= .seconds(1))
    }

    @Test("cut off during the first refinement: draft only, the draft kept")
    func cutDuringRefine() async {
        let clock = ManualClock()
        let model = ScriptedModel(
            name: "m",
            replies: [
                .init("d1"), .init(AgentTesting.verdict(4, acceptable: false)),
                .init("d2", delayPerChunk: .seconds(10)),
            ], clock: clock)
        let agent = agent([model], clock: clock)
        let run = Task { await agent.run("q", deadline: .after(.seconds(1), on: clock)) }
        await clock.advance(by: .seconds(1), afterSleepers: 2)
        let result = await run.value
        #expect(result.steps.map(\.kind) == [.draft, .critique, .refine])
        #expect(result.steps[2].status == .cutOff)
        #expect(result.outcome == .draftOnly)
        #expect(result.answer == "d1")
    }

    @Test("cut off during the second refinement: refined partially, the first refinement kept")
    func cutDuringSecondRefine() async {
        let clock = ManualClock()
        let model = ScriptedModel(
            name: "m",
            replies: [
                .init("d1"), .init(AgentTesting.verdict(4, acceptable: false)), .init("d2"),
                .init(AgentTesting.verdict(6, acceptable: false)),
                .init("d3", delayPerChunk: .seconds(10)),
            ], clock: clock)
        let agent = agent([model], clock: clock)
        let run = Task { await agent.run("q", deadline: .after(.seconds(1), on: clock)) }
        await clock.advance(by: .seconds(1), afterSleepers: 2)
        let result = await run.value
        #expect(result.steps.map(\.kind) == [.draft, .critique, .refine, .critique, .refine])
        #expect(result.outcome == .refinedPartially)
        #expect(result.stopReason == .deadline)
        #expect(result.answer == "d2")
    }

    @Test("cut off during verification: draft only")
    func cutDuringVerify() async {
        let clock = ManualClock()
        let model = ScriptedModel(name: "m", replies: [.init("d1")], clock: clock)
        let slowTests = Verify("tests", estimatedTime: .milliseconds(10)) { _, _ in
            do { try await clock.sleep(for: .seconds(10)) } catch { return .fail("cancelled") }
            return .pass
        }
        let agent = agent([model], clock: clock, verifiers: [slowTests])
        let run = Task { await agent.run("q", deadline: .after(.seconds(1), on: clock)) }
        await clock.advance(by: .seconds(1), afterSleepers: 2)
        let result = await run.value
        #expect(result.steps.map(\.kind) == [.draft, .verify])
        #expect(result.steps[1].status == .cutOff)
        #expect(result.outcome == .draftOnly)
    }

    @Test("a caller's cancellation stops the run at once with the best answer so far")
    func callerCancels() async {
        let clock = ManualClock()
        let model = ScriptedModel(
            name: "m", replies: [AgentTesting.slow("w", chunks: 5, delay: .milliseconds(100))], clock: clock)
        let agent = agent([model], clock: clock)
        let run = Task { await agent.run("q", deadline: .after(.seconds(5), on: clock)) }
        await clock.advance(by: .milliseconds(100), afterSleepers: 2)
        await clock.waitForSleepers(2)
        run.cancel()
        let result = await run.value
        #expect(result.outcome == .truncated)
        #expect(result.stopReason == .cancelled)
        #expect(result.answer == "w0 ")
    }

    @Test("a failing remote model falls back to the local one inside the deadline")
    func remoteFailureFallsBack() async {
        let clock = ManualClock()
        let remote = ScriptedModel(
            name: "remote", replies: [.failure(ScriptedModelError(message: "HTTP 500"))], clock: clock)
        let local = ScriptedModel(name: "local", texts: ["local draft", AgentTesting.verdict(9, acceptable: true)])
        let result = await agent([remote, local], clock: clock).run("q", deadline: .after(.seconds(1), on: clock))
        #expect(result.outcome == .unverified)
        #expect(result.answer == "local draft")
        #expect(result.steps[0].model == "local")
        #expect(result.steps[0].fallbacks.first?.hasPrefix("remote:") == true)
    }

    @Test("a slow remote model is abandoned in time for the local one to answer")
    func slowRemoteFallsBack() async {
        let clock = ManualClock()
        let remote = ScriptedModel(name: "remote", replies: [.init("late", delayPerChunk: .seconds(30))], clock: clock)
        let local = ScriptedModel(
            name: "local", replies: [.init("local draft"), .init(AgentTesting.verdict(9, acceptable: true))],
            clock: clock)
        // The remote looks fast (1000 tok/s) so the planner prefers it; the local needs 100 ms for 10 tokens.
        let costs = [
            AgentTesting.cost("remote", tokensPerSecond: 1000), AgentTesting.cost("local", tokensPerSecond: 100),
        ]
        let agent = Agent(
            model: remote, fallbacks: [local], draft: Draft(maxTokens: 10), critique: Critique(maxTokens: 5),
            refine: Refine(maxTokens: 10), reserve: .zero, costs: CostBook(costs), clock: clock)
        let run = Task { await agent.run("q", deadline: .after(.seconds(1), on: clock)) }
        await clock.advance(by: .milliseconds(900), afterSleepers: 2)
        let result = await run.value
        #expect(result.plans[0].steps.first?.model == "remote")
        #expect(result.steps[0].model == "local")
        #expect(result.steps[0].fallbacks == ["remote: cut off at its sub-deadline"])
        // The stall taught the planner: the critique goes to the local model directly.
        #expect(result.plans[1].steps.first?.model == "local")
        #expect(result.steps[1].model == "local")
        #expect(result.steps[1].fallbacks.isEmpty)
        #expect(result.answer == "local draft")
        #expect(result.elapsed == .milliseconds(900))
        #expect(result.outcome == .unverified)
    }

    @Test("an agent run inside a parent budget ends by the parent's working deadline")
    func nestedInParentBudget() async {
        let clock = ManualClock()
        let request = LatencyBudget(timeout: .seconds(1), reserve: .milliseconds(200), clock: clock, label: "request")
        clock.advance(by: .milliseconds(300))  // time spent before the agent starts (loading, parsing)
        let model = ScriptedModel(
            name: "m",
            replies: [.init("d1"), .init(AgentTesting.verdict(9, acceptable: true), delayPerChunk: .seconds(5))],
            clock: clock)
        let agent = agent([model], clock: clock)
        let run = Task { await agent.run("q", within: request.child("agent", share: 1)) }
        await clock.advance(by: .milliseconds(500), afterSleepers: 2)
        let result = await run.value
        #expect(result.deadline == .milliseconds(500))
        #expect(result.elapsed == .milliseconds(500))
        #expect(request.remaining == .zero)
        #expect(request.remainingIncludingReserve == .milliseconds(200))
        #expect(result.outcome == .draftOnly)
    }

    @Test("cut off during best-of-N: truncated, the longest partial candidate returned")
    func cutDuringBestOfN() async {
        let clock = ManualClock()
        let model = ScriptedModel(name: "m", clock: clock) { request, _ in
            AgentTesting.slow("c\(request.sampling.seed ?? 0)-", chunks: 3, delay: .milliseconds(100))
        }
        var agent = agent([model], clock: clock, costs: [AgentTesting.cost("m", tokensPerSecond: 1000)])
        agent.bestOfN = BestOfN(maxCandidates: 2)
        let run = Task { await agent.run("q", deadline: .after(.milliseconds(250), on: clock)) }
        // Two candidates, each with its timer and its next chunk asleep.
        await clock.advance(by: .milliseconds(100), afterSleepers: 4)
        await clock.advance(by: .milliseconds(100), afterSleepers: 4)
        await clock.advance(by: .milliseconds(50), afterSleepers: 4)
        let result = await run.value
        #expect(result.plans[0].candidates == 2)
        #expect(result.steps.map(\.kind) == [.bestOfN])
        #expect(result.steps[0].status == .cutOff)
        #expect(result.outcome == .truncated)
        #expect(result.answer == "c1-0 c1-1 ")
        #expect(clock.sleeperCount == 0)
    }
}
