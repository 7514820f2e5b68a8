import RefineryCore
import Foundation
import RefineryInference
import RefineryTesting
import Testing

/// SmolLM2's vocabulary run through every pre-tokenizer, against llama.cpp on copies of the file
/// whose `tokenizer.ggml.pre` was changed (see `scripts/reference/gen_tokenizer.py`): CI has only
/// SmolLM2, and this checks the Llama 3, Qwen2 and GPT-2 scanners there too.
@Suite("Pre-tokenizers equal llama.cpp's on SmolLM2's vocabulary")
struct TokenizerPreTokenizerTests {
    struct Variant: Decodable {
        let pre: String
        let cases: [TokenizerFixture.Case]
        let detokenize: [TokenizerFixture.Detokenized]
    }

    static let smolData: TokenizerData? = {
        guard let path = TestModels.path(TestModels.smolLM2) else { return nil }
        return try? TokenizerData(gguf: GGUFFile.open(path: path))
    }()

    @Test("ids equal llama.cpp's with the pre-tokenizer swapped", arguments: ["llama-bpe", "qwen2", "gpt-2", "default"])
    func swapped(pre: String) throws {
        guard var data = Self.smolData else {
            print("skipped: \(TestModels.missingReason(TestModels.smolLM2))")
            return
        }
        data.preTokenizer = pre
        let tokenizer = try Tokenizer(data: data)
        let url = try #require(Bundle.module.url(
            forResource: "smollm2-pre-\(pre)", withExtension: "json", subdirectory: "Fixtures/tokenizer"))
        let variant = try JSONDecoder().decode(Variant.self, from: Data(contentsOf: url))
        #expect(variant.cases.count >= 220)
        var equal = 0
        for c in variant.cases {
            let plain = tokenizer.encode(c.bytes)
            let special = tokenizer.encode(c.bytes, parseSpecial: true)
            #expect(plain == c.ids, "\(pre): \(String(decoding: c.bytes, as: UTF8.self).debugDescription)")
            #expect(special == c.idsWithSpecials, "\(pre) specials: \(String(decoding: c.bytes, as: UTF8.self).debugDescription)")
            if plain == c.ids && special == c.idsWithSpecials { equal += 1 }
        }
        print("smollm2 as \(pre): \(equal)/\(variant.cases.count) inputs equal llama.cpp")
        // GPT-2 and Llama 3 vocabularies clean spaces before punctuation when detokenizing.
        for d in variant.detokenize {
            for (flags, expected) in zip(TokenizerFixture.Detokenized.flags, d.outputs) {
                #expect(tokenizer.decode(d.ids, removeSpecial: flags.0, unparseSpecial: flags.1) == expected,
                        "\(pre) ids \(d.ids) flags \(flags)")
            }
        }
    }

    @Test("a merge list that does not follow token order uses the general rank table, with the same ids")
    func generalRanks() throws {
        guard var data = Self.smolData else {
            print("skipped: \(TestModels.missingReason(TestModels.smolLM2))")
            return
        }
        // A merge outside the byte-level alphabet can never apply, but it breaks the
        // "merge r makes token r + offset" layout, so the general table is used.
        data.merges.append(Array("€ €".utf8))
        let tokenizer = try Tokenizer(data: data)
        let fixture = try TokenizerFixture.load("smollm2")
        for c in fixture.cases {
            #expect(tokenizer.encode(c.bytes) == c.ids)
            #expect(tokenizer.encode(c.bytes, parseSpecial: true) == c.idsWithSpecials)
        }
    }
}
