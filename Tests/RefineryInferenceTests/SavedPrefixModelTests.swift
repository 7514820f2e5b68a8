import Foundation
import RefineryCore
import Testing
@testable import RefineryInference

/// A prefix saved by one SmolLM2 engine and loaded by another gives the logits and tokens of
/// computing it (skipped when the model is not installed).
@Suite("Saved prompt prefixes on SmolLM2", .serialized)
struct SavedPrefixModelTests {
    static func modelPath() -> String? {
        TemplateGGUFTests.modelsDirectories().map { $0.appendingPathComponent("smollm2-135m-instruct.gguf").path }
            .first { FileManager.default.fileExists(atPath: $0) }
    }

    static let system = String(repeating: """
        You are a careful assistant. You answer in plain English, you check every number you give, \
        and you say so when you do not know. Tools: calculator(expression: string) evaluates arithmetic; \
        search(query: string) looks a fact up. Call a tool with its JSON arguments on one line.\n
        """, count: 4)

    static func prompt(_ model: InferenceModel, question: String) -> [Int32] {
        model.promptTokens("<|im_start|>system\n\(system)<|im_end|>\n<|im_start|>user\n\(question)<|im_end|>\n<|im_start|>assistant\n")
    }

    /// Logits of positions `first..<tokens.count` after feeding `tokens[start...]` onto `kv`.
    static func logits(_ t: Transformer, _ kv: KVSequence, _ tokens: [Int32], from start: Int, first: Int) throws -> [[Float]] {
        try kv.reserve(upTo: tokens.count)
        var batch = ForwardBatch()
        let index = batch.addSequence(kv)
        for position in start..<tokens.count {
            batch.add(token: tokens[position], position: position, sequence: index, logits: position >= first)
        }
        let out = try t.forward(batch)
        let v = t.config.vocabularySize
        return (0..<(tokens.count - first)).map { Array(out[($0 * v)..<(($0 + 1) * v)]) }
    }

    static func klDivergence(_ p: [Float], _ q: [Float]) -> Double {
        func logSoftmax(_ row: [Float]) -> [Double] {
            let m = Double(row.max()!)
            let z = m + log(row.reduce(0.0) { $0 + exp(Double($1) - m) })
            return row.map { Double($0) - z }
        }
        let (lp, lq) = (logSoftmax(p), logSoftmax(q))
        return zip(lp, lq).reduce(0.0) { $0 + exp($1.0) * ($1.0 - $1.1) }
    }

    @Test("logits after a loaded prefix match computing it (same top token, KL ≈ 0), and so do greedy tokens")
    func faithful() async throws {
        guard let path = Self.modelPath() else {
            print("skipping: smollm2-135m-instruct.gguf not found (set REFINERY_TEST_MODELS_DIR)")
            return
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("refinery-prefixes-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let saved = SavedPrefixOptions(folder: folder, minimumTokens: 128)
        let writer = try InferenceModel(path: path, options: .init(threads: 2, contextLength: 1024, savedPrefixes: saved))
        let firstPrompt = Self.prompt(writer, question: "What is 12 times 7?")
        #expect(firstPrompt.count > 256)
        for try await _ in writer.generate(prompt: firstPrompt, options: .init(sampling: .greedy, maxTokens: 1)) {}
        writer.engine.waitForSavedPrefixes()
        #expect(writer.engine.savedPrefixCounters?.savedFiles == 1)

        let reader = try InferenceModel(path: path, options: .init(threads: 2, contextLength: 1024, savedPrefixes: saved))
        let fresh = try InferenceModel(path: path, options: .init(threads: 2, contextLength: 1024, prefixCacheTokens: 0))
        let next = Self.prompt(reader, question: "Name the capital of France, and spell it backwards.")
        let store = try #require(reader.engine.savedPrefixStore)
        let (loaded, start) = try await reader.engine.withExclusiveAccess { t -> ([[Float]], Int) in
            guard let match = store.bestMatch(next) else { throw ModelError.emptyPrompt }
            let kv = KVSequence(cache: t.cache)
            let start = match.blocks * t.cache.blockSize
            try kv.reserve(upTo: start)
            guard store.load(match.entry, blocks: 0..<match.blocks, into: kv) else { throw ModelError.emptyPrompt }
            kv.length = start
            return (try Self.logits(t, kv, next, from: start, first: start), start)
        }
        #expect(start >= 256 && next.count - start <= 64, "prefix \(start) of \(next.count)")
        let computed = try await fresh.engine.withExclusiveAccess { t in
            try Self.logits(t, KVSequence(cache: t.cache), next, from: 0, first: start)
        }
        #expect(loaded.count == computed.count)
        var worst = 0.0
        for (a, b) in zip(computed, loaded) {
            #expect(a.indices.max { a[$0] < a[$1] } == b.indices.max { b[$0] < b[$1] })
            worst = max(worst, Self.klDivergence(a, b))
        }
        print("saved prefix: \(start) positions loaded, \(loaded.count) rows, worst KL \(worst)")
        #expect(worst < 1e-6)

        let options = GenerationOptions(sampling: .greedy, maxTokens: 24)
        let (tokens, stats) = try await EngineGenerationTests.run(reader.engine, next, options)
        let (reference, _) = try await EngineGenerationTests.run(fresh.engine, next, options)
        #expect(stats.cachedTokens >= 256)
        #expect(tokens == reference)
    }
}
