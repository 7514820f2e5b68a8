import RefineryCore
import Refinery
import RefineryTesting
import Testing

/// A failing check by code outranks every other stop rule: "no change" does not end the
/// refinement while it fails, and an answer that fails it is never `complete`.
@Suite("Agent outcomes under failing checks", .timeLimit(.minutes(1)))
struct AgentCheckOutcomeTests {
    /// Fails an answer that contains "water", as the writer's constraint check does.
    let noWater = Verify("constraints") { answer, _ in
        answer.contains("water") ? .fail("contains the forbidden word \"water\"") : .pass
    }

    func agent(_ model: ScriptedModel, rounds: Int, clock: ManualClock) -> Agent {
        Agent(
            name: "test", instructions: "Be brief.", model: model, draft: Draft(maxTokens: 20),
            critique: Critique(), verifiers: [noWater], refine: Refine(sampling: SamplingParameters(temperature: 0.3)),
            stopRules: StopRules(maxRounds: rounds), reserve: .zero,
            costs: CostBook([AgentTesting.cost(model.name)]), clock: clock)
    }

    func run(_ agent: Agent, clock: ManualClock) async -> AgentResult {
        await agent.run("Write about the sea without the word water.", deadline: .after(.seconds(10), on: clock))
    }

    @Test("an unchanged rewrite of a failing answer does not stop the run: it refines again, more freely")
    func unchangedWhileFailing() async {
        let clock = ManualClock()
        let model = ScriptedModel(name: "m", texts: ["the water is blue", "the  water is blue", "the sea is blue"])
        let result = await run(agent(model, rounds: 3, clock: clock), clock: clock)
        #expect(result.steps.map(\.kind) == [.draft, .verify, .refine, .refine, .verify])
        #expect(result.steps[2].note?.contains("unchanged while the checks fail") == true)
        // The second rewrite is written afresh, without the old answer to copy, and samples hotter.
        #expect(result.steps[3].prompt.contains("An earlier answer to this had these problems"))
        #expect(!result.steps[3].prompt.contains("assistant: the water is blue"))
        #expect(model.requests[1].sampling.temperature == 0.3)
        #expect(model.requests[2].sampling.temperature > 0.3)
        #expect(result.stopReason == .verified)
        #expect(result.outcome == .complete)
        #expect(result.answer == "the sea is blue")
    }

    @Test("an answer still failing its checks at the round cap is never complete: draft only")
    func failingAtRoundCapUnchanged() async {
        let clock = ManualClock()
        let model = ScriptedModel(name: "m", texts: ["the water is blue"])  // every rewrite the same
        let result = await run(agent(model, rounds: 2, clock: clock), clock: clock)
        #expect(result.steps.map(\.kind) == [.draft, .verify, .refine, .refine])
        #expect(result.stopReason == .roundCap)
        #expect(result.outcome == .draftOnly)
        #expect(result.answer == "the water is blue")
    }

    @Test("a changed answer still failing its checks at the round cap: refined partially")
    func failingAtRoundCapChanged() async {
        let clock = ManualClock()
        let model = ScriptedModel(name: "m", texts: ["the water is blue", "blue water, calm"])
        let result = await run(agent(model, rounds: 1, clock: clock), clock: clock)
        #expect(result.steps.map(\.kind) == [.draft, .verify, .refine, .verify])
        #expect(result.stopReason == .roundCap)
        #expect(result.outcome == .refinedPartially)
    }

    @Test("without refinement a failing check leaves the draft: draft only, not complete")
    func failingWithoutRefine() async {
        let clock = ManualClock()
        let model = ScriptedModel(name: "m", texts: ["the water is blue"])
        var agent = agent(model, rounds: 2, clock: clock)
        agent.refine = nil
        let result = await run(agent, clock: clock)
        #expect(result.steps.map(\.kind) == [.draft, .verify])
        #expect(result.stopReason == .noRefinement)
        #expect(result.outcome == .draftOnly)
    }

    @Test("without external checks, \"no change\" ends the run, unverified: nothing but the model vouches for it")
    func unchangedWithoutChecks() async {
        let clock = ManualClock()
        let model = ScriptedModel(name: "m", texts: ["the sea", AgentTesting.verdict(5, acceptable: false), "the sea"])
        var agent = agent(model, rounds: 3, clock: clock)
        agent.verifiers = []
        let result = await run(agent, clock: clock)
        #expect(result.stopReason == .unchanged)
        #expect(result.outcome == .unverified)
    }
}
