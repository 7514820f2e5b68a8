import RefineryCore
import Refinery
import RefineryTesting
import Testing

/// The outcome rules: `complete` only when external checks vouch for the answer; a critique that
/// contradicts itself is not trusted; a draft cut at its token cap is never finished; agent
/// steps decode under a response format.
@Suite("Honest outcomes", .timeLimit(.minutes(1)))
struct HonestOutcomeTests {
    func agent(
        _ model: ScriptedModel, draft: Draft = Draft(maxTokens: 20), critique: Critique? = Critique(),
        refine: Refine? = Refine(), verifiers: [Verify] = [], rules: StopRules = StopRules(maxRounds: 2),
        clock: ManualClock
    ) -> Agent {
        Agent(
            name: "test", instructions: "Be brief.", model: model, draft: draft, critique: critique,
            verifiers: verifiers, refine: refine, stopRules: rules, reserve: .zero,
            costs: CostBook([AgentTesting.cost(model.name)]), clock: clock)
    }

    func run(_ agent: Agent, clock: ManualClock) async -> AgentResult {
        await agent.run("Write about the sea.", deadline: .after(.seconds(10), on: clock))
    }

    @Test("an answer that passes external checks is complete; the outcome says it is verified")
    func verifiedIsComplete() async {
        let clock = ManualClock()
        let model = ScriptedModel(name: "m", texts: ["the sea"])
        let result = await run(
            agent(model, verifiers: [Verify("has sea") { text, _ in text.contains("sea") ? .pass : .fail("no sea") }], clock: clock),
            clock: clock)
        #expect(result.outcome == .complete)
        #expect(result.stopReason == .verified)
        #expect(result.outcome.isVerified && result.outcome.hasAnswer)
        #expect(AgentOutcome.allCases.filter(\.isVerified) == [.complete])
        #expect(AgentOutcome.allCases.filter { !$0.hasAnswer } == [.failed])
    }

    @Test("checks that do not apply to the answer vouch for nothing: unverified, not complete")
    func inapplicableChecks() async {
        let clock = ManualClock()
        let model = ScriptedModel(name: "m", texts: ["the sea"])
        let nothingToCheck = Verify("numbers") { _, _ in VerificationResult(passed: true, checks: 0) }
        let result = await run(agent(model, verifiers: [nothingToCheck], clock: clock), clock: clock)
        #expect(result.outcome == .unverified)
        #expect(result.stopReason == .noRefinement)
        #expect(result.steps.map(\.kind) == [.draft, .verify])
    }

    @Test("an acceptable verdict with a low score is not trusted: the answer is refined on its concrete issues")
    func contradictoryVerdict() async {
        let clock = ManualClock()
        let model = ScriptedModel(
            name: "m",
            texts: [
                "d1", AgentTesting.verdict(2, acceptable: true, issues: ["the ending is missing", "sea"]), "d2",
                AgentTesting.verdict(9, acceptable: true),
            ])
        let result = await run(agent(model, clock: clock), clock: clock)
        #expect(result.steps.map(\.kind) == [.draft, .critique, .refine, .critique])
        #expect(result.steps[1].note == "verdict not trusted: marked acceptable with a score of 2")
        #expect(result.steps[2].prompt.contains("- the ending is missing"))
        #expect(!result.steps[2].prompt.contains("- sea"))
        #expect(result.answer == "d2")
        #expect(result.stopReason == .acceptable)
        #expect(result.outcome == .unverified)
    }

