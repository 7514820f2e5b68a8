import RefineryCore
import Foundation
import Testing
import RefineryTesting
import RefineryInference

/// Reference answers from llama.cpp (scripts/reference/engine_reference.py).
struct EngineReference: Decodable {
    struct Case: Decodable {
        var prompt: String
        var prompt_tokens: [Int32]
        var tokens: [Int32]
        var text: String
        var top_logits: [[Double]]
        /// llama.cpp's leading logit minus the next at each generated token.
        var margins: [Double]
    }
    var model: String
    var eos: Int32
    var cases: [Case]

    static func load(_ model: String) throws -> EngineReference {
        let url = try #require(Bundle.module.url(forResource: model, withExtension: "json", subdirectory: "Fixtures/engine"))
        return try JSONDecoder().decode(EngineReference.self, from: Data(contentsOf: url))
    }
}

/// Greedy tokens and first-position logits against llama.cpp on the real models.
@Suite("Generation matches llama.cpp", .serialized)
struct GenerationReferenceTests {
    static func engine(_ name: String) throws -> InferenceEngine? {
        guard let path = TestModels.path(name) else {
            print("skipping \(name): \(TestModels.missingReason(name))")
            return nil
        }
        return try InferenceEngine(path: path, options: .init(contextLength: 512))
    }

    static func greedy(_ engine: InferenceEngine, _ prompt: [Int32], eos: Int32, count: Int = 32) async throws -> [Int32] {
        var out: [Int32] = []
        let options = GenerationOptions(sampling: .greedy, maxTokens: count, stopTokens: [eos])
        for try await event in engine.generate(prompt: prompt, options: options) {
            if case .tokens(let ids, _) = event { out += ids }
        }
        return out
    }

    /// The logits of the last prompt position.
    static func lastLogits(_ engine: InferenceEngine, _ prompt: [Int32]) async throws -> [Float] {
        try await engine.withExclusiveAccess { transformer in
            let sequence = KVSequence(cache: transformer.cache)
            try sequence.reserve(upTo: prompt.count)
            var batch = ForwardBatch()
            batch.append(prompt, to: sequence, startingAt: 0, logitsForLast: true)
            return Array(try transformer.forward(batch))
        }
    }

    /// KL(llama.cpp ‖ ours) over llama.cpp's top tokens at a position: both distributions restricted
    /// to those tokens and renormalized (the fixtures keep llama.cpp's top 10 logits, not the whole
    /// vocabulary; `refinery perplexity --kl-divergence-base` measures the whole distribution).
    static func topKLDivergence(reference: [[Double]], logits: [Float]) -> Double {
        let theirs = reference.map { $0[1] }
        let ours = reference.map { Double(logits[Int($0[0])]) }
        func logSoftmax(_ v: [Double]) -> [Double] {
            let m = v.max()!
            let normalizer = m + log(v.map { exp($0 - m) }.reduce(0, +))
            return v.map { $0 - normalizer }
        }
        let p = logSoftmax(theirs), q = logSoftmax(ours)
        return zip(p, q).map { exp($0) * ($0 - $1) }.reduce(0, +)
    }

    /// `minimumEqual` prompts must give llama.cpp's first 32 greedy tokens, and every other one must
    /// part from them only where llama.cpp's own two leading logits were closer than `nearTie`; at
    /// the first position, the top-10 logits must lie within `logitTolerance` of llama.cpp's and the
    /// distribution over them within `maximumKLD` of llama.cpp's
    /// (``topKLDivergence(reference:logits:)``). Our arithmetic sums in the order fastest here, not
    /// llama.cpp's (llama.cpp's own back ends do not agree bit for bit either), so near-ties can go
    /// either way: llama.cpp's own logits move by up to 0.61 (SmolLM2), 0.35 (Gemma 3) and 0.21
    /// (Qwen2.5) between evaluating a prompt in one batch and token by token, and that spread is
    /// each model's `nearTie`.
    func check(_ name: String, minimumEqual: Int, nearTie: Double, logitTolerance: Double = 1.0, maximumKLD: Double = 0.01) async throws {
        guard let engine = try Self.engine(name) else { return }
        let reference = try EngineReference.load(name)
        var equal = 0
        var worst: Double = 0
        var worstKLD: Double = 0
        for item in reference.cases {
            let tokens = try await Self.greedy(engine, item.prompt_tokens, eos: reference.eos)
            let n = min(32, item.tokens.count)
            let same = Array(tokens.prefix(n)) == Array(item.tokens.prefix(n))
            if same {
                equal += 1
            } else {
                let parting = zip(tokens.prefix(n), item.tokens.prefix(n)).prefix { $0 == $1 }.count
                let margin = parting < item.margins.count ? item.margins[parting] : .infinity
                print("\(name): parts from llama.cpp at token \(parting), where llama.cpp's leading logit was \(margin) ahead")
                #expect(margin < nearTie, "\(name) parts from llama.cpp's tokens where llama.cpp's margin was \(margin), not a near-tie")
            }
            let logits = try await Self.lastLogits(engine, item.prompt_tokens)
            for pair in item.top_logits {
                worst = max(worst, abs(Double(logits[Int(pair[0])]) - pair[1]))
            }
            worstKLD = max(worstKLD, Self.topKLDivergence(reference: item.top_logits, logits: logits))
            print("\(name): \(same ? "same" : "DIFFERENT") \(tokens.prefix(12)) vs \(item.tokens.prefix(12))")
        }
        print("\(name): \(equal)/\(reference.cases.count) prompts give llama.cpp's first 32 greedy tokens; largest top-10 logit difference at the first position \(worst), largest top-10 KL divergence \(worstKLD)")
        #expect(equal >= minimumEqual)
        #expect(worst < logitTolerance)
        #expect(worstKLD < maximumKLD)
    }

    /// SmolLM2 meets 3 of 5 as llama.cpp itself does: evaluating the same prompts token by token
    /// instead of in one batch, llama.cpp reproduces its own batched greedy tokens on 3 of 5
    /// (scripts/reference/engine_self_consistency.py). The two others part where the two leading
    /// logits are closer than llama.cpp's own batch-versus-sequential spread.
    @Test("SmolLM2-135M: greedy tokens equal llama.cpp's on at least 3 of 5 chat prompts, the others part at near-ties; top-10 distribution close")
    func smolLM2() async throws { try await check(TestModels.smolLM2, minimumEqual: 3, nearTie: 0.61) }

    @Test("Qwen2.5-Coder-0.5B: greedy tokens equal llama.cpp's on at least 4 of 5 chat prompts, the other parts at a near-tie")
    func qwen() async throws { try await check(TestModels.qwen05, minimumEqual: 4, nearTie: 0.21, logitTolerance: 0.5) }

    /// Gemma 3 meets 3 of 5; llama.cpp token by token meets 4 of 5 against itself. The two others
    /// part where llama.cpp's leading logit was 0.20 and 0.09 ahead (Gemma's Q4_K rows sum each
    /// block exactly, then one float per row, as the tiled prefill kernel needs; the KL divergence
    /// from llama.cpp on GPL-3 is the same as before it, 0.0063).
    @Test("Gemma 3 270M: greedy tokens equal llama.cpp's on at least 3 of 5 text prompts, the others part at near-ties")
    func gemma() async throws { try await check(TestModels.gemma3, minimumEqual: 3, nearTie: 0.35) }
}
