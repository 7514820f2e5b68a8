import RefineryCore
import RefineryInferenceTesting
import Dispatch
import Foundation
import RefineryInference
import RefineryTesting
import Testing

/// Live sequences with a common prompt prefix share its keys and values (forks of one
/// prefill): the `n` choices of a request, or concurrent prompts with one system prompt.
@Suite("Engine shared prompt prefixes (tiny model)")
struct EngineSharedPrefixTests {
    /// An engine on the tiny model; the prefix cache of finished generations is off unless
    /// `prefixCache` says otherwise, so what is shared comes from live sequences.
    static func engine(maxSequences: Int = 4, prefixCache: Int = 0) throws -> InferenceEngine {
        var writer = TinyGGUFWriter(architecture: "llama")
        writer.weightType = .q8_0
        return try InferenceEngine(file: GGUFFile(bytes: writer.bytes()),
                                   options: .init(threads: 2, contextLength: 256, maxSequences: maxSequences, prefixCacheTokens: prefixCache))
    }

    static func collect(_ stream: AsyncThrowingStream<EngineEvent, any Error>) async throws -> ([Int32], EngineStats) {
        var tokens: [Int32] = []
        var stats: EngineStats?
        for try await event in stream {
            switch event {
            case .tokens(let ids, _): tokens += ids
            case .finished(let s): stats = s
            }
        }
        return (tokens, try #require(stats))
    }

    /// Submits every prompt while the scheduler is held between steps, so all are admitted in
    /// the same step, in order; returns each one's tokens and stats.
    static func together(
        _ engine: InferenceEngine, _ prompts: [[Int32]], _ options: GenerationOptions, first: GenerationOptions? = nil
    ) async throws -> [([Int32], EngineStats)] {
        let gate = DispatchSemaphore(value: 0)
        let held = DispatchSemaphore(value: 0)
        let hold = Task { try await engine.withExclusiveAccess { _ in held.signal(); gate.wait() } }
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                held.wait()
                continuation.resume()
            }
        }
        let streams = prompts.enumerated().map { i, prompt in
            engine.generate(prompt: prompt, options: i == 0 ? first ?? options : options)
        }
        gate.signal()
        try await hold.value
        var results: [([Int32], EngineStats)] = []
        for stream in streams { results.append(try await collect(stream)) }
        return results
    }

    static let prompt: [Int32] = [256] + (1...39).map { Int32($0 * 5 % 250) }

    @Test("choices of one prompt prefill it once and decode exactly as alone")
    func forksOfOnePrefill() async throws {
        let engine = try Self.engine()
        let options = GenerationOptions(sampling: .greedy, maxTokens: 12)
        let (alone, aloneStats) = try await Self.collect(engine.generate(prompt: Self.prompt, options: options))
        #expect(aloneStats.cachedTokens == 0)
        let results = try await Self.together(engine, [Self.prompt, Self.prompt, Self.prompt], options)
        for (tokens, _) in results { #expect(tokens == alone) }
        // The first prefills; the others share all but the last prompt token, fed again for their own logits.
        #expect(results.map(\.1.cachedTokens) == [0, Self.prompt.count - 1, Self.prompt.count - 1])
        #expect(results.allSatisfy { $0.1.promptTokens == Self.prompt.count })
        let free = try await engine.withExclusiveAccess { $0.cache.freeBlockCount }
        let total = try await engine.withExclusiveAccess { $0.cache.blockCount }
        #expect(free == total, "every shared block is released")
    }

    @Test("a prompt sharing most of a live prompt reuses that part and prefills only its own tail")
    func sharedPrefix() async throws {
        let engine = try Self.engine()
        let options = GenerationOptions(sampling: .greedy, maxTokens: 10)
        let other = Array(Self.prompt.prefix(30)) + [7, 7, 9, 11, 13, 17]
        let (aloneOther, _) = try await Self.collect(engine.generate(prompt: other, options: options))
        let (aloneFirst, _) = try await Self.collect(engine.generate(prompt: Self.prompt, options: options))
        let results = try await Self.together(engine, [Self.prompt, other], options)
        #expect(results[0].0 == aloneFirst)
        #expect(results[1].0 == aloneOther)
        #expect(results[0].1.cachedTokens == 0 && results[1].1.cachedTokens == 30)
    }

    @Test("with the prefix cache on, forks of a live prefill and cached blocks give the same tokens")
    func withPrefixCache() async throws {
        let engine = try Self.engine(prefixCache: 256)
        let options = GenerationOptions(sampling: .greedy, maxTokens: 12)
        // Holding the scheduler (an exclusive job) empties the prefix cache: the first prefills.
        let results = try await Self.together(engine, [Self.prompt, Self.prompt, Self.prompt], options)
        #expect(results.map(\.1.cachedTokens) == [0, Self.prompt.count - 1, Self.prompt.count - 1])
        #expect(Set(results.map(\.0)).count == 1)
        // Finished, they left the prompt's full block (32 positions) in the cache for the next one.
        let (later, stats) = try await Self.collect(engine.generate(prompt: Self.prompt, options: options))
        #expect(later == results[0].0)
        #expect(stats.cachedTokens == 32)
    }

    @Test("short common prefixes are not shared, and a follower whose source ends first prefills alone")
    func noShareAndEndedSource() async throws {
        let engine = try Self.engine()
        let options = GenerationOptions(sampling: .greedy, maxTokens: 8)
        let short = Array(Self.prompt.prefix(8)) + (0..<30).map { Int32(200 - $0) }
        let results = try await Self.together(engine, [Self.prompt, short], options)
        #expect(results.map(\.1.cachedTokens) == [0, 0])

        // The source ends (its one token) in the step that prefills it, freeing its blocks before
        // the waiting follower could fork them: the follower prefills alone and decodes as alone.
        let (alone, _) = try await Self.collect(engine.generate(prompt: Self.prompt, options: options))
        let pair = try await Self.together(
            engine, [Self.prompt, Self.prompt], options, first: GenerationOptions(sampling: .greedy, maxTokens: 1))
        #expect(pair[0].0.count == 1 && pair[0].0.first == alone.first)
        let (tokens, stats) = pair[1]
        #expect(tokens == alone)
        #expect(stats.cachedTokens == 0)
    }
}
