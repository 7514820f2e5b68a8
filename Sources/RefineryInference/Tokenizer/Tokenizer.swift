import RefineryCore
/// Turns bytes into token ids and back, exactly as llama.cpp does for the same GGUF vocabulary.
///
/// Two algorithms are implemented: byte-level BPE (`tokenizer.ggml.model = gpt2`, with the
/// pre-tokenizer `tokenizer.ggml.pre` names — SmolLM2, Qwen2.5, Llama 3) and SentencePiece-style
/// BPE by scores with byte fallback (`llama` — Gemma 3, Llama 2). Special tokens are matched in
/// the input as single tokens: user-defined ones always, control ones only when the caller
/// allows it (llama.cpp's `parse_special`).
///
/// The tokenizer is immutable and safe to share between tasks.
public final class Tokenizer: Sendable {
    /// The algorithm in use.
    public enum Kind: Sendable, Equatable {
        case bytePairEncoding(PreTokenizer)
        case sentencePiece
    }

    public let kind: Kind
    /// Number of entries in the vocabulary.
    public let vocabularySize: Int
    /// Beginning-of-sequence token.
    public let bosID: Int32?
    /// End-of-sequence token.
    public let eosID: Int32?
    /// End-of-turn token (`<|im_end|>`, `<end_of_turn>` …), from metadata or found by its text.
    public let eotID: Int32?
    /// End-of-message token (`<|eom_id|>`).
    public let eomID: Int32?
    /// Unknown token.
    public let unknownID: Int32?
    /// Padding token.
    public let paddingID: Int32?
    /// Separator token (`tokenizer.ggml.seperator_token_id`, BERT-style vocabularies).
    public let separatorID: Int32?
    /// Every token that ends generation: EOS, EOT, EOM and the end markers llama.cpp
    /// recognises by text (`<|im_end|>`, `<end_of_turn>`, `<|endoftext|>`, FIM pad/repo/file-sep …).
    public let endOfGenerationIDs: Set<Int32>
    /// Whether encoding with `addSpecial` prepends BOS (`tokenizer.ggml.add_bos_token`).
    public let addsBOS: Bool
    /// Whether encoding with `addSpecial` appends EOS (`tokenizer.ggml.add_eos_token`).
    public let addsEOS: Bool
    /// Whether a space is put before text that follows BOS or a special token (SentencePiece).
    public let addsSpacePrefix: Bool
    /// Whether detokenizing removes the spaces before punctuation (llama.cpp's `clean_spaces`).
    public let cleansSpaces: Bool

    private let texts: [[UInt8]]
    private let attributes: [TokenAttributes]
    private let specials: SpecialTokenMatcher
    private let bpe: BytePairEncoder?
    private let spm: SentencePieceEncoder?

