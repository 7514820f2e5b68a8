import RefineryCore
import Foundation
import Refinery
import RefineryTesting
import Testing

/// Why a 3 s deadline planned no refinement on SmolLM2, and what fixes it: measured figures
/// (calibration), batched candidates not teaching single-sequence speed, cut-off generations
/// teaching only their decode rate, and rewrites planned at their expected length.
@Suite("Cost calibration and learning", .timeLimit(.minutes(1)))
struct BudgetCalibrationTests {
    /// The writer's plan for a 40-word request: 80-token cap, up to 3 candidates, a 1 ms check.
    let writer = PlanningInput(
        promptTokens: 60, draftTokens: 80, critiqueTokens: 120, refineTokens: 80, maxRounds: 3, maxCandidates: 3,
        hasCritique: false, verifierTime: .milliseconds(1))

    @Test("on SmolLM2's measured figures a 3 s deadline plans best-of-3 and two refinement rounds")
    func calibratedPlan() {
        // What `refinery calibrate` measures on this machine kind (2 cores).
        let measured = CostModel(
            model: "smol", prefillTokensPerSecond: 480, decodeTokensPerSecond: 170, timeToFirstToken: 0.005,
            perCallOverhead: 0.002, observations: 1)
        let plan = LatencyPlanner(models: ["smol"], costs: CostBook([measured]), batchingModels: ["smol"])
            .plan(writer, remaining: .milliseconds(2860), reason: "start")
        #expect(plan.candidates == 3)
        #expect(plan.rounds == 2)
        #expect(plan.steps.map(\.kind) == [.bestOfN, .verify, .refine, .verify, .refine, .verify])
        // The unmeasured defaults (40 tokens/s) leave no round at all: hence the calibration.
        let guessed = LatencyPlanner(models: ["smol"], costs: CostBook(), batchingModels: ["smol"])
            .plan(writer, remaining: .milliseconds(2860), reason: "start")
        #expect(guessed.rounds == 0)
    }

    @Test("a rewrite is planned at about the answer's length, not at its token cap")
    func refineAtAnswerLength() {
        let costs = CostBook([AgentTesting.cost("m", tokensPerSecond: 100)])
        var state = writer
        state.maxCandidates = 1
        state.draftDone = true
        state.currentChecked = true
        state.answerTokens = 40
        let plan = LatencyPlanner(models: ["m"], costs: costs).plan(state, remaining: .seconds(5), reason: "after verify")
        #expect(plan.steps.first?.kind == .refine)
        #expect(plan.steps.first?.maxTokens == 80)  // the cap stays
        // 50 tokens (40 + a quarter) at 100/s
        #expect(abs((plan.steps.first?.estimate ?? .zero).inSeconds - 0.5) < 1e-6)
    }

    @Test("calibration measures decode speed and first-token time, and asks for what it measures")
    func calibration() async throws {
        let model = ScriptedModel(name: "m") { _, _ in
            AgentTesting.slow("x", chunks: 64, delay: .milliseconds(2))
        }
        let cost = try await CostCalibration(promptTokens: 128, generatedTokens: 32).measure(model)
        #expect(cost.model == "m")
        #expect(cost.observations == 1)
        // The scripted model reports 2 ms of decode per token: 500 tokens/s.
        #expect(abs(cost.decodeTokensPerSecond - 500) < 1e-6)
        #expect(cost.timeToFirstToken > 0 && cost.timeToFirstToken < 1)
        #expect(model.requests.map(\.maxTokens) == [2, 32, 1])  // warm-up, measured, first token
        let prompt = ScriptedModel.promptTokens(model.requests[1])
        #expect(prompt >= 128 && prompt < 128 + 20)
        #expect(model.requests.allSatisfy { $0.sampling.isGreedy })
    }

    @Test("calibration refuses a model that stops at once, and reports one that fails")
    func calibrationErrors() async {
        let silent = ScriptedModel(name: "quiet", texts: ["."])
        await #expect(throws: CalibrationError.tooShort) { try await CostCalibration().measure(silent) }
        let broken = ScriptedModel(name: "broken", replies: [.failure(ScriptedModelError(message: "down"))])
        await #expect(throws: CalibrationError.failed) { try await CostCalibration().measure(broken) }
    }

    @Test("a calibrated figure is recorded in the book and its store, and counts as measured")
    func recordAndLazyUse() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "refinery-calibration-\(UUID().uuidString)"
        ).path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let book = CostBook(store: CostModelStore(folder: folder))
        #expect(!book.isMeasured("m"))
        try book.record(CostModel(model: "m", decodeTokensPerSecond: 321, observations: 1))
        #expect(book.isMeasured("m"))
        let reloaded = CostBook(store: CostModelStore(folder: folder))
        #expect(reloaded.isMeasured("m"))
        #expect(reloaded.cost(for: "m").decodeTokensPerSecond == 321)
    }

    @Test("best-of-N candidates sharing a batch do not teach the single-sequence figures")
    func batchedCandidatesDoNotLearn() async {
        let clock = ManualClock()
        let model = ScriptedModel(name: "m", clock: clock) { request, _ in .init("answer \(request.sampling.seed ?? 0)") }
        let costs = CostBook([AgentTesting.cost("m")])
        let context = AgentTesting.context([model], clock: clock, costs: costs)
        _ = await BestOfN(maxCandidates: 3).run(
            3, draft: Draft(), instructions: "", input: "q", maxTokens: 20, verifiers: [Verify("any") { _, _ in .pass }],
            deadline: .after(.seconds(1), on: clock), in: context)
        #expect(costs.cost(for: "m").observations == 1)
        _ = await BestOfN(maxCandidates: 3).run(
            1, draft: Draft(), instructions: "", input: "q", maxTokens: 20, verifiers: [],
            deadline: .after(.seconds(1), on: clock), in: context)
        #expect(costs.cost(for: "m").observations == 2)  // one candidate alone is a plain draft
    }

    @Test("a generation cut off at its deadline teaches only its decode rate")
    func cutOffTeachesDecodeOnly() async {
        let clock = ManualClock()
        let model = ScriptedModel(
            name: "m", replies: [AgentTesting.slow("w", chunks: 10, delay: .milliseconds(100))], clock: clock)
        let costs = CostBook([AgentTesting.cost("m", tokensPerSecond: 100, smoothing: 0.5)])
        let context = AgentTesting.context([model], clock: clock, costs: costs)
        let task = Task {
            await StepGenerator.generate(
                .chat([.user("go")], maxTokens: 20), in: context, deadline: .after(.milliseconds(450), on: clock))
        }
        for _ in 0..<4 { await clock.advance(by: .milliseconds(100), afterSleepers: 2) }
        await clock.advance(by: .milliseconds(50), afterSleepers: 2)
        let result = await task.value
        #expect(result.status == .cutOff)
        let cost = costs.cost(for: "m")
        // Chunks at 100…400 ms: 3 tokens in 300 ms after the first, 10/s → 100 + 0.5 * (10 - 100).
        #expect(abs(cost.decodeTokensPerSecond - 55) < 1e-6)
        #expect(cost.perCallOverhead == 0)  // the time before the first token is not taken for overhead
        #expect(cost.timeToFirstToken == 0)
    }
}
