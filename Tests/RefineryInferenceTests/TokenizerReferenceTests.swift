import RefineryCore
import Foundation
import RefineryInference
import RefineryTesting
import Testing

/// One model's llama.cpp answers, from `scripts/reference/gen_tokenizer.py`.
struct TokenizerFixture: Decodable {
    struct Case: Decodable {
        let b64: String
        let ids: [Int32]
        let ids_special: [Int32]?
        var bytes: [UInt8] { Array(Data(base64Encoded: b64)!) }
        var idsWithSpecials: [Int32] { ids_special ?? ids }
    }
    struct Vocab: Decodable {
        let bos: Int32
        let eos: Int32
        let eot: Int32
        let eog: [Int32]
        let add_bos: Bool
        let add_eos: Bool
        let n_tokens: Int
    }
    struct Detokenized: Decodable {
        let ids: [Int32]
        let out: [String]
        /// (remove_special, unparse_special) of each entry of `out`.
        static let flags: [(Bool, Bool)] = [(false, false), (false, true), (true, true)]
        var outputs: [[UInt8]] { out.map { Array(Data(base64Encoded: $0)!) } }
    }
    let model: String
    let vocab: Vocab
    let detokenize: [Detokenized]
    let cases: [Case]
    let bos_cases: [Case]
    let pieces: [[FixtureValue]]

    enum FixtureValue: Decodable {
        case int(Int32)
        case string(String)
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let i = try? c.decode(Int32.self) { self = .int(i) } else { self = .string(try c.decode(String.self)) }
        }
    }

    var pieceList: [(Int32, [UInt8])] {
        pieces.compactMap { pair in
            guard pair.count == 2, case .int(let id) = pair[0], case .string(let b64) = pair[1] else { return nil }
            return (id, Array(Data(base64Encoded: b64)!))
        }
    }

    static func load(_ name: String) throws -> TokenizerFixture {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures/tokenizer"))
        return try JSONDecoder().decode(TokenizerFixture.self, from: Data(contentsOf: url))
    }
}

/// The tokenizer of each real model, built once per test process.
enum RealTokenizers {
    private static let built: [String: Result<Tokenizer, any Error>] = {
        var out: [String: Result<Tokenizer, any Error>] = [:]
        for model in [TestModels.smolLM2, TestModels.qwen05, TestModels.gemma3] {
            guard let path = TestModels.path(model) else { continue }
            out[model] = Result { try Tokenizer(gguf: GGUFFile.open(path: path)) }
        }
        return out
    }()

    static func load(_ model: String) throws -> Tokenizer? {
        guard let result = built[model] else {
            print("skipped: \(TestModels.missingReason(model))")
            return nil
        }
        return try result.get()
    }
}

@Suite("Tokenizer equals llama.cpp on real vocabularies")
struct TokenizerReferenceTests {
    static let models: [(model: String, fixture: String)] = [
        (TestModels.smolLM2, "smollm2"), (TestModels.qwen05, "qwen2.5"), (TestModels.gemma3, "gemma3"),
    ]

    @Test("token ids equal llama.cpp's, with and without special-token parsing",
          arguments: [TestModels.smolLM2, TestModels.qwen05, TestModels.gemma3])
    func ids(model: String) throws {
        guard let tokenizer = try RealTokenizers.load(model) else { return }
        let fixture = try TokenizerFixture.load(Self.models.first { $0.model == model }!.fixture)
        #expect(fixture.cases.count >= 220)
        var failures = 0
        for c in fixture.cases {
            let plain = tokenizer.encode(c.bytes, parseSpecial: false)
            let special = tokenizer.encode(c.bytes, parseSpecial: true)
            if plain != c.ids || special != c.idsWithSpecials { failures += 1 }
            #expect(plain == c.ids, "input \(c.bytes) (\(String(decoding: c.bytes, as: UTF8.self).debugDescription))")
            #expect(special == c.idsWithSpecials, "specials: input \(String(decoding: c.bytes, as: UTF8.self).debugDescription)")
        }
        for c in fixture.bos_cases {
            #expect(tokenizer.encode(c.bytes, addSpecial: true, parseSpecial: true) == c.ids)
        }
        print("\(model): \(fixture.cases.count - failures)/\(fixture.cases.count) inputs equal llama.cpp")
    }

    @Test("special ids, end-of-generation set and add-BOS/EOS flags equal llama.cpp's",
          arguments: [TestModels.smolLM2, TestModels.qwen05, TestModels.gemma3])
    func vocabulary(model: String) throws {
        guard let tokenizer = try RealTokenizers.load(model) else { return }
        let v = try TokenizerFixture.load(Self.models.first { $0.model == model }!.fixture).vocab
        #expect(tokenizer.vocabularySize == v.n_tokens)
        #expect(tokenizer.bosID == v.bos)
        #expect(tokenizer.eosID == v.eos)
        // llama.cpp picks the end-of-turn token among several names in hash-table order
        // (SmolLM2: <|endoftext|>, Qwen2.5: <|im_end|>); Refinery prefers the first name in
        // llama.cpp's list. Either way it is an end-of-generation token.
        let eot = try #require(tokenizer.eotID)
        #expect(v.eog.contains(eot))
        if model != TestModels.smolLM2 { #expect(eot == v.eot) }
        #expect(tokenizer.endOfGenerationIDs == Set(v.eog))
        #expect(tokenizer.addsBOS == v.add_bos)
        #expect(tokenizer.addsEOS == v.add_eos)
    }

    @Test("token pieces equal llama_token_to_piece", arguments: [TestModels.smolLM2, TestModels.qwen05, TestModels.gemma3])
    func pieces(model: String) throws {
        guard let tokenizer = try RealTokenizers.load(model) else { return }
        let fixture = try TokenizerFixture.load(Self.models.first { $0.model == model }!.fixture)
        #expect(fixture.pieceList.count > 300)
        for (id, bytes) in fixture.pieceList {
            #expect(tokenizer.piece(id, special: true) == bytes, "token \(id)")
        }
    }

    @Test("detokenizing equals llama_detokenize, with and without special tokens",
          arguments: [TestModels.smolLM2, TestModels.qwen05, TestModels.gemma3])
    func detokenize(model: String) throws {
        guard let tokenizer = try RealTokenizers.load(model) else { return }
        let fixture = try TokenizerFixture.load(Self.models.first { $0.model == model }!.fixture)
        #expect(fixture.detokenize.count >= 50)
        for d in fixture.detokenize {
            for (flags, expected) in zip(TokenizerFixture.Detokenized.flags, d.outputs) {
                #expect(tokenizer.decode(d.ids, removeSpecial: flags.0, unparseSpecial: flags.1) == expected,
                        "ids \(d.ids) flags \(flags)")
            }
        }
    }