    /// Builds the tokenizer; throws a ``TokenizerError`` for missing, inconsistent or
    /// unsupported metadata.
    public init(data: TokenizerData) throws {
        let n = data.tokens.count
        guard n > 0 else { throw TokenizerError.missingMetadata("tokenizer.ggml.tokens") }
        guard n < Int(Int32.max) else {
            throw TokenizerError.invalidMetadata("tokenizer.ggml.tokens", "\(n) tokens")
        }
        if let scores = data.scores, scores.count < n {
            throw TokenizerError.inconsistentMetadata(
                "tokenizer.ggml.scores", "\(scores.count) scores for \(n) tokens")
        }
        if let types = data.tokenTypes, types.count < n {
            throw TokenizerError.inconsistentMetadata(
                "tokenizer.ggml.token_type", "\(types.count) token types for \(n) tokens")
        }

        // Texts (an empty one is renamed as llama.cpp does) and the text → id table.
        var texts = data.tokens
        for id in 0..<n where texts[id].isEmpty { texts[id] = Array("[EMPTY_\(id)]".utf8) }
        var attributes = [TokenAttributes](repeating: .normal, count: n)
        if let types = data.tokenTypes {
            for id in 0..<n { attributes[id] = TokenAttributes(ggufTokenType: types[id]) }
        }

        // Algorithm and defaults, as llama.cpp's vocabulary loader sets them.
        var bos: Int32?, eos: Int32?, unk: Int32?
        var addBOS: Bool, addEOS = false, addSpacePrefix: Bool, cleanSpaces: Bool
        let kind: Kind
        var ignoreMerges = false
        switch data.model {
        case .bytePairEncoding:
            guard !data.merges.isEmpty else { throw TokenizerError.missingMetadata("tokenizer.ggml.merges") }
            let name = data.preTokenizer ?? "default"
            guard let pre = PreTokenizer.forName(name) else {
                throw TokenizerError.unsupportedPreTokenizer(name)
            }
            kind = .bytePairEncoding(pre.kind)
            ignoreMerges = pre.ignoreMerges
            addBOS = pre.addBOS
            cleanSpaces = pre.cleanSpaces
            addSpacePrefix = false
            bos = 11; eos = 11
        case .sentencePiece:
            kind = .sentencePiece
            addBOS = true
            addSpacePrefix = true
            cleanSpaces = false
            bos = 1; eos = 2; unk = 0
        }
        if let v = data.addSpacePrefix { addSpacePrefix = v }

        // The text → id lookup: SentencePiece keeps texts as stored; byte-level BPE keys them
        // by the raw bytes they spell (and checks for duplicates while building).
        var bpe: BytePairEncoder?
        var table = ByteStringTable(minimumCapacity: data.model == .sentencePiece ? n : 1)
        switch data.model {
        case .bytePairEncoding:
            bpe = try BytePairEncoder(tokens: texts, merges: data.merges, ignoreMerges: ignoreMerges)
        case .sentencePiece:
            for id in 0..<n {
                if let first = table.insert(texts[id], value: Int32(id)) {
                    throw TokenizerError.duplicateToken(
                        String(decoding: texts[id], as: UTF8.self), first: Int(first), second: id)
                }
            }
        }
        func lookup(_ name: String) -> Int32? {
            let bytes = Array(name.utf8)
            if let bpe { return bpe.tokenID(forText: bytes) }
            return table.lookup(bytes)
        }

        func resolve(_ fallback: Int32?, _ given: Int32?) -> Int32? {
            var id = fallback
            if let f = id, f < 0 || Int(f) >= n { id = nil }
            if let g = given, g >= 0, Int(g) < n { id = g }
            return id
        }
        bos = resolve(bos, data.bosID)
        eos = resolve(eos, data.eosID)
        unk = resolve(unk, data.unknownID)
        var eot = resolve(nil, data.eotID)
        var eom = resolve(nil, data.eomID)
        let pad = resolve(nil, data.paddingID)
        let sep = resolve(nil, data.separatorID)
        if let v = data.addBOS { addBOS = v }
        if let v = data.addEOS { addEOS = v }
        if addBOS && bos == nil { throw TokenizerError.missingSpecialToken("tokenizer.ggml.bos_token_id") }
        if addEOS && eos == nil { throw TokenizerError.missingSpecialToken("tokenizer.ggml.eos_token_id") }

        // Special tokens llama.cpp recognises by their text; each becomes a control token.
        func find(_ names: [String]) -> Int32? {
            for name in names {
                if let id = lookup(name) { return id }
            }
            return nil
        }
        func markControl(_ id: Int32?) {
            if let id { attributes[Int(id)].insert(.control) }
        }
        if eot == nil {
            eot = find(["<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
                        "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>",
                        "<end_of_utterance>"])
            markControl(eot)
        }
        if eom == nil {
            eom = find(["<|eom_id|>"])
            markControl(eom)
        }
        let fimPre = find(["<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>",
                           "<|code_prefix|>", "<|prefix|>"])
        let fimSuf = find(["<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>",
                           "<|code_suffix|>", "<|suffix|>"])
        let fimMid = find(["<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>",
                           "<|code_middle|>", "<|middle|>"])
        let fimPad = find(["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"])
        let fimRep = find(["<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"])
        let fimSep = find(["<|file_sep|>"])
        for id in [fimPre, fimSuf, fimMid, fimPad, fimRep, fimSep] { markControl(id) }

        // Control tokens named "unused…" are unused.
        let unusedWord = Array("unused".utf8)
        for id in 0..<n where attributes[id].contains(.control) && !attributes[id].contains(.unused) {
            if Self.contains(texts[id], unusedWord) { attributes[id].insert(.unused) }
        }

        var eog = Set<Int32>([fimPad, fimRep, fimSep].compactMap { $0 })
        for name in ["<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
                     "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
                     "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
                     "<｜end▁of▁sentence｜>", "[e~["] {
            if let id = lookup(name) {
                eog.insert(id)
                attributes[Int(id)].insert(.control)
            }
        }
        for name in ["<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"] {
            if let id = lookup(name) { attributes[Int(id)] = .userDefined }
        }
        for id in [eos, eot, eom] { if let id { eog.insert(id) } }
        func eogID(_ name: String) -> Int32? {
            guard let id = lookup(name), eog.contains(id) else { return nil }
            return id
        }
        if let end = eogID("<|end|>"),
           (eogID("<|return|>") != nil && (eogID("<|call|>") ?? eogID("<|calls|>")) != nil)
            || ((eogID("<|call|>") ?? eogID("<|calls|>")) != nil && eogID("<|flush|>") != nil)
        {
            eog.remove(end)
            attributes[Int(end)] = .userDefined
        }
        if eogID("<|tool_response>") != nil, let s = eogID("</s>") {
            eog.remove(s)
            attributes[Int(s)] = .normal
        }

        var candidates: [Int32] = []
        for id in 0..<n where !attributes[id].intersection([.control, .userDefined, .unknown]).isEmpty {
            candidates.append(Int32(id))
        }

        self.kind = kind
        self.vocabularySize = n
        self.bosID = bos
        self.eosID = eos
        self.eotID = eot
        self.eomID = eom
        self.unknownID = unk
        self.paddingID = pad
        self.separatorID = sep
        self.endOfGenerationIDs = eog
        self.addsBOS = addBOS
        self.addsEOS = addEOS
        self.addsSpacePrefix = addSpacePrefix
        self.cleansSpaces = cleanSpaces
        self.specials = SpecialTokenMatcher(candidates: candidates, texts: texts)
        self.bpe = bpe
        switch kind {
        case .bytePairEncoding:
            self.spm = nil
        case .sentencePiece:
            self.spm = SentencePieceEncoder(
                texts: table, scores: data.scores.map { Array($0.prefix(n)) } ?? [Float](repeating: 0, count: n),
                unknownID: unk)
        }
        self.texts = texts
        self.attributes = attributes
    }

