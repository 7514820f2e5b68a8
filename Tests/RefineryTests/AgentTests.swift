import RefineryCore
import Refinery
import RefineryTesting
import Testing

/// Stop rules, best-answer keeping and outcomes, with instant scripted models.
@Suite("Agent stop rules and outcomes", .timeLimit(.minutes(1)))
struct AgentTests {
    func agent(
        _ model: ScriptedModel, critique: Critique? = Critique(), refine: Refine? = Refine(), verifiers: [Verify] = [],
        rules: StopRules = StopRules(), clock: ManualClock = ManualClock()
    ) -> Agent {
        Agent(
            name: "test", instructions: "Be brief.", model: model, draft: Draft(maxTokens: 20), critique: critique,
            verifiers: verifiers, refine: refine, stopRules: rules, reserve: .zero,
            costs: CostBook([AgentTesting.cost(model.name)]), clock: clock)
    }

    func run(_ agent: Agent, clock: ManualClock) async -> AgentResult {
        await agent.run("Write about the sea.", deadline: .after(.seconds(10), on: clock))
    }

    @Test("an acceptable verdict stops the loop: unverified, since only the model vouches for it")
    func acceptable() async {
        let clock = ManualClock()
        let model = ScriptedModel(name: "m", texts: ["d1", AgentTesting.verdict(9, acceptable: true)])
        let result = await run(agent(model, clock: clock), clock: clock)
        #expect(result.outcome == .unverified)
        #expect(result.stopReason == .acceptable)
        #expect(result.answer == "d1")
        #expect(result.steps.map(\.kind) == [.draft, .critique])
        #expect(result.score == 9)
    }

    @Test("a score at the threshold stops the loop")
    func scoreThreshold() async {
        let clock = ManualClock()
        let model = ScriptedModel(
            name: "m",
            texts: [
                "d1", AgentTesting.verdict(5, acceptable: false, issues: ["too dull", "the"]), "d2",
                AgentTesting.verdict(8, acceptable: false),
            ])
        let result = await run(
            agent(model, rules: StopRules(scoreThreshold: 8, maxRounds: 5), clock: clock), clock: clock)
        #expect(result.outcome == .unverified)
        #expect(result.stopReason == .scoreThreshold)
        #expect(result.answer == "d2")
        #expect(result.steps.map(\.kind) == [.draft, .critique, .refine, .critique])
        #expect(result.answerStep == 2)
        // The refine step saw the critique's issues.
        // The refine step saw the critique's concrete issues, not its stray words.
        #expect(result.steps[2].prompt.contains("- too dull"))
        #expect(!result.steps[2].prompt.contains("- the\n"))
    }

    @Test("a refinement that changes nothing stops the loop")
    func unchanged() async {
        let clock = ManualClock()
        let model = ScriptedModel(
            name: "m", texts: ["the  sea\n", AgentTesting.verdict(5, acceptable: false), "the sea"])
        let result = await run(agent(model, clock: clock), clock: clock)
        #expect(result.outcome == .unverified)
        #expect(result.stopReason == .unchanged)
        #expect(result.steps.map(\.kind) == [.draft, .critique, .refine])
    }

    @Test("the round cap stops the loop after the last refinement is checked")
    func roundCap() async {
        let clock = ManualClock()
        let model = ScriptedModel(
            name: "m",
            texts: ["d1", AgentTesting.verdict(4, acceptable: false), "d2", AgentTesting.verdict(6, acceptable: false)])
        let result = await run(agent(model, rules: StopRules(maxRounds: 1), clock: clock), clock: clock)
        #expect(result.outcome == .unverified)
        #expect(result.stopReason == .roundCap)
        #expect(result.answer == "d2")
        #expect(result.steps.map(\.kind) == [.draft, .critique, .refine, .critique])
        #expect(model.requests.count == 4)
    }

    @Test("the best answer so far is kept when a refinement scores lower")
    func bestSoFar() async {
        let clock = ManualClock()
        let model = ScriptedModel(
            name: "m",
            texts: [
                "good", AgentTesting.verdict(7, acceptable: false), "worse", AgentTesting.verdict(3, acceptable: false),
            ])
        let result = await run(agent(model, rules: StopRules(maxRounds: 1), clock: clock), clock: clock)
        #expect(result.answer == "good")
        #expect(result.answerStep == 0)
        #expect(result.score == 7)
    }

    @Test("external checks replace the critique and are trusted")
    func verifiersReplaceCritique() async {
        let clock = ManualClock()
        let model = ScriptedModel(name: "m", texts: ["the land", "the sea"])
        let mentionsSea = Verify("mentions sea") { answer, _ in
            answer.contains("sea") ? .pass : .fail("does not mention the sea")
        }
        let result = await run(agent(model, verifiers: [mentionsSea], clock: clock), clock: clock)
        #expect(result.outcome == .complete)
        #expect(result.stopReason == .verified)
        #expect(result.answer == "the sea")
        #expect(result.steps.map(\.kind) == [.draft, .verify, .refine, .verify])
        #expect(model.requests.count == 2)  // no critique was asked for
        #expect(result.steps[2].prompt.contains("mentions sea: does not mention the sea"))
        #expect(result.plans[0].check == .verifier)
    }