    @Test("decoding the ids of valid UTF-8 gives the input back", arguments: [TestModels.smolLM2, TestModels.qwen05, TestModels.gemma3])
    func roundTrip(model: String) throws {
        guard let tokenizer = try RealTokenizers.load(model) else { return }
        let fixture = try TokenizerFixture.load(Self.models.first { $0.model == model }!.fixture)
        var checked = 0
        // C0 control characters are skipped: some vocabularies (SmolLM2) have no token for
        // them, and llama.cpp drops them too.
        for c in fixture.cases where String(validating: c.bytes, as: UTF8.self) != nil
            && !c.bytes.contains(where: { $0 < 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }) {
            let ids = tokenizer.encode(c.bytes, parseSpecial: true)
            var bytes: [UInt8] = []
            for id in ids { bytes += tokenizer.piece(id, special: true) }
            #expect(bytes == c.bytes, "\(String(decoding: c.bytes, as: UTF8.self).debugDescription)")
            checked += 1
        }
        #expect(checked > 200)
    }

    @Test("streaming detokenization of real tokens never emits broken UTF-8",
          arguments: [TestModels.smolLM2, TestModels.qwen05, TestModels.gemma3])
    func streaming(model: String) throws {
        guard let tokenizer = try RealTokenizers.load(model) else { return }
        let fixture = try TokenizerFixture.load(Self.models.first { $0.model == model }!.fixture)
        var heldSomewhere = false
        for c in fixture.cases where !c.bytes.contains(where: { $0 < 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }) {
            guard let text = String(validating: c.bytes, as: UTF8.self) else { continue }
            var stream = StreamingDetokenizer(tokenizer: tokenizer, special: true)
            var out = ""
            for id in c.idsWithSpecials {
                let delta = stream.append(id)
                #expect(!delta.unicodeScalars.contains("\u{FFFD}") || text.unicodeScalars.contains("\u{FFFD}"))
                if stream.hasPendingBytes { heldSomewhere = true }
                out += delta
            }
            out += stream.finish()
            #expect(Array(out.utf8) == c.bytes)
        }
        #expect(heldSomewhere, "some token should end inside a multi-byte character")
    }
}

/// Gemma 3's vocabulary with `add_space_prefix` switched on, as Llama-2-style SentencePiece
/// vocabularies have it, against llama.cpp on a copy of the file with that flag set.
@Suite("SentencePiece with a space prefix equals llama.cpp")
struct TokenizerSpacePrefixTests {
    struct Case: Decodable {
        let b64: String
        let ids: [Int32]
        let ids_special: [Int32]?
        let ids_bos: [Int32]
        var bytes: [UInt8] { Array(Data(base64Encoded: b64)!) }
    }
    struct Doc: Decodable {
        let cases: [Case]
        let detokenize: [TokenizerFixture.Detokenized]
    }

    @Test("ids, ids after BOS and detokenized text equal llama.cpp's")
    func spacePrefix() throws {
        guard let path = TestModels.path(TestModels.gemma3) else {
            print("skipped: \(TestModels.missingReason(TestModels.gemma3))")
            return
        }
        var data = try TokenizerData(gguf: GGUFFile.open(path: path))
        data.addSpacePrefix = true
        let tokenizer = try Tokenizer(data: data)
        #expect(tokenizer.addsSpacePrefix)
        let url = try #require(Bundle.module.url(
            forResource: "gemma3-space-prefix", withExtension: "json", subdirectory: "Fixtures/tokenizer"))
        let doc = try JSONDecoder().decode(Doc.self, from: Data(contentsOf: url))
        var equal = 0
        for c in doc.cases {
            let plain = tokenizer.encode(c.bytes)
            let special = tokenizer.encode(c.bytes, parseSpecial: true)
            let bos = tokenizer.encode(c.bytes, addSpecial: true, parseSpecial: true)
            #expect(plain == c.ids, "\(String(decoding: c.bytes, as: UTF8.self).debugDescription)")
            #expect(special == (c.ids_special ?? c.ids), "\(String(decoding: c.bytes, as: UTF8.self).debugDescription)")
            #expect(bos == c.ids_bos, "\(String(decoding: c.bytes, as: UTF8.self).debugDescription)")
            if plain == c.ids && special == (c.ids_special ?? c.ids) && bos == c.ids_bos { equal += 1 }
        }
        print("gemma-3-270m with add_space_prefix: \(equal)/\(doc.cases.count) inputs equal llama.cpp")
        for d in doc.detokenize {
            for (flags, expected) in zip(TokenizerFixture.Detokenized.flags, d.outputs) {
                #expect(tokenizer.decode(d.ids, removeSpecial: flags.0, unparseSpecial: flags.1) == expected,
                        "ids \(d.ids) flags \(flags)")
            }
        }
    }
}