    private static func contains(_ hay: [UInt8], _ needle: [UInt8]) -> Bool {
        guard hay.count >= needle.count else { return false }
        for i in 0...(hay.count - needle.count) where hay[i] == needle[0] {
            if Array(hay[i..<(i + needle.count)]) == needle { return true }
        }
        return false
    }

    // MARK: - Vocabulary

    /// The attributes of a token.
    public func attributes(of id: Int32) -> TokenAttributes {
        guard id >= 0 && Int(id) < vocabularySize else { return [] }
        return attributes[Int(id)]
    }

    /// A token's text as the vocabulary stores it (byte-level or ▁-escaped spelling).
    public func text(of id: Int32) -> [UInt8] {
        guard id >= 0 && Int(id) < vocabularySize else { return [] }
        return texts[Int(id)]
    }

    /// The ordinary tokens that would start `word` as a word or put it inside one: those whose
    /// text, after leading spaces and ASCII punctuation, begins with `word` in any ASCII case
    /// (" water", "Water", "waters", "(water"). Control and unknown tokens are never listed.
    /// Banning them keeps the word out of the text wherever the model would spell it with its
    /// own token; one spelled from fragments (" wat" + "er") is not caught.
    public func tokens(startingWord word: String) -> [Int32] {
        let target = Array(word.lowercased().utf8)
        guard !target.isEmpty else { return [] }
        func lower(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }
        func isAlphanumeric(_ byte: UInt8) -> Bool {
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte >= 0x80
        }
        var found: [Int32] = []
        for id in 0..<Int32(vocabularySize) {
            let bytes = piece(id, special: false)
            guard bytes.count >= target.count else { continue }
            var start = 0
            while start < bytes.count && !isAlphanumeric(bytes[start]) { start += 1 }
            guard bytes.count - start >= target.count else { continue }
            var matches = true
            for offset in 0..<target.count where lower(bytes[start + offset]) != target[offset] {
                matches = false
                break
            }
            if matches { found.append(id) }
        }
        return found
    }

    /// Whether `id` ends generation.
    public func isEndOfGeneration(_ id: Int32) -> Bool { endOfGenerationIDs.contains(id) }

    // MARK: - Encoding

