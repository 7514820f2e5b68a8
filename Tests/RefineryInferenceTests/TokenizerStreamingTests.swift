import RefineryCore
import RefineryInference
import Testing

@Suite("Streaming detokenizer")
struct TokenizerStreamingTests {
    /// A byte-level vocabulary of the 256 single bytes only: every byte is one token.
    static func byteTokenizer() throws -> Tokenizer {
        var tokens: [[UInt8]] = []
        for b in 0..<256 { tokens.append(byteLevelSpelling([UInt8(b)])) }
        return try Tokenizer(data: TokenizerData(
            model: .bytePairEncoding, preTokenizer: "gpt2", tokens: tokens,
            merges: [byteLevelSpelling([0x61]) + [0x20] + byteLevelSpelling([0x62])]))
    }

    @Test("a character split across tokens is held until complete")
    func splitCharacter() throws {
        let tokenizer = try Self.byteTokenizer()
        var stream = StreamingDetokenizer(tokenizer: tokenizer)
        let ids = tokenizer.encode(Array("a😀é".utf8))
        #expect(ids.count == 1 + 4 + 2)
        var deltas: [String] = []
        for id in ids { deltas.append(stream.append(id)) }
        #expect(deltas == ["a", "", "", "", "😀", "", "é"])
        #expect(stream.finish() == "")
    }

    @Test("invalid bytes become U+FFFD at once; an unfinished character only at the end")
    func invalidBytes() {
        var stream = StreamingDetokenizer(tokenizer: try! Self.byteTokenizer())
        #expect(stream.append(bytes: [0xFF]) == "\u{FFFD}")
        #expect(stream.append(bytes: [0x41, 0xE2, 0x82]) == "A")
        #expect(stream.hasPendingBytes)
        #expect(stream.append(bytes: [0xAC]) == "€")
        #expect(stream.append(bytes: [0xF0, 0x9F]) == "")
        #expect(stream.finish() == "\u{FFFD}")
        #expect(stream.append(bytes: [0xE0, 0x80]) == "\u{FFFD}\u{FFFD}")  // overlong lead: never valid
        #expect(stream.append(bytes: [0xED, 0xA0]) == "\u{FFFD}\u{FFFD}")  // surrogate: never valid
        #expect(stream.finish() == "")
    }
}

/// GPT-2's byte-level spelling of raw bytes.
func byteLevelSpelling(_ bytes: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    for b in bytes {
        let printable = (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b)
        var cp = UInt32(b)
        if !printable {
            var n: UInt32 = 0
            for c in 0..<Int(b) {
                let p = (0x21...0x7E).contains(c) || (0xA1...0xAC).contains(c) || (0xAE...0xFF).contains(c)
                if !p { n += 1 }
            }
            cp = 256 + n
        }
        out += Array(String(Character(Unicode.Scalar(cp)!)).utf8)
    }
    return out
}
