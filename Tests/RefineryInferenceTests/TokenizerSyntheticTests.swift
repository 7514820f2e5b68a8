import RefineryCore
import RefineryInferenceTesting
import Foundation
import RefineryInference
import RefineryTesting
import Testing

@Suite("Tokenizer on small hand-made vocabularies")
struct TokenizerSyntheticTests {
    /// A SentencePiece vocabulary: control tokens, 256 byte tokens, then scored pieces.
    static func sentencePiece(addSpacePrefix: Bool) throws -> Tokenizer {
        var tokens: [[UInt8]] = [Array("<unk>".utf8), Array("<s>".utf8), Array("</s>".utf8)]
        var types: [Int32] = [2, 3, 3]
        var scores: [Float] = [0, 0, 0]
        for b in 0..<256 {
            tokens.append(Array(String(format: "<0x%02X>", b).utf8))
            types.append(6)
            scores.append(0)
        }
        let pieces: [(String, Float)] = [
            ("▁", -1), ("h", -2), ("e", -2), ("l", -2), ("o", -2), ("▁h", -8), ("ll", -3), ("he", -4),
            ("hell", -5), ("hello", -6), ("▁hello", -7), ("<tag>", 0),
        ]
        for (text, score) in pieces {
            tokens.append(Array(text.utf8))
            types.append(text == "<tag>" ? 4 : 1)
            scores.append(score)
        }
        return try Tokenizer(data: TokenizerData(
            model: .sentencePiece, tokens: tokens, scores: scores, tokenTypes: types,
            bosID: 1, eosID: 2, unknownID: 0, addBOS: true, addSpacePrefix: addSpacePrefix))
    }

    static func id(_ t: Tokenizer, _ text: String) -> Int32 {
        (0..<Int32(t.vocabularySize)).first { t.text(of: $0) == Array(text.utf8) }!
    }

    @Test("SentencePiece merges by score, escapes spaces and prefixes one where asked")
    func sentencePieceMerges() throws {
        let t = try Self.sentencePiece(addSpacePrefix: true)
        #expect(t.encode("hello") == [Self.id(t, "▁hello")])
        #expect(t.encode("hello", addSpecial: true) == [1, Self.id(t, "▁hello")])
        let plain = try Self.sentencePiece(addSpacePrefix: false)
        #expect(plain.encode("hello") == [Self.id(plain, "hello")])
        #expect(plain.encode("hello hello") == [Self.id(plain, "hello"), Self.id(plain, "▁hello")])
        #expect(plain.decode(plain.encode("hello hello")) == Array("hello hello".utf8))
        #expect(plain.decodeText(plain.encode("hello hello")) == "hello hello")
        #expect(t.decodeText(t.encode("hello hello")) == "hello hello")  // the prefix space is removed again
    }

    @Test("SentencePiece spells characters outside the vocabulary with byte tokens")
    func byteFallback() throws {
        let t = try Self.sentencePiece(addSpacePrefix: false)
        // "é" is C3 A9; the byte token for b has id 3 + b.
        let h = Self.id(t, "h")
        let c3: Int32 = 3 + 0xC3, a9: Int32 = 3 + 0xA9, ff: Int32 = 3 + 0xFF, byteH: Int32 = 3 + 0x68
        let expected: [Int32] = [h, c3, a9]
        #expect(t.encode("hé") == expected)
        #expect(t.piece(c3) == [0xC3])
        #expect(t.decode(t.encode("hé")) == Array("hé".utf8))
        // Invalid UTF-8: the lead byte FF claims the next byte too (as in llama.cpp), and the
        // pair, being no token, is spelled byte by byte.
        let invalid: [UInt8] = [0xFF, 0x68]
        let expectedInvalid: [Int32] = [ff, byteH]
        #expect(t.encode(invalid) == expectedInvalid)
    }

    @Test("user-defined tokens always match; control tokens only with parseSpecial")
    func specials() throws {
        let t = try Self.sentencePiece(addSpacePrefix: false)
        let tag = Self.id(t, "<tag>")
        #expect(t.encode("h<tag>h") == [Self.id(t, "h"), tag, Self.id(t, "h")])
        #expect(t.encode("</s>", parseSpecial: true) == [2])
        #expect(t.encode("</s>", parseSpecial: false) != [2])
        #expect(t.piece(2, special: false) == [])
        #expect(t.piece(2, special: true) == Array("</s>".utf8))
        #expect(t.endOfGenerationIDs == [2])
    }