    /// Tokenizes `bytes` as llama.cpp's `llama_tokenize` does.
    ///
    /// - Parameters:
    ///   - addSpecial: add BOS/EOS where the vocabulary asks for them (``addsBOS``, ``addsEOS``).
    ///   - parseSpecial: match control tokens written in the text (`<|im_start|>`) as single
    ///     tokens; otherwise they are tokenized as plain text. User-defined tokens always match.
    /// Invalid UTF-8 is accepted and tokenized as llama.cpp does (each undecodable byte counts
    /// as U+FFFD in byte-level BPE; SentencePiece spells it with byte tokens). Sequences that
    /// llama.cpp's lenient decoder reads as values above U+10FFFF, on which llama.cpp aborts,
    /// count as U+FFFD here.
    public func encode(_ bytes: some Sequence<UInt8>, addSpecial: Bool = false, parseSpecial: Bool = false) -> [Int32] {
        let input = Array(bytes)
        var output: [Int32] = []
        output.reserveCapacity(input.count / 3 + 4)
        let attributes = self.attributes
        input.withUnsafeBufferPointer { input in
            let fragments = specials.partition(input) { id in
                parseSpecial || attributes[Int(id)].intersection([.control, .unknown]).isEmpty
            }
            if let spm {
                if addSpecial && addsBOS, let bos = bosID { output.append(bos) }
                var previousSpecial = true
                var text: [UInt8] = []
                for fragment in fragments {
                    switch fragment {
                    case .token(let id):
                        output.append(id)
                        previousSpecial = true
                    case .text(let range):
                        text.removeAll(keepingCapacity: true)
                        if addsSpacePrefix && previousSpecial { text.append(contentsOf: [0xE2, 0x96, 0x81]) }
                        for b in input[range] {
                            if b == 0x20 { text.append(contentsOf: [0xE2, 0x96, 0x81]) } else { text.append(b) }
                        }
                        text.withUnsafeBufferPointer { spm.encode($0, into: &output) }
                        previousSpecial = false
                    }
                }
                if addSpecial && addsEOS, let eos = eosID { output.append(eos) }
            } else if let bpe, case .bytePairEncoding(let pre) = kind {
                if addSpecial && addsBOS, let bos = bosID { output.append(bos) }
                for fragment in fragments {
                    switch fragment {
                    case .token(let id):
                        output.append(id)
                    case .text(let range):
                        Self.encodeBPE(UnsafeBufferPointer(rebasing: input[range]), pre: pre, bpe: bpe, into: &output)
                    }
                }
                if addSpecial && addsEOS, let eos = eosID { output.append(eos) }
            }
        }
        return output
    }

    /// Tokenizes the UTF-8 bytes of `text`.
    public func encode(_ text: String, addSpecial: Bool = false, parseSpecial: Bool = false) -> [Int32] {
        encode(Array(text.utf8), addSpecial: addSpecial, parseSpecial: parseSpecial)
    }

    private static func encodeBPE(
        _ bytes: UnsafeBufferPointer<UInt8>, pre: PreTokenizer, bpe: BytePairEncoder, into output: inout [Int32]
    ) {
        var cps: [UInt32] = []
        LlamaUTF8.decode(bytes, into: &cps)
        var classes = [CodepointClass](repeating: .other, count: cps.count)
        for i in 0..<cps.count { classes[i] = CodepointClass.of(cps[i]) }
        let words = cps.withUnsafeBufferPointer { c in
            classes.withUnsafeBufferPointer { k in pre.split(c, k) }
        }
        var word: [UInt8] = []
        word.reserveCapacity(64)
        var start = 0
        for length in words {
            word.removeAll(keepingCapacity: true)
            for i in start..<(start + length) { LlamaUTF8.encode(cps[i], into: &word) }
            start += length
            word.withUnsafeBufferPointer { bpe.encodeWord($0, into: &output) }
        }
    }

    // MARK: - Decoding

    /// The bytes of one token, as llama.cpp's `llama_token_to_piece` gives them.
    ///
    /// With `special` false, control and unknown tokens give no bytes. The bytes of one token
    /// may be part of a UTF-8 character; use ``StreamingDetokenizer`` to build text.
    public func piece(_ id: Int32, special: Bool = true) -> [UInt8] {
        guard id >= 0 && Int(id) < vocabularySize else { return [] }
        let attr = attributes[Int(id)]
        let text = texts[Int(id)]
        if !special && !attr.intersection([.unknown, .control]).isEmpty { return [] }
        if !attr.intersection([.unknown, .control, .userDefined]).isEmpty { return text }
        if attr.contains(.normal) {
            switch kind {
            case .sentencePiece:
                var out: [UInt8] = []
                out.reserveCapacity(text.count)
                var i = 0
                while i < text.count {
                    if i + 2 < text.count && text[i] == 0xE2 && text[i + 1] == 0x96 && text[i + 2] == 0x81 {
                        out.append(0x20); i += 3
                    } else {
                        out.append(text[i]); i += 1
                    }
                }
                return out
            case .bytePairEncoding:
                return Self.decodeByteLevel(text)
            }
        }
        if attr.contains(.byte), text.count >= 5, let b = UInt8(String(decoding: text[3..<5], as: UTF8.self), radix: 16) {
            return [b]
        }
        return []
    }

