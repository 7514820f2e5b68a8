import RefineryCore
import RefineryInference
import RefineryTesting
import Testing

@Suite("Tokenizer on arbitrary bytes")
struct TokenizerFuzzTests {
    /// Deterministic pseudo-random bytes, biased towards UTF-8 lead and continuation bytes.
    struct Bytes {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 33
        }
        mutating func string() -> [UInt8] {
            let n = Int(next() % 48)
            return (0..<n).map { _ in
                switch next() % 6 {
                case 0: UInt8(0x80 + next() % 64)  // continuation
                case 1: UInt8(0xC0 + next() % 64)  // lead bytes, including F5…FF
                case 2: UInt8(0x20 + next() % 95)  // printable ASCII
                case 3: [0x3C, 0x7C, 0x3E, 0x20, 0x0A, 0x27][Int(next() % 6)]  // < | > space newline '
                default: UInt8(next() % 256)
                }
            }
        }
    }

    static func check(_ tokenizer: Tokenizer, iterations: Int) {
        var random = Bytes(state: 42)
        for _ in 0..<iterations {
            let input = random.string()
            for special in [false, true] {
                let ids = tokenizer.encode(input, addSpecial: true, parseSpecial: special)
                #expect(ids.allSatisfy { $0 >= 0 && Int($0) < tokenizer.vocabularySize })
                var stream = StreamingDetokenizer(tokenizer: tokenizer, special: true)
                var text = ""
                for id in ids { text += stream.append(id) }
                text += stream.finish()
                #expect(String(validating: Array(text.utf8), as: UTF8.self) != nil)
            }
        }
    }

    @Test("1,500 random byte strings through a byte-level vocabulary: valid ids, valid text")
    func byteLevel() throws {
        Self.check(try TokenizerStreamingTests.byteTokenizer(), iterations: 1500)
    }

    @Test("1,500 random byte strings through a SentencePiece vocabulary: valid ids, valid text")
    func sentencePiece() throws {
        Self.check(try TokenizerSyntheticTests.sentencePiece(addSpacePrefix: true), iterations: 1500)
    }

    @Test("random byte strings through the real vocabularies: valid ids, valid text",
          arguments: [TestModels.smolLM2, TestModels.qwen05, TestModels.gemma3])
    func real(model: String) throws {
        guard let tokenizer = try RealTokenizers.load(model) else { return }
        Self.check(tokenizer, iterations: 400)
    }

    @Test("values above U+10FFFF, which abort llama.cpp, tokenize as U+FFFD would")
    func beyondUnicode() throws {
        guard let tokenizer = try RealTokenizers.load(TestModels.smolLM2) else { return }
        // F4 90 80 80 decodes (leniently) to U+110000.
        #expect(tokenizer.encode([0x61, 0xF4, 0x90, 0x80, 0x80]) == tokenizer.encode(Array("a\u{FFFD}".utf8)))
    }
}