    @Test("an acceptable verdict below the agent's score threshold does not stop the loop")
    func belowThreshold() async {
        let clock = ManualClock()
        let model = ScriptedModel(
            name: "m",
            texts: [
                "d1", AgentTesting.verdict(6, acceptable: true, issues: ["add an example"]), "d2",
                AgentTesting.verdict(9, acceptable: true),
            ])
        let result = await run(agent(model, rules: StopRules(scoreThreshold: 8, maxRounds: 2), clock: clock), clock: clock)
        #expect(result.steps[1].note?.hasPrefix("verdict not trusted: marked acceptable with a score of 6, below") == true)
        #expect(result.steps.map(\.kind) == [.draft, .critique, .refine, .critique])
        #expect(result.answer == "d2")
        let rules = StopRules(scoreThreshold: 8)
        #expect(rules.stop(on: Verdict(score: 6, issues: [], acceptable: true)) == nil)
        #expect(rules.stop(on: Verdict(score: 9, issues: [], acceptable: true)) == .acceptable)
        #expect(Verdict(score: 10, issues: ["x"], acceptable: false).contradiction != nil)
        #expect(Verdict(score: 3, issues: ["x"], acceptable: false).contradiction == nil)
        #expect(Verdict(score: 3, issues: ["amber", "too short"], acceptable: false).concreteIssues == ["too short"])
    }

    @Test("a draft cut by its own token cap is never finished: the run is truncated, the step cut off")
    func cappedDraft() async {
        let clock = ManualClock()
        let model = ScriptedModel(
            name: "m", replies: [.init("a b c d e ", chunks: ["a ", "b ", "c ", "d ", "e "])], clock: clock)
        let result = await run(agent(model, draft: Draft(maxTokens: 3), clock: clock), clock: clock)
        #expect(result.steps.first?.status == .cutOff)
        #expect(result.outcome == .truncated)
        #expect(result.answer == "a b c ")
        #expect(!result.outcome.isVerified)
    }

    @Test("a rewrite cut by its token cap is not taken as the new answer")
    func cappedRewrite() async {
        let clock = ManualClock()
        let model = ScriptedModel(
            name: "m",
            replies: [
                .init("d1"), .init(AgentTesting.verdict(3, acceptable: false, issues: ["too short here"])),
                .init("r r r r ", chunks: ["r ", "r ", "r ", "r "]),
            ], clock: clock)
        let result = await run(agent(model, refine: Refine(maxTokens: 2), clock: clock), clock: clock)
        #expect(result.steps.map(\.kind) == [.draft, .critique, .refine])
        #expect(result.steps[2].status == .cutOff)
        #expect(result.answer == "d1")
        #expect(result.outcome == .draftOnly)
    }

    @Test("draft, best-of-N candidates and refine carry the words to avoid")
    func avoidWords() async {
        let clock = ManualClock()
        let model = ScriptedModel(name: "m", clock: clock) { _, index in index == 0 ? .init("wet sea") : .init("blue sea") }
        let dry = Verify("no wet") { text, _ in text.contains("wet") ? .fail("contains wet") : .pass }
        let result = await run(
            agent(model, draft: Draft(maxTokens: 20, avoidWords: ["wet"]), refine: Refine(maxTokens: 20, avoidWords: ["wet"]),
                  verifiers: [dry], clock: clock),
            clock: clock)
        #expect(result.answer == "blue sea")
        #expect(model.requests.count == 2)
        #expect(model.requests.allSatisfy { $0.avoidWords == ["wet"] })
        let candidates = BestOfN(maxCandidates: 2)
        let context = AgentTesting.context([model], clock: clock, costs: CostBook([AgentTesting.cost("m")]))
        _ = await candidates.run(
            2, draft: Draft(avoidWords: ["wet"]), instructions: "", input: "q", maxTokens: 4, verifiers: [],
            deadline: .after(.seconds(1), on: clock), in: context)
        #expect(model.requests.dropFirst(2).prefix(2).allSatisfy { $0.avoidWords == ["wet"] })
        #expect(Draft().request(instructions: "", input: "q", maxTokens: 4).avoidWords.isEmpty)
    }