    @Test("a malformed verdict is no verdict: nothing is refined on it, and the run is not complete")
    func malformedVerdict() async {
        let clock = ManualClock()
        let model = ScriptedModel(
            name: "m", texts: ["d1", "Looks great!!", "d2", AgentTesting.verdict(9, acceptable: true)])
        let result = await run(agent(model, clock: clock), clock: clock)
        #expect(result.steps.map(\.kind) == [.draft, .critique])
        #expect(model.requests.count == 2)  // no refine was asked for
        #expect(result.stopReason == .noVerdict)
        #expect(result.outcome == .unverified)
        #expect(result.answer == "d1")
        #expect(result.steps[1].verdict == nil)
        #expect(result.steps[1].note?.contains("malformed verdict") == true)
    }

    @Test("an agent without checks or refinement completes after its draft")
    func draftOnlyAgent() async {
        let clock = ManualClock()
        let model = ScriptedModel(name: "m", texts: ["just this"])
        let result = await run(agent(model, critique: nil, refine: nil, clock: clock), clock: clock)
        #expect(result.outcome == .unverified)
        #expect(result.stopReason == .noRefinement)
        #expect(result.answer == "just this")
    }

    @Test("when every model fails there is no answer: failed")
    func failed() async {
        let clock = ManualClock()
        let model = ScriptedModel(name: "m", replies: [.failure(ScriptedModelError(message: "boom"))])
        let result = await run(agent(model, clock: clock), clock: clock)
        #expect(result.outcome == .failed)
        #expect(result.answer == "")
        #expect(result.steps.count == 1)
        #expect(result.steps[0].status == .failed("ScriptedModelError(message: \"boom\")"))
    }

    @Test("best-of-N is used for the first answer when the planner finds time for it")
    func bestOfN() async {
        let clock = ManualClock()
        let model = ScriptedModel(name: "m", clock: clock) { request, _ in
            if case .jsonSchema(let schema)? = request.constraint {
                return schema == Verdict.schema
                    ? .init(AgentTesting.verdict(9, acceptable: true)) : .init("{\"best\": 3}")
            }
            return .init("candidate \(request.sampling.seed ?? 0)")
        }
        var agent = agent(model, clock: clock)
        agent.bestOfN = BestOfN(maxCandidates: 3)
        let result = await run(agent, clock: clock)
        #expect(result.plans[0].candidates == 3)
        #expect(result.steps.map(\.kind) == [.bestOfN, .critique])
        #expect(result.answer == "candidate 3")
        #expect(result.outcome == .unverified)
    }

    @Test("a tool loop drafts the first answer when the agent has tools")
    func toolLoopAgent() async {
        let clock = ManualClock()
        let call = ToolCall(id: "c1", name: "add", arguments: ["a": 20, "b": 22])
        let model = ScriptedModel(
            name: "m",
            replies: [.init("", toolCalls: [call]), .init("42"), .init(AgentTesting.verdict(10, acceptable: true))])
        var agent = agent(model, clock: clock)
        agent.toolLoop = ToolLoop(tools: Adder())
        let result = await run(agent, clock: clock)
        #expect(result.steps.map(\.kind) == [.toolLoop, .critique])
        #expect(result.answer == "42")
        #expect(result.outcome == .unverified)
    }

    @Test("best-of-N with verifiers: the best candidate is picked and its failures are what the refinement fixes")
    func bestOfNWithVerifiers() async {
        let clock = ManualClock()
        let model = ScriptedModel(name: "m", clock: clock) { request, _ in
            switch request.sampling.seed {
            case 1?: return .init("short")
            case 2?: return .init("the sea")
            case 3?: return .init("a long answer")
            default: return .init("the sea, at length")
            }
        }
        let checks = [
            Verify("sea") { answer, _ in answer.contains("sea") ? .pass : .fail("no sea") },
            Verify("length") { answer, _ in answer.count >= 10 ? .pass : .fail("under 10 characters") },
        ]
        var agent = agent(model, verifiers: checks, clock: clock)
        agent.bestOfN = BestOfN(maxCandidates: 3)
        let result = await run(agent, clock: clock)
        #expect(result.steps.map(\.kind) == [.bestOfN, .refine, .verify])
        #expect(result.steps[0].output == "the sea")
        #expect(result.steps[1].prompt.contains("length: under 10 characters"))
        #expect(result.answer == "the sea, at length")
        #expect(result.outcome == .complete)
        #expect(result.stopReason == .verified)
        #expect(result.score == 10)
    }
}