    @Test("metadata problems give typed errors naming the key")
    func errors() throws {
        let tokens: [[UInt8]] = [Array("a".utf8), Array("b".utf8)]
        #expect(throws: TokenizerError.missingMetadata("tokenizer.ggml.merges")) {
            try Tokenizer(data: TokenizerData(model: .bytePairEncoding, preTokenizer: "gpt2", tokens: tokens))
        }
        #expect(throws: TokenizerError.unsupportedPreTokenizer("no-such-pre")) {
            try Tokenizer(data: TokenizerData(model: .bytePairEncoding, preTokenizer: "no-such-pre", tokens: tokens,
                                              merges: [Array("a b".utf8)]))
        }
        #expect(throws: TokenizerError.duplicateToken("a", first: 0, second: 2)) {
            try Tokenizer(data: TokenizerData(model: .sentencePiece, tokens: tokens + [Array("a".utf8)]))
        }
        #expect(throws: TokenizerError.inconsistentMetadata("tokenizer.ggml.scores", "")) {
            try Tokenizer(data: TokenizerData(model: .sentencePiece, tokens: tokens, scores: [0]))
        }
        #expect(throws: TokenizerError.missingSpecialToken("tokenizer.ggml.bos_token_id")) {
            try Tokenizer(data: TokenizerData(model: .bytePairEncoding, preTokenizer: "gpt2", tokens: tokens,
                                              merges: [Array("a b".utf8)], addBOS: true))
        }
        // NFC and NFD spellings are different tokens, not duplicates.
        let nfc = Array("é".utf8), nfd = Array("e\u{301}".utf8)
        let t = try Tokenizer(data: TokenizerData(model: .sentencePiece, tokens: [Array("<unk>".utf8), nfc, nfd], addSpacePrefix: false))
        #expect(t.encode(nfc) == [1])
        #expect(t.encode(nfd) == [2])
    }

    @Test("GGUF metadata: missing, mistyped and unknown tokenizer keys give typed errors")
    func ggufErrors() throws {
        func file(_ edit: (inout GGUFWriter) -> Void) throws -> GGUFFile {
            var w = GGUFWriter()
            w.add("general.architecture", .string("llama"))
            edit(&w)
            return try GGUFFile(bytes: w.bytes())
        }
        #expect(throws: TokenizerError.missingMetadata("tokenizer.ggml.model")) {
            try Tokenizer(gguf: file { _ in })
        }
        #expect(throws: TokenizerError.unsupportedModel("bert")) {
            try Tokenizer(gguf: file { $0.add("tokenizer.ggml.model", .string("bert")) })
        }
        #expect(throws: TokenizerError.missingMetadata("tokenizer.ggml.tokens")) {
            try Tokenizer(gguf: file { $0.add("tokenizer.ggml.model", .string("llama")) })
        }
        #expect(throws: TokenizerError.invalidMetadata("tokenizer.ggml.token_type", "")) {
            try Tokenizer(gguf: file {
                $0.add("tokenizer.ggml.model", .string("llama"))
                $0.add("tokenizer.ggml.tokens", .array([.string("a")]))
                $0.add("tokenizer.ggml.token_type", .array([.string("x")]))
            })
        }
        let ok = try Tokenizer(gguf: file {
            $0.add("tokenizer.ggml.model", .string("gpt2"))
            $0.add("tokenizer.ggml.pre", .string("qwen2"))
            $0.add("tokenizer.ggml.tokens", .array(["a", "b", "ab", "Ġ", "Ġab"].map { .string($0) }))
            $0.add("tokenizer.ggml.merges", .array(["a b", "Ġ ab"].map { .string($0) }))
            $0.add("tokenizer.ggml.eos_token_id", .uint32(1))
        })
        #expect(ok.encode("ab ab") == [2, 4])
        #expect(ok.eosID == 1)
        #expect(ok.addsBOS == false)
    }
}
