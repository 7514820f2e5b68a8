import RefineryCore
import RefineryInferenceTesting
import Foundation
import Testing
import RefineryInference
import RefineryTesting

/// Perplexity by llama.cpp's method: on a tiny model against a direct computation, and on the
/// real models against llama.cpp's figures on Debian's GPL-3 text at a 512-token context.
@Suite("Perplexity", .serialized)
struct PerplexityTests {
    static let gpl3 = "/usr/share/common-licenses/GPL-3"
    /// llama.cpp's perplexities (llamacpp_ref.py perplexity MODEL GPL-3 --ctx 512), measured here.
    static let reference: [String: Double] = [TestModels.smolLM2: 18.354, TestModels.qwen05: 5.310, TestModels.gemma3: 13.925]

    @Test("chunks of the context size, second half scored, BOS replacing each chunk's first token")
    func method() async throws {
        var writer = TinyGGUFWriter(architecture: "qwen2")
        writer.weightType = .q8_0
        let engine = try InferenceEngine(file: GGUFFile(bytes: writer.bytes()), options: .init(threads: 2, contextLength: 64))
        let tokens: [Int32] = (0..<70).map { Int32(($0 * 37 + 11) % 256) }
        let result = try await engine.perplexity(tokens: tokens, contextLength: 32, bos: 256)
        #expect(result.chunks == 2 && result.scoredTokens == 2 * 15)
        // The same by hand: every position's logits, log-softmax in double.
        var nll: Double = 0
        for chunk in 0..<2 {
            var ids = Array(tokens[(chunk * 32)..<((chunk + 1) * 32)])
            ids[0] = 256
            let frozen = ids
            let rows = try await engine.withExclusiveAccess { t -> [[Float]] in
                let sequence = KVSequence(cache: t.cache)
                try sequence.reserve(upTo: 32)
                var batch = ForwardBatch()
                let index = batch.addSequence(sequence)
                for (i, token) in frozen.enumerated() { batch.add(token: token, position: i, sequence: index, logits: true) }
                let out = try t.forward(batch)
                let v = t.config.vocabularySize
                return (0..<32).map { Array(out[($0 * v)..<(($0 + 1) * v)]) }
            }
            for j in 16..<31 {
                let row = rows[j].map(Double.init)
                let m = row.max()!
                nll += m + log(row.map { exp($0 - m) }.reduce(0, +)) - row[Int(ids[j + 1])]
            }
        }
        #expect(abs(result.perplexity - exp(nll / 30)) < 1e-9 * result.perplexity)
    }

    static func check(_ name: String) async throws {
        guard let path = TestModels.path(name) else {
            print("skipping \(name): \(TestModels.missingReason(name))")
            return
        }
        guard let data = FileManager.default.contents(atPath: gpl3) else {
            print("skipping perplexity: \(gpl3) is absent (Debian's base-files)")
            return
        }
        let model = try InferenceModel(path: path, options: .init(contextLength: 512))
        var tokens = model.tokenizer.encode(Array(data), addSpecial: false, parseSpecial: false)
        let bos = model.tokenizer.addsBOS ? model.tokenizer.bosID : nil
        if let bos { tokens.insert(bos, at: 0) }
        let start = ContinuousClock.now
        let result = try await model.engine.perplexity(tokens: tokens, contextLength: 512, bos: bos)
        let expected = try #require(reference[name])
        print("\(name): perplexity \(result.perplexity) on GPL-3 at ctx 512 (llama.cpp \(expected)), \(result.chunks) chunks in \(start.duration(to: .now))")
        #expect(abs(result.perplexity - expected) / expected < 0.01)
    }

    @Test("SmolLM2-135M: within 1% of llama.cpp's 18.354")
    func smolLM2() async throws { try await Self.check(TestModels.smolLM2) }

    /// Minutes on two cores: run with REFINERY_LONG_TESTS=1.
    @Test("Qwen2.5-Coder-0.5B and Gemma 3 270M: within 1% of llama.cpp's 5.310 and 13.925",
          .enabled(if: ProcessInfo.processInfo.environment["REFINERY_LONG_TESTS"] == "1"))
    func largerModels() async throws {
        try await Self.check(TestModels.qwen05)
        try await Self.check(TestModels.gemma3)
    }
}
