import RefineryCore
import Foundation
import Testing
import RefineryTesting

@testable import RefineryInference

/// Continuous batching: sequences that join a running batch and leave it at different steps
/// get exactly the greedy tokens they get alone.
@Suite("Engine batch joins and leaves")
struct EngineBatchJoinTests {
    @Test("sequences joining mid-generation and leaving early give the same greedy tokens as alone")
    func joinAndLeave() async throws {
        let engine = try EngineSpeculationTests.engine(context: 128, maxSequences: 4)
        let prompts: [[Int32]] = [[256, 3, 4, 5], [256, 50, 60], [256, 7, 7, 7, 7, 7, 7, 7, 7, 7], [256, 200, 1]]
        let caps = [40, 8, 25, 15]
        var alone: [[Int32]] = []
        for (prompt, cap) in zip(prompts, caps) {
            alone.append(try await EngineGenerationTests.run(engine, prompt, GenerationOptions(sampling: .greedy, maxTokens: cap)).0)
        }
        // The first sequence starts alone; each other joins once the first has streamed 5 × i tokens.
        let together = try await withThrowingTaskGroup(of: (Int, [Int32]).self) { group in
            let (firstStream, firstContinuation) = AsyncStream<Int>.makeStream()
            group.addTask {
                var tokens: [Int32] = []
                for try await event in engine.generate(prompt: prompts[0], options: GenerationOptions(sampling: .greedy, maxTokens: caps[0])) {
                    if case .tokens(let ids, _) = event {
                        tokens += ids
                        firstContinuation.yield(tokens.count)
                    }
                }
                firstContinuation.finish()
                return (0, tokens)
            }
            var joined = 1
            for await count in firstStream where joined < prompts.count && count >= 5 * joined {
                let i = joined
                joined += 1
                group.addTask {
                    (i, try await EngineGenerationTests.run(engine, prompts[i], GenerationOptions(sampling: .greedy, maxTokens: caps[i])).0)
                }
            }
            var results = [[Int32]](repeating: [], count: prompts.count)
            for try await (i, tokens) in group { results[i] = tokens }
            return results
        }
        #expect(together == alone)
    }
}
