import RefineryCore
import RefineryInferenceTesting
import Foundation
import Testing
import RefineryInference
import RefineryTesting

/// The engine's generation API on a tiny synthetic model: events, stats, limits, sampling
/// reproducibility, concurrent requests and cancellation.
@Suite("Engine generation (tiny model)")
struct EngineGenerationTests {
    static func engine(context: Int = 64, maxSequences: Int = 4) throws -> InferenceEngine {
        var writer = TinyGGUFWriter(architecture: "llama")
        writer.weightType = .q8_0
        return try InferenceEngine(file: GGUFFile(bytes: writer.bytes()),
                                   options: .init(threads: 2, contextLength: context, maxSequences: maxSequences))
    }

    /// Whether no sequence still holds a block: the prefix cache may keep the full blocks of a
    /// finished or cancelled generation, so its unused entries are evicted before counting.
    static func everyBlockReclaimable(_ engine: InferenceEngine) async throws -> Bool {
        try await engine.withExclusiveAccess { transformer in
            transformer.cache.reclaim(free: transformer.cache.blockCount)
            return transformer.cache.freeBlockCount == transformer.cache.blockCount
        }
    }

    static func run(_ engine: InferenceEngine, _ prompt: [Int32], _ options: GenerationOptions) async throws -> ([Int32], EngineStats) {
        var tokens: [Int32] = []
        var stats: EngineStats?
        for try await event in engine.generate(prompt: prompt, options: options) {
            switch event {
            case .tokens(let ids, _): tokens += ids
            case .finished(let s): stats = s
            }
        }
        return (tokens, try #require(stats))
    }

    @Test("a generation streams tokens and ends with its stats")
    func stats() async throws {
        let engine = try Self.engine()
        let (tokens, stats) = try await Self.run(engine, [256, 10, 20, 30], GenerationOptions(sampling: .greedy, maxTokens: 12))
        #expect(tokens.count == 12)
        #expect(stats.finishReason == .length)
        #expect(stats.promptTokens == 4 && stats.generatedTokens == 12)
        #expect(stats.prefillTime > .zero && stats.decodeTime > .zero)
    }

    @Test("greedy output matches the forward pass's argmax, and a stop token ends it unseen")
    func greedyAndStop() async throws {
        let engine = try Self.engine()
        let (tokens, _) = try await Self.run(engine, [256, 1, 2, 3], GenerationOptions(sampling: .greedy, maxTokens: 8))
        let stop = tokens[3]
        let (cut, stats) = try await Self.run(engine, [256, 1, 2, 3], GenerationOptions(sampling: .greedy, maxTokens: 8, stopTokens: [stop]))
        #expect(Array(tokens.prefix(while: { $0 != stop })) == cut)
        #expect(stats.finishReason == .stop)
    }

    @Test("the same seed gives the same sampled tokens")
    func seeded() async throws {
        let engine = try Self.engine()
        let sampling = SamplingParameters(temperature: 1.5, topK: 0, topP: 1, minP: 0, seed: 1234)
        let (a, statsA) = try await Self.run(engine, [256, 5, 6], GenerationOptions(sampling: sampling, maxTokens: 20))
        let (b, _) = try await Self.run(engine, [256, 5, 6], GenerationOptions(sampling: sampling, maxTokens: 20))
        #expect(a == b)
        #expect(statsA.seed == 1234)
    }

    @Test("concurrent requests are batched and give the same tokens as alone")
    func concurrent() async throws {
        let engine = try Self.engine()
        let prompts: [[Int32]] = [[256, 1, 2], [256, 9, 8, 7, 6, 5], [256, 40], [256, 100, 101, 102, 103]]
        var alone: [[Int32]] = []
        for prompt in prompts { alone.append(try await Self.run(engine, prompt, GenerationOptions(sampling: .greedy, maxTokens: 10)).0) }
        let together = try await withThrowingTaskGroup(of: (Int, [Int32]).self) { group in
            for (i, prompt) in prompts.enumerated() {
                group.addTask { (i, try await Self.run(engine, prompt, GenerationOptions(sampling: .greedy, maxTokens: 10)).0) }
            }
            var results = [[Int32]](repeating: [], count: prompts.count)
            for try await (i, tokens) in group { results[i] = tokens }
            return results
        }
        #expect(together == alone)
    }

    @Test("a prompt longer than the context gives a typed error")
    func promptTooLong() async throws {
        let engine = try Self.engine(context: 16)
        await #expect(throws: ModelError.promptTooLong(tokens: 20, context: 16)) {
            _ = try await Self.run(engine, [Int32](repeating: 65, count: 20), GenerationOptions())
        }
        await #expect(throws: ModelError.invalidToken(9999, vocabulary: TinyGGUFWriter.vocabularySize)) {
            _ = try await Self.run(engine, [256, 9999], GenerationOptions())
        }
    }

    @Test("generation stops at the context size")
    func contextLimit() async throws {
        let engine = try Self.engine(context: 16)
        let (tokens, stats) = try await Self.run(engine, [256, 1, 2, 3], GenerationOptions(sampling: .greedy))
        #expect(stats.finishReason == .length)
        #expect(tokens.count == 16 - 4)
    }

    @Test("a consumer that stops reading ends the generation within a token and frees its blocks")
    func cancellation() async throws {
        let engine = try Self.engine(context: 4096, maxSequences: 2)
        let started = ContinuousClock.now
        var seen = 0
        for try await event in engine.generate(prompt: [256, 1], options: GenerationOptions(sampling: .greedy, maxTokens: 4000)) {
            if case .tokens = event { seen += 1 }
            if seen == 3 { break }
        }
        // The scheduler drops the sequence before its next step; the next request runs at once
        // and the pool is whole again afterwards.
        let (next, _) = try await Self.run(engine, [256, 2], GenerationOptions(sampling: .greedy, maxTokens: 2))
        #expect(next.count == 2)
        #expect(ContinuousClock.now - started < .seconds(20))
        #expect(try await Self.everyBlockReclaimable(engine))
    }

    @Test("cancelling the consuming task stops the generation")
    func taskCancellation() async throws {
        let engine = try Self.engine(context: 4096)
        let counter = Counter()
        let task = Task {
            for try await event in engine.generate(prompt: [256, 3], options: GenerationOptions(sampling: .greedy, maxTokens: 4000)) {
                if case .tokens = event { await counter.increment() }
            }
        }
        while await counter.value < 2 { try await Task.sleep(for: .milliseconds(1)) }
        task.cancel()
        _ = await task.result
        let after = await counter.value
        try await Task.sleep(for: .milliseconds(100))
        #expect(await counter.value == after)
        #expect(after < 4000)
        #expect(try await Self.everyBlockReclaimable(engine))
    }

    actor Counter {
        var value = 0
        func increment() { value += 1 }
    }
}
