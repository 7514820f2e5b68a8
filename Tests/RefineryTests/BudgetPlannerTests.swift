import RefineryCore
import Refinery
import Testing

@Suite("Latency planner")
struct BudgetPlannerTests {
    /// 100 tokens/s, free prefill: a draft of 50 tokens is 0.5 s, a critique of 10 is 0.1 s.
    let costs = CostBook([
        AgentTesting.cost("local", tokensPerSecond: 100), AgentTesting.cost("slow", tokensPerSecond: 10),
    ])

    func input(rounds: Int = 2, candidates: Int = 1, verifier: Duration? = nil) -> PlanningInput {
        PlanningInput(
            promptTokens: 0, draftTokens: 50, minimumDraftTokens: 8, critiqueTokens: 10, refineTokens: 50,
            maxRounds: rounds, maxCandidates: candidates, hasCritique: verifier == nil, verifierTime: verifier)
    }

    func ms(_ d: Duration) -> Double { d.inSeconds * 1000 }

    @Test("with plenty of time every round fits, and the spare time is spread over the optional steps")
    func plentyOfTime() {
        let plan = LatencyPlanner(models: ["local"], costs: costs).plan(
            input(), remaining: .seconds(10), reason: "start")
        #expect(plan.rounds == 2)
        #expect(plan.check == .critique)
        #expect(plan.steps.map(\.kind) == [.draft, .critique, .refine, .critique, .refine, .critique])
        #expect(plan.steps.map(\.round) == [0, 0, 1, 1, 2, 2])
        #expect(plan.steps[0].maxTokens == 50)
        #expect(abs(ms(plan.steps[0].estimate) - 500) < 1e-6)
        #expect(plan.steps[0].allotted == .seconds(10))  // the first answer may use everything
        // optional steps: 1.3 s estimated, 8.2 s spare → critique 0.1 + 8.2 * 0.1 / 1.3
        #expect(abs(ms(plan.steps[1].allotted) - (100 + 8200 * 0.1 / 1.3)) < 1e-3)
        #expect(plan.summary.hasPrefix("start: 10000ms left → draft(local,50,~500ms) critique"))
    }

    @Test("rounds are cut to what fits the time left")
    func roundsFit() {
        let planner = LatencyPlanner(models: ["local"], costs: costs)
        #expect(planner.plan(input(), remaining: .milliseconds(1250), reason: "start").rounds == 1)
        let tight = planner.plan(input(), remaining: .milliseconds(1100), reason: "start")
        #expect(tight.rounds == 0)
        #expect(tight.steps.map(\.kind) == [.draft, .critique])
        #expect(planner.plan(input(), remaining: .milliseconds(550), reason: "start").steps.map(\.kind) == [.draft])
    }

    @Test("when even the draft does not fit, its token cap shrinks to what fits")
    func draftCapShrinks() {
        let plan = LatencyPlanner(models: ["local"], costs: costs).plan(
            input(), remaining: .milliseconds(300), reason: "start")
        #expect(plan.steps.map(\.kind) == [.draft])
        #expect(plan.steps[0].maxTokens == 30)
        let none = LatencyPlanner(models: ["local"], costs: costs).plan(input(), remaining: .zero, reason: "start")
        #expect(none.steps[0].maxTokens == 8)  // the minimum: a truncated draft beats nothing
    }

    @Test("external checks replace the critique")
    func verifierReplacesCritique() {
        let plan = LatencyPlanner(models: ["local"], costs: costs)
            .plan(input(verifier: .milliseconds(20)), remaining: .seconds(10), reason: "start")
        #expect(plan.check == .verifier)
        #expect(plan.steps.map(\.kind) == [.draft, .verify, .refine, .verify, .refine, .verify])
        #expect(plan.steps[1].model == nil)
    }

    @Test("best-of-N takes the largest N that keeps the first refinement round")
    func bestOfN() {
        let batching = LatencyPlanner(models: ["local"], costs: costs, batchingModels: ["local"])
        let roomy = batching.plan(input(candidates: 4), remaining: .seconds(10), reason: "start")
        #expect(roomy.candidates == 4)
        #expect(roomy.steps[0].kind == .bestOfN)
        #expect(roomy.rounds == 2)
        // Without batching N candidates cost N drafts: at 1.3 s, N = 2 (1 s + judge) leaves no round.
        let sequential = LatencyPlanner(models: ["local"], costs: costs)
        let tight = sequential.plan(input(candidates: 4), remaining: .milliseconds(1300), reason: "start")
        #expect(tight.candidates == 1)
        #expect(tight.rounds == 1)
        // Once the first answer exists there is nothing to pick.
        var later = input(candidates: 4)
        later.draftDone = true
        #expect(batching.plan(later, remaining: .seconds(10), reason: "after draft").candidates == 1)
    }

    @Test("given two models, a step runs on the preferred one only when it fits")
    func twoModels() {
        let planner = LatencyPlanner(models: ["slow", "local"], costs: costs)
        let roomy = planner.plan(input(rounds: 0), remaining: .seconds(10), reason: "start")
        #expect(roomy.steps.first?.model == "slow")  // 5 s fits in 10 s: the preferred model
        let tight = planner.plan(input(rounds: 0), remaining: .seconds(1), reason: "start")
        #expect(tight.steps.first?.model == "local")
        let mixed = planner.plan(input(rounds: 1), remaining: .milliseconds(6000), reason: "start")
        #expect(mixed.steps.compactMap(\.model) == ["slow", "local", "local", "local"])
    }

    @Test("re-planning after the draft starts from the current answer and the rounds done")
    func replan() {
        var state = input()
        state.draftDone = true
        state.roundsDone = 1
        state.currentChecked = false
        let plan = LatencyPlanner(models: ["local"], costs: costs).plan(
            state, remaining: .seconds(5), reason: "after refine 1")
        #expect(plan.steps.map(\.kind) == [.critique, .refine, .critique])
        #expect(plan.steps.map(\.round) == [1, 2, 2])
        state.roundsDone = 2
        state.currentChecked = true
        #expect(
            LatencyPlanner(models: ["local"], costs: costs).plan(state, remaining: .seconds(5), reason: "x").steps
                .isEmpty)
    }
}
