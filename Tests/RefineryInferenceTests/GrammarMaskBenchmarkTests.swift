import RefineryCore
import Foundation
import RefineryInference
import RefineryTesting
import Testing

/// Mask cost on a real vocabulary (Qwen2.5's 151,936 tokens). Skips when the model is absent.
///
///     swift test -c release --filter GrammarMaskBenchmarkTests
@Suite("Grammar masks on Qwen2.5's vocabulary")
struct GrammarMaskBenchmarkTests {
    /// GPT-2's byte-level alphabet: each byte is shown as one printable Unicode scalar.
    static func byteDecoder() -> [UInt32: UInt8] {
        var printable: [Int] = Array(0x21...0x7E) + Array(0xA1...0xAC) + Array(0xAE...0xFF)
        var scalars = printable
        var n = 0
        for b in 0..<256 where !printable.contains(b) {
            printable.append(b)
            scalars.append(256 + n)
            n += 1
        }
        var map: [UInt32: UInt8] = [:]
        for (b, s) in zip(printable, scalars) { map[UInt32(s)] = UInt8(b) }
        return map
    }

    /// Token bytes by id (control tokens empty) and the end-of-generation ids.
    static func qwenVocabulary() throws -> (tokens: [[UInt8]], eog: Set<Int>)? {
        guard let path = TestModels.path(TestModels.qwen05) else {
            print("skipping: \(TestModels.missingReason(TestModels.qwen05))")
            return nil
        }
        let file = try GGUFFile.open(path: path)
        let strings = try #require(file.stringArray("tokenizer.ggml.tokens"))
        let types = file.intArray("tokenizer.ggml.token_type") ?? []
        let decoder = byteDecoder()
        var tokens: [[UInt8]] = []
        tokens.reserveCapacity(strings.count)
        var eog = Set<Int>()
        for (id, s) in strings.enumerated() {
            let type = id < types.count ? types[id] : 1
            if type == 3 {  // control
                tokens.append([])
                if s == "<|im_end|>" || s == "<|endoftext|>" { eog.insert(id) }
                continue
            }
            if type == 4 {  // user-defined: literal text
                tokens.append(Array(s.utf8))
                continue
            }
            tokens.append(s.unicodeScalars.map { decoder[$0.value] ?? 0 })
        }
        if let eos = file.int("tokenizer.ggml.eos_token_id") { eog.insert(eos) }
        return (tokens, eog)
    }

    static let extraction: JSONValue = [
        "type": "object",
        "properties": [
            "name": ["type": "string", "description": "full name"],
            "age": ["type": "integer", "minimum": 0, "maximum": 150],
            "email": ["type": "string", "format": "email"],
            "role": ["enum": ["engineer", "manager", "designer", "other"]],
            "skills": ["type": "array", "items": ["type": "string", "maxLength": 24], "maxItems": 6],
            "address": ["type": "object",
                        "properties": ["city": ["type": "string"], "zip": ["type": "string", "pattern": "\\d{5}"]],
                        "required": ["city"]],
            "remote": ["type": "boolean"],
        ],
        "required": ["name", "age", "role", "skills"],
    ]

    struct Stats: CustomStringConvertible {
        var samples: [Double]
        var description: String {
            let s = samples.sorted()
            guard !s.isEmpty else { return "no samples" }
            let mean = s.reduce(0, +) / Double(s.count)
            func q(_ p: Double) -> Double { s[min(s.count - 1, Int(Double(s.count) * p))] }
            return String(format: "n=%d mean %.3f ms, median %.3f ms, p90 %.3f ms, max %.3f ms", s.count, mean, q(0.5), q(0.9), s.last!)
        }
        var median: Double { samples.sorted()[samples.count / 2] }
    }

    static func milliseconds(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }

    /// Random walks choosing among allowed tokens, timing each mask. Returns (cold, warm):
    /// the first pass meets every state for the first time, the second replays the same tokens.
    static func measure(_ g: JSONSchemaGrammar, vocab: [[UInt8]], eog: Set<Int>, walks: Int, seed: UInt64)
        -> (cold: Stats, warm: Stats, documents: [String], builder: TokenMaskBuilder) {
        let builder = TokenMaskBuilder(vocabulary: vocab, eogTokens: eog)
        let clock = ContinuousClock()
        var rng = GrammarRNG(seed: seed)
        var cold: [Double] = []
        var warm: [Double] = []
        var documents: [String] = []
        for _ in 0..<walks {
            var m = g.makeMatcher()
            var chosen: [Int] = []
            var budget = 120
            var text: [UInt8] = []
            while budget > 0 {
                var mask = TokenMask(count: 0)
                cold.append(milliseconds(clock.measure { mask = builder.mask(for: m, budgetTokens: budget) }))
                let allowed = mask.allowedTokens
                if allowed.isEmpty { break }
                if !eog.isDisjoint(with: allowed), Double.random(in: 0..<1, using: &rng) < 0.5 || allowed.allSatisfy(eog.contains) { break }
                // Prefer longer tokens half the time, as a trained model would.
                var pick = allowed[Int.random(in: 0..<allowed.count, using: &rng)]
                if Double.random(in: 0..<1, using: &rng) < 0.5 {
                    for _ in 0..<8 {
                        let t = allowed[Int.random(in: 0..<allowed.count, using: &rng)]
                        if vocab[t].count > vocab[pick].count { pick = t }
                    }
                }
                if eog.contains(pick) { break }
                _ = builder.accept(token: pick, into: &m)
                chosen.append(pick)
                text += vocab[pick]
                budget -= 1
            }
            documents.append(String(decoding: text, as: UTF8.self))
            var replay = g.makeMatcher()
            var left = 120
            for t in chosen {
                warm.append(milliseconds(clock.measure { _ = builder.mask(for: replay, budgetTokens: left) }))
                _ = builder.accept(token: t, into: &replay)
                left -= 1
            }
        }
        return (Stats(samples: cold), Stats(samples: warm), documents, builder)
    }

