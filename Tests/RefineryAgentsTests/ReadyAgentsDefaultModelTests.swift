import RefineryCore
import RefineryInference
import Foundation
import Refinery
import RefineryAgents
import RefineryTesting
import Testing

/// Every ready agent on the default model (Qwen2.5-Coder-0.5B) with the CLI's 10 s deadline:
/// each must be right, as checked by code, on one input — and an answer it calls `complete`
/// must be the right one. Skipped when the model is not installed.
@Suite("ready agents on the default model", .serialized, .timeLimit(.minutes(5)))
struct ReadyAgentsDefaultModelTests {
    /// One input per agent, and how code tells a right answer.
    static let cases: [String: (input: String, isRight: @Sendable (String) -> Bool)] = [
        "math": ("What is 17 times 23?", { $0.hasSuffix("Answer: 391") }),
        "assistant": ("Use the calculator: what is 1234 * 5678?", { $0.replacingOccurrences(of: ",", with: "").contains("7006652") }),
        "extractor": (
            "On 3 March 2024, Maria Lopez signed a contract with Acme Corp in Madrid.",
            { Extractor.record(from: $0).map { $0.people.contains("Maria Lopez") && $0.places.contains("Madrid") } ?? false }
        ),
        "writer": (
            "Write one sentence about tea. Use the word 'amber'.",
            { WritingConstraints(minSentences: 1, maxSentences: 1, requiredWords: ["amber"]).violations(of: $0).isEmpty }
        ),
        "summarizer": (
            """
            The city council met on Monday to discuss the new bus network. Council members agreed to add 12 new \
            routes by next spring. The routes will connect the northern suburbs with the city centre. Residents \
            have asked for better buses for years. Work on new bus stops will begin in January.
            """,
            { WritingConstraints.words($0).count <= 18 && Summarizer.endsOnSentence($0) }
        ),
        "coder": (
            "def double(x):\n    \"\"\"Return twice x.\n    >>> double(2)\n    4\n    \"\"\"\n",
            { Coder.code(in: $0, prompt: "").contains("def double") }
        ),
    ]

    static let model: LocalModel? = TestModels.path(TestModels.defaultModel).flatMap { try? LocalModel(path: $0) }

    @Test("each ready agent gives a right answer, and calls it complete only when it is", arguments: ReadyAgents.all.map(\.name))
    func right(_ name: String) async throws {
        guard let model = Self.model else {
            print("skipped: \(TestModels.missingReason(TestModels.defaultModel))")
            return
        }
        let ready = try #require(ReadyAgents.named(name))
        let (input, isRight) = try #require(Self.cases[name])
        let costs = CostBook()
        await costs.calibrateIfNeeded(model)
        let result = await ready.make(input, model, costs).run(input, timeout: .seconds(10))
        #expect(isRight(result.answer), "\(name): \(result.outcome.rawValue): \(result.answer)")
        #expect(result.outcome == .complete, "\(name): \(result.timeline)")
    }
}
