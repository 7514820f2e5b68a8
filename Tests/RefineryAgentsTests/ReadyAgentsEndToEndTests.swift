import RefineryCore
import RefineryInference
import Foundation
import Refinery
import RefineryAgents
import RefineryTesting
import Testing

/// Every ready agent on the real SmolLM2 with a modest deadline. These check structure — an
/// outcome, steps recorded, the deadline kept — not the small model's quality.
@Suite("ready agents on SmolLM2", .serialized, .timeLimit(.minutes(5)))
struct ReadyAgentsEndToEndTests {
    /// How far past its deadline a run may answer: 250 ms in release (what `make test` builds);
    /// a debug engine's forward step, the unit cancellation waits for, is several times longer.
    #if DEBUG
    static let slack = Duration.milliseconds(600)
    #else
    static let slack = Duration.milliseconds(250)
    #endif

    static let inputs: [String: String] = [
        "writer": "Write one sentence about the sea. Use the word \"blue\". At most 20 words.",
        "math": "A shop sells 12 boxes with 6 apples each. How many apples is that?",
        "extractor": "Ada Lovelace met Charles Babbage in London in June 1833.",
        "summarizer": String(
            repeating: "The harbor opened in spring. Boats crowd the harbor while tourists visit the harbor market. ",
            count: 3),
        "coder": "def double(x):\n    \"\"\"Return twice x.\n    >>> double(2)\n    4\n    \"\"\"\n",
        "assistant": "What is 17 times 23?",
    ]

    /// One loaded model shared by the suite's tests.
    static let model: LocalModel? = TestModels.path(TestModels.smolLM2).flatMap { try? LocalModel(path: $0) }

    @Test("each ready agent answers within its deadline", arguments: ReadyAgents.all.map(\.name))
    func runs(_ name: String) async throws {
        guard let model = Self.model else {
            print("skipped: \(TestModels.missingReason(TestModels.smolLM2))")
            return
        }
        let ready = try #require(ReadyAgents.named(name))
        let input = try #require(Self.inputs[name])
        let deadline = Duration.seconds(4)
        let start = ContinuousClock.now
        let result = await ready.make(input, model, CostBook()).run(
            input, deadline: Deadline(start.advanced(by: deadline)), startedAt: start)
        #expect(!result.steps.isEmpty)
        #expect(result.elapsed <= deadline + Self.slack, "elapsed \(result.elapsed)")
        #expect(start.duration(to: .now) <= deadline + Self.slack)
        if [.complete, .refinedPartially, .draftOnly].contains(result.outcome) {
            #expect(!result.answer.isEmpty)
        }
        #expect(result.steps.allSatisfy { $0.elapsed <= deadline + Self.slack })
        let json = result.json()
        guard case .object(let fields) = json else {
            Issue.record("not an object")
            return
        }
        #expect(fields.map(\.key).starts(with: ["answer", "outcome"]))
    }
}