    @Test("mask timings on a real vocabulary (printed), and masks agree with the matcher")
    func timings() throws {
        guard let (vocab, eog) = try Self.qwenVocabulary() else { return }
        let clock = ContinuousClock()
        var builder: TokenMaskBuilder? = nil
        let build = clock.measure { builder = TokenMaskBuilder(vocabulary: vocab, eogTokens: eog) }
        print("vocabulary: \(vocab.count) tokens, trie \(builder!.trieNodeCount) nodes, built in \(Self.milliseconds(build)) ms; all bytes covered: \(builder!.coversAllBytes)")
        #expect(builder!.coversAllBytes)

        let extraction = try JSONSchemaGrammar(schema: Self.extraction)
        let (cold, warm, documents, used) = Self.measure(extraction, vocab: vocab, eog: eog, walks: 4, seed: 7)
        print("extraction schema, first visit of each state: \(cold)")
        print("extraction schema, cached states:             \(warm)")
        let validator = TestSchemaValidator(root: Self.extraction)
        for d in documents {
            let value = TestJSONParser.parse(d)
            #expect(value.map { validator.validate($0) } == true, "\(d)")
        }
        print("sample document: \(documents[0].prefix(300))")

        let any = JSONSchemaGrammar.anyJSON()
        let (anyCold, anyWarm, anyDocs, _) = Self.measure(any, vocab: vocab, eog: eog, walks: 3, seed: 11)
        print("any JSON, first visit of each state: \(anyCold)")
        print("any JSON, cached states:             \(anyWarm)")
        for d in anyDocs { #expect(TestJSONParser.parse(d) != nil, "\(d)") }

        // Inside a long string every step is the same state: after the first mask, a lookup.
        var m = extraction.makeMatcher()
        let started = m.accept(bytes: Array(#"{"name": "Ada"#.utf8))
        #expect(started)
        let fresh = TokenMaskBuilder(vocabulary: vocab, eogTokens: eog)
        var mask = TokenMask(count: 0)
        let first = clock.measure { mask = fresh.mask(for: m) }
        let again = clock.measure { mask = fresh.mask(for: m) }
        print(String(format: "inside a string: first mask %.3f ms (%d tokens allowed), repeated %.4f ms",
                     Self.milliseconds(first), mask.allowedCount, Self.milliseconds(again)))

        // Applying a mask to a logit row.
        var logits = [Float](repeating: 1, count: vocab.count)
        var structural = extraction.makeMatcher()
        let opened = structural.accept(bytes: Array("{".utf8))
        #expect(opened)
        let few = fresh.mask(for: structural)
        let applyMany = clock.measure { logits.withUnsafeMutableBufferPointer { mask.apply(to: $0) } }
        #expect(logits.indices.allSatisfy { mask.isAllowed($0) == (logits[$0] == 1) })
        logits = [Float](repeating: 1, count: vocab.count)
        let applyFew = clock.measure { logits.withUnsafeMutableBufferPointer { few.apply(to: $0) } }
        #expect(logits.indices.allSatisfy { few.isAllowed($0) == (logits[$0] == 1) })
        print(String(format: "applying a mask to %d logits: %.3f ms (%d allowed), %.3f ms (%d allowed)", vocab.count,
                     Self.milliseconds(applyMany), mask.allowedCount, Self.milliseconds(applyFew), few.allowedCount))

        // Correctness on the real vocabulary: every token's verdict matches byte-level acceptance.
        for prefix in ["", #"{"name": "A"#, #"{"name": "A", "age": 4"#, #"{"name": "A", "age": 4, "role": "#] {
            var state = extraction.makeMatcher()
            let advanced = state.accept(bytes: Array(prefix.utf8))
            #expect(advanced)
            let mask = used.mask(for: state)
            var mismatches = 0
            #if DEBUG
            let stride = 7  // a sample keeps debug runs short; release checks every token
            #else
            let stride = 1
            #endif
            for (id, bytes) in vocab.enumerated() where id % stride == 0 || eog.contains(id) {
                var copy = state
                let expected = eog.contains(id) ? state.isComplete : (!bytes.isEmpty && copy.accept(bytes: bytes))
                if mask.isAllowed(id) != expected { mismatches += 1 }
            }
            #expect(mismatches == 0, "prefix \(prefix): \(mismatches) tokens disagree")
        }
    }
}