    /// llama.cpp's `llama_decode_text`: byte-level spelling to bytes, marking characters
    /// outside the alphabet as `[UNK_BYTE_0x…]`.
    private static func decodeByteLevel(_ text: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var cps: [UInt32] = []
        text.withUnsafeBufferPointer { LlamaUTF8.decode($0, into: &cps) }
        for cp in cps {
            if let b = ByteLevelEncoding.byte(forCodepoint: cp) {
                out.append(b)
            } else {
                var utf8: [UInt8] = []
                LlamaUTF8.encode(cp, into: &utf8)
                out.append(contentsOf: Array("[UNK_BYTE_0x".utf8))
                for c in utf8 {
                    let hex = Array("0123456789abcdef".utf8)
                    out.append(hex[Int(c >> 4)]); out.append(hex[Int(c & 15)])
                }
                out.append(contentsOf: text)
                out.append(0x5D)
            }
        }
        return out
    }

    /// Bytes of a token sequence, as llama.cpp's `llama_detokenize` gives them.
    ///
    /// - Parameters:
    ///   - removeSpecial: drop a leading BOS and a trailing EOS where the vocabulary adds them.
    ///   - unparseSpecial: render control tokens as their text (otherwise they give nothing).
    public func decode(_ ids: some Sequence<Int32>, removeSpecial: Bool = false, unparseSpecial: Bool = false) -> [UInt8] {
        var tokens = Array(ids)
        var removeSpace = addsSpacePrefix
        if removeSpecial && addsBOS, let first = tokens.first, first == bosID {
            removeSpace = false
            tokens.removeFirst()
        }
        if removeSpecial && addsEOS, let last = tokens.last, last == eosID { tokens.removeLast() }
        var text: [UInt8] = []
        for id in tokens {
            var p = piece(id, special: unparseSpecial)
            if removeSpace, p.first == 0x20 { p.removeFirst() }
            removeSpace = false
            text.append(contentsOf: p)
        }
        if cleansSpaces { text = Self.cleanSpaces(text) }
        return text
    }

    /// ``decode(_:removeSpecial:unparseSpecial:)`` as a `String`; bytes that are not valid
    /// UTF-8 become U+FFFD.
    public func decodeText(_ ids: some Sequence<Int32>, removeSpecial: Bool = false, unparseSpecial: Bool = false) -> String {
        String(decoding: decode(ids, removeSpecial: removeSpecial, unparseSpecial: unparseSpecial), as: UTF8.self)
    }

    /// llama.cpp's `clean_spaces` passes: " ?" " !" " ." " ," lose their space, a lone
    /// apostrophe between spaces loses both, and " 's" " 'm" " 're" " 've" lose their space.
    private static func cleanSpaces(_ input: [UInt8]) -> [UInt8] {
        var text = input
        // First pass.
        do {
            let total = text.count
            if total > 0 {
                var out = 1
                for i in 1..<max(total, 1) {
                    let x = text[i]
                    if text[i - 1] == 0x20 && (x == 0x3F || x == 0x21 || x == 0x2E || x == 0x2C) { out -= 1 }
                    text[out] = x; out += 1
                }
                text.removeSubrange(out...)
            }
        }
        // Second pass.
        do {
            let total = text.count
            if total > 0 {
                var out = 1
                var i = 1
                while i < total {
                    let x = text[i]
                    if x == 0x27 && i + 1 < total && text[i - 1] == 0x20 && text[i + 1] == 0x20 {
                        out -= 1
                        i += 1
                        text[i] = 0
                    }
                    text[out] = x; out += 1
                    i += 1
                }
                text.removeSubrange(out...)
            }
        }
        // Third pass.
        do {
            let total = text.count
            if total > 0 {
                var out = 1
                for i in 1..<max(total, 1) {
                    let x = text[i]
                    if text[i - 1] == 0x20 && x == 0x27 && i + 1 < total {
                        let x1 = text[i + 1]
                        if x1 == 0x73 || x1 == 0x6D {
                            out -= 1
                        } else if i + 2 < total {
                            let x2 = text[i + 2]
                            if (x1 == 0x72 && x2 == 0x65) || (x1 == 0x76 && x2 == 0x65) { out -= 1 }
                        }
                    }
                    text[out] = x; out += 1
                }
                text.removeSubrange(out...)
            }
        }
        return text
    }
}
