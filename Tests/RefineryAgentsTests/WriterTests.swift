import RefineryCore
import Refinery
import RefineryAgents
import RefineryTesting
import Testing

@Suite("writer agent", .timeLimit(.minutes(1)))
struct WriterTests {
    @Test("constraints are read from the request")
    func parsing() {
        let c = WritingConstraints(
            parsing:
                "Write a poem about the sea in at most 40 words. Include the words \"salt\" and \"moon\". Avoid the word \"blue\"."
        )
        #expect(c == WritingConstraints(maxWords: 40, requiredWords: ["salt", "moon"], forbiddenWords: ["blue"]))
        #expect(WritingConstraints(parsing: "at least 100 words please").minWords == 100)
        #expect(WritingConstraints(parsing: "a 50 words story") == WritingConstraints(minWords: 45, maxWords: 55))
        #expect(WritingConstraints(parsing: "Never use \"very\".").forbiddenWords == ["very"])
        #expect(WritingConstraints(parsing: "Tell me about the house.").isEmpty)
    }

    @Test("violations are found by code")
    func violations() {
        let c = WritingConstraints(minWords: 3, maxWords: 5, requiredWords: ["Moon"], forbiddenWords: ["blue"])
        #expect(c.violations(of: "The moon is up.") == [])
        #expect(
            c.violations(of: "Blue sky") == [
                "has 2 words, needs at least 3", "does not contain the word \"Moon\"",
                "contains the forbidden word \"blue\": remove it or use another word",
            ])
        #expect(c.violations(of: "the sun the sun the sun moon").first == "has 7 words, needs at most 5")
    }

    @Test("the writer picks the best candidate and refines it until the constraints hold")
    func refinesUntilConstraintsHold() async {
        let clock = ManualClock()
        let model = ScriptedModel(name: "m", clock: clock) { request, _ in
            switch request.sampling.seed {
            case 1?: return .init("The sea is blue and wide and deep and old")
            case 2?: return .init("Salt on the wind")
            case 3?: return .init("Waves")
            default: return .init("Salt and moon over the sea")
            }
        }
        let request = "A line about the sea in at most 8 words. Include the words \"salt\" and \"moon\"."
        let costs = CostBook([
            CostModel(model: "m", prefillTokensPerSecond: 1e9, decodeTokensPerSecond: 1000, observations: 1)
        ])
        let writer = Writer.agent(for: request, model: model, costs: costs, clock: clock)
        let result = await writer.run(request, deadline: .after(.seconds(3), on: clock))
        #expect(result.steps.map(\.kind) == [.bestOfN, .refine, .verify])
        #expect(result.steps[0].output == "Salt on the wind")  // 2 of 3 checks: the best candidate
        #expect(result.steps[1].prompt.contains("does not contain the word \"moon\""))
        #expect(result.answer == "Salt and moon over the sea")
        #expect(result.outcome == .complete)
        #expect(result.stopReason == .verified)
        guard case .messages(let messages)? = model.requests.first?.prompt else {
            Issue.record("no messages")
            return
        }
        #expect(messages[0].content.contains("Constraints: at most 8 words; use the words \"salt\", \"moon\"."))
    }
}
