import Foundation
import Refinery
import RefineryCore
@testable import RefineryInference
import Testing

/// Compositions on the real engine (SmolLM2): concurrent branches share its batches, and a
/// cancelled loop frees its sequences.
@Suite("Compositions on SmolLM2", .serialized, .timeLimit(.minutes(2)))
struct CompositionEngineTests {
    @Test("concurrent branches on one local model decode in one batch")
    func concurrentBatch() async throws {
        guard let model = try LocalModelTests.model() else { return }
        let draft = Draft(maxTokens: 24, sampling: .greedy)
        let branches = Concurrent<Answer, Answer>([draft, draft, draft])
        let context = StepContext.standalone(models: [model], timeout: .seconds(60))
        let before = model.model.engine.schedulerStatistics
        let result = await branches.run(Answer(task: "Name a fruit."), in: context)
        let after = model.model.engine.schedulerStatistics
        #expect(result.output?.compactMap { $0 }.count == 3)
        #expect(after.largestBatch >= 3, "\(after)")
        #expect(after.sharedSteps > before.sharedSteps)
        // Greedy branches in one batch give the same answer each (batch invariance).
        #expect(Set(result.output?.compactMap { $0?.text } ?? []).count == 1)
    }

    @Test("cancelling a loop of drafts stops its generation: the engine frees the sequence")
    func cancelledLoopFreesSequences() async throws {
        guard let model = try LocalModelTests.model() else { return }
        let loop = Loop(maxIterations: 50, body: Draft(maxTokens: 400, sampling: .greedy))
        let context = StepContext.standalone(models: [model], timeout: .seconds(60))
        let task = Task { await loop.run(Answer(task: "Write a very long story about the sea."), in: context) }
        // Wait until the engine is decoding, then cancel.
        let started = ContinuousClock.now
        while model.model.engine.activeSequences == 0, started.duration(to: .now) < .seconds(20) {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(model.model.engine.activeSequences > 0)
        task.cancel()
        let result = await task.value
        #expect(result.status == .cutOff)
        #expect(result.records.first?.note == "stopped: cancelled")
        let cancelled = ContinuousClock.now
        while model.model.engine.activeSequences > 0, cancelled.duration(to: .now) < .seconds(2) {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(model.model.engine.activeSequences == 0)
    }
}
