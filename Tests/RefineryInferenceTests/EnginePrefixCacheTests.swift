import RefineryCore
import RefineryInferenceTesting
import Testing
@testable import RefineryInference
import RefineryTesting

/// The scheduler's prefix cache, earliest-deadline-first admission and queue bound, on a tiny
/// synthetic model.
@Suite("Engine prefix cache and admission (tiny model)")
struct EnginePrefixCacheTests {
    static func engine(context: Int = 256, maxSequences: Int = 4, cacheTokens: Int? = nil, prefixCacheTokens: Int? = nil,
                       maxQueued: Int = 256) throws -> InferenceEngine {
        var writer = TinyGGUFWriter(architecture: "llama")
        writer.weightType = .q8_0
        return try InferenceEngine(file: GGUFFile(bytes: writer.bytes()),
                                   options: .init(threads: 2, contextLength: context, maxSequences: maxSequences, cacheTokens: cacheTokens,
                                                  prefixCacheTokens: prefixCacheTokens, maxQueued: maxQueued))
    }

    static func run(_ engine: InferenceEngine, _ prompt: [Int32], maxTokens: Int = 16) async throws -> ([Int32], EngineStats) {
        try await EngineGenerationTests.run(engine, prompt, GenerationOptions(sampling: .greedy, maxTokens: maxTokens))
    }

    /// `count` token ids inside the tiny vocabulary, varied by `seed`.
    static func prompt(_ count: Int, seed: Int32 = 0) -> [Int32] {
        (0..<Int32(count)).map { 1 + ($0 &* 7 &+ seed &* 13) % 200 }
    }

    @Test("the same prompt again comes from the cache, up to its last full block, with the same tokens")
    func samePromptTwice() async throws {
        let engine = try Self.engine()
        let prompt = Self.prompt(70)
        let (first, firstStats) = try await Self.run(engine, prompt)
        let (second, secondStats) = try await Self.run(engine, prompt)
        #expect(firstStats.cachedTokens == 0)
        #expect(secondStats.cachedTokens == 64, "two full blocks of 32; the rest is fed")
        #expect(first == second)
    }

    @Test("a conversation's next turn reuses the previous turn's prompt and reply")
    func continuation() async throws {
        let engine = try Self.engine()
        let uncached = try Self.engine(prefixCacheTokens: 0)
        let prompt = Self.prompt(40)
        let (reply, _) = try await Self.run(engine, prompt, maxTokens: 30)
        let next = prompt + reply + [5, 6, 7]
        let (tokens, stats) = try await Self.run(engine, next)
        // 40 prompt tokens + 29 fed replies = 69 positions: two full blocks.
        #expect(stats.cachedTokens == 64)
        let (reference, referenceStats) = try await Self.run(uncached, next)
        #expect(referenceStats.cachedTokens == 0)
        #expect(tokens == reference, "cached keys and values give the same tokens as computing them")
    }

    @Test("a prompt that only shares a partial block, or differs early, is not served from the cache")
    func differentPrefix() async throws {
        let engine = try Self.engine()
        _ = try await Self.run(engine, Self.prompt(70))
        var changed = Self.prompt(70)
        changed[3] = 199
        let (_, stats) = try await Self.run(engine, changed)
        #expect(stats.cachedTokens == 0)
        let (_, short) = try await Self.run(engine, Array(Self.prompt(70).prefix(32)))
        #expect(short.cachedTokens == 0, "the last token is always fed, so a one-block prompt feeds it all")
    }

    @Test("a small pool evicts cached prefixes instead of failing new requests")
    func evictsWhenFull() async throws {
        // Four blocks of 32 positions, one sequence at a time: every request needs three.
        let engine = try Self.engine(context: 128, maxSequences: 1, cacheTokens: 128)
        for seed in 0..<6 {
            let (tokens, stats) = try await Self.run(engine, Self.prompt(70, seed: Int32(seed)), maxTokens: 10)
            #expect(tokens.count == 10)
            #expect(stats.cachedTokens == 0)
        }
        let (_, again) = try await Self.run(engine, Self.prompt(70, seed: 5), maxTokens: 4)
        #expect(again.cachedTokens == 64, "the most recent prompt is still cached")
    }

    @Test("requests are admitted earliest deadline first, then in arrival order")
    func earliestDeadlineFirst() {
        let now = ContinuousClock.now
        func sequence(_ deadline: Duration?) -> ActiveSequence {
            let (_, continuation) = AsyncThrowingStream<EngineEvent, any Error>.makeStream()
            return ActiveSequence(prompt: [1], options: GenerationOptions(deadline: deadline.map { now + $0 }), vocabularySize: 10,
                                  continuation: continuation)
        }
        #expect(Scheduler.earliestDeadline(in: [sequence(nil), sequence(nil)]) == 0)
        #expect(Scheduler.earliestDeadline(in: [sequence(nil), sequence(.seconds(2)), sequence(.seconds(1))]) == 2)
        #expect(Scheduler.earliestDeadline(in: [sequence(.seconds(1)), sequence(nil), sequence(.seconds(1))]) == 0)
        #expect(Scheduler.earliestDeadline(in: [sequence(.seconds(3)), sequence(.milliseconds(10))]) == 1)
    }

    @Test("beyond the queue bound a request fails at once with queueFull")
    func queueBound() async throws {
        let engine = try Self.engine(context: 2048, maxSequences: 1, maxQueued: 1)
        let long = GenerationOptions(sampling: .greedy, maxTokens: 2000)
        var running = engine.generate(prompt: [1, 2, 3], options: long).makeAsyncIterator()
        _ = try await running.next() // admitted: the only batch place is taken
        let waiting = engine.generate(prompt: [4, 5, 6], options: long)
        let rejected = engine.generate(prompt: [7, 8, 9], options: long)
        let error = await #expect(throws: ModelError.self) {
            for try await _ in rejected {}
        }
        #expect(error?.isQueueFull == true)
        _ = waiting
    }
}