    @Test("draft, best-of-N and refine decode under the agent's response format")
    func responseFormat() async {
        let clock = ManualClock()
        let schema: JSONValue = ["type": "object", "properties": ["n": ["type": "integer"]], "required": ["n"]]
        let model = ScriptedModel(name: "m", clock: clock) { request, index in
            index == 0 ? .init("{\"n\": 1}") : .init("{\"n\": 2}")
        }
        let valid = Verify("n is 2") { text, _ in text.contains("2") ? .pass : .fail("n must be 2") }
        let result = await run(
            agent(
                model, draft: Draft(maxTokens: 20, responseFormat: .jsonSchema(schema)),
                refine: Refine(maxTokens: 20, responseFormat: .jsonSchema(schema)), verifiers: [valid], clock: clock),
            clock: clock)
        #expect(result.answer == "{\"n\": 2}")
        #expect(result.outcome == .complete)
        #expect(model.requests.count == 2)
        #expect(model.requests.allSatisfy { $0.constraint == .jsonSchema(schema) })
        let typed = Draft(responseFormat: .schema(of: Int.self))
        #expect(typed.request(instructions: "", input: "q", maxTokens: 4).constraint == .jsonSchema(Int.jsonSchema))
        let candidates = BestOfN(maxCandidates: 2)
        let context = AgentTesting.context([model], clock: clock, costs: CostBook([AgentTesting.cost("m")]))
        _ = await candidates.run(
            2, draft: typed, instructions: "", input: "q", maxTokens: 4, verifiers: [], deadline: .after(.seconds(1), on: clock),
            in: context)
        // Both candidates (the judge that picks between them comes after, under its own schema).
        #expect(model.requests.dropFirst(2).prefix(2).allSatisfy { $0.constraint == .jsonSchema(Int.jsonSchema) })
    }

    @Test("a tool loop's results are notes the checks read; the trace lists each call")
    func toolResultsReachTheChecks() async {
        let clock = ManualClock()
        let call = ToolCall(id: "c", name: "add", arguments: ["a": 2, "b": 3])
        let model = ScriptedModel(name: "m", replies: [.init("", toolCalls: [call]), .init("It is 5.")], clock: clock)
        let restates = Verify.answer("restates") { answer, _ in
            answer.notes.contains { $0.contains("add({\"a\":2,\"b\":3}) = 5") } && answer.text.contains("5")
                ? .pass : .fail("does not restate 5")
        }
        var agent = agent(model, verifiers: [restates], clock: clock)
        agent.toolLoop = ToolLoop(tools: Adder())
        let result = await run(agent, clock: clock)
        #expect(result.outcome == .complete)
        #expect(result.steps.first?.toolCalls.map(\.name) == ["add"])
        #expect(result.steps.first?.toolCalls.first?.result == "5")
        #expect(result.timeline.contains("tool add({\"a\":2,\"b\":3}) -> 5"))
    }

    @Test("a run's postprocess finishes every answer before it is checked")
    func postprocess() async {
        let clock = ManualClock()
        let model = ScriptedModel(name: "m", texts: ["draft"])
        var agent = agent(model, verifiers: [Verify("final") { text, _ in text == "DRAFT" ? .pass : .fail("not final") }], clock: clock)
        agent.postprocess = { $0.uppercased() }
        let result = await run(agent, clock: clock)
        #expect(result.answer == "DRAFT")
        #expect(result.outcome == .complete)
    }

    @Test("best-of-N's agreement is abandoned at the step's deadline: the verifiers' pick stands")
    func agreementKeepsTheDeadline() async {
        let clock = ManualClock()
        let model = ScriptedModel(name: "m", clock: clock) { _, index in .init("candidate \(index)") }
        let slowAgreement = BestOfN.Agreement { candidates, _ in
            try? await clock.sleep(for: .seconds(60))
            return candidates.map { _ in .init(signature: "same") }
        }
        let context = AgentTesting.context([model], clock: clock, costs: CostBook([AgentTesting.cost("m")]))
        let deadline = Deadline.after(.seconds(1), on: clock)
        let run = Task {
            await BestOfN(maxCandidates: 3, agreement: slowAgreement).run(
                3, draft: Draft(), instructions: "", input: "q", maxTokens: 8, verifiers: [Verify("any") { _, _ in .pass }],
                deadline: deadline, in: context)
        }
        await clock.advance(by: .seconds(1), afterSleepers: 2)
        let (record, outcome) = await run.value
        #expect(outcome.picked == 0)
        #expect(record.note?.contains("picked by verifiers") == true)
        #expect(clock.now <= deadline.instant)
    }
}
