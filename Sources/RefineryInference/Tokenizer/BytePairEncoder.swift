import RefineryCore
/// Byte-level BPE merges, as llama.cpp's `llm_tokenizer_bpe_session` applies them to one word.
///
/// Tokens and merge parts are keyed by the raw bytes they stand for (not by their byte-level
/// alphabet spelling), so a word is merged straight from its raw bytes. Pairs are ranked in the
/// same order as llama.cpp's (lowest rank first, then leftmost), with the same stale-pair check.
struct BytePairEncoder: Sendable {
    /// How merge ranks are found for a pair of adjacent symbols.
    private enum Ranks: Sendable {
        /// Merge `r` produces token `r + offset` (true of vocabularies trained by Hugging Face
        /// tokenizers: Qwen2.5 has offset 256, SmolLM2 252). A pair merges when its
        /// concatenation is token `t` and merge `t - offset` splits it at the same byte.
        case aligned(offset: Int32, leftLengths: [UInt16])
        /// Any other merge list: ranks keyed by the ids of the two parts.
        case general(ranks: PairTable, results: [Int32])
    }

    /// Ids of strings by their raw bytes: token ids below `tokenCount` (tokens whose text is in
    /// the byte-level alphabet), then, for `general` ranks, merge parts that are not tokens.
    private let strings: ByteStringTable
    /// Tokens whose text is outside the byte-level alphabet (some added tokens), by text.
    private let otherTexts: ByteStringTable
    private let ranks: Ranks
    /// Single raw byte → string id (-1 when unknown).
    private let byteIDs: [Int32]
    /// Single raw printable-ASCII byte → token id, for llama.cpp's last-resort fallback.
    private let asciiFallback: [Int32]
    let tokenCount: Int32
    let ignoreMerges: Bool

    /// Throws ``TokenizerError/duplicateToken(_:first:second:)`` when two tokens share a text.
    init(tokens: [[UInt8]], merges: [[UInt8]], ignoreMerges: Bool) throws {
        let n = tokens.count
        var strings = ByteStringTable(minimumCapacity: n + 64)
        var other = ByteStringTable(minimumCapacity: 16)
        // Raw bytes of every token, in id order (-1 start when not in the alphabet).
        var raw: [UInt8] = []
        raw.reserveCapacity(n * 8)
        var rawStarts = [Int32](repeating: -1, count: n + 1)
        var rawEnds = [Int32](repeating: -1, count: n)
        let decoder = ByteLevelEncoding.Decoder()
        for id in 0..<n {
            let start = raw.count
            let first: Int32? = tokens[id].withUnsafeBufferPointer { text in
                if decoder.decode(text, into: &raw) {
                    rawStarts[id] = Int32(start)
                    rawEnds[id] = Int32(raw.count)
                    return raw.withUnsafeBufferPointer {
                        strings.insert(UnsafeBufferPointer(rebasing: $0[start...]), value: Int32(id))
                    }
                }
                raw.removeSubrange(start...)
                return other.insert(text, value: Int32(id))
            }
            if let first {
                throw TokenizerError.duplicateToken(
                    String(decoding: tokens[id], as: UTF8.self), first: Int(first), second: id)
            }
        }

        // Try the aligned layout: check every merge against its predicted token, in order.
        var ranks: Ranks?
        var part: [UInt8] = []
        part.reserveCapacity(256)
        if let firstMerge = merges.first, let (l0, r0) = Self.parts(firstMerge, decoder, into: &part),
           let t0 = part.withUnsafeBufferPointer({ strings.lookup($0) }), t0 < Int32(n)
        {
            _ = (l0, r0)
            let offset = t0
            var leftLengths = [UInt16](repeating: 0, count: merges.count)
            var aligned = Int(offset) + merges.count <= n
            if aligned {
                raw.withUnsafeBufferPointer { raw in
                    for rank in 0..<merges.count {
                        part.removeAll(keepingCapacity: true)
                        guard let (leftLength, _) = Self.parts(merges[rank], decoder, into: &part),
                              leftLength <= Int(UInt16.max)
                        else { aligned = false; return }
                        let t = rank + Int(offset)
                        let s = Int(rawStarts[t]), e = Int(rawEnds[t])
                        guard s >= 0, e - s == part.count else { aligned = false; return }
                        var j = 0
                        while j < part.count && raw[s + j] == part[j] { j += 1 }
                        guard j == part.count else { aligned = false; return }
                        leftLengths[rank] = UInt16(leftLength)
                    }
                }
            }
            if aligned { ranks = .aligned(offset: offset, leftLengths: leftLengths) }
        }
        if ranks == nil {
            ranks = Self.generalRanks(merges, decoder, &strings, tokenCount: n)
        }
        var bytes = [Int32](repeating: -1, count: 256)
        var ascii = [Int32](repeating: -1, count: 256)
        for b in 0..<256 {
            bytes[b] = strings.lookup([UInt8(b)]) ?? -1
            if b >= 0x21 && b <= 0x7E, bytes[b] >= 0, bytes[b] < Int32(n) { ascii[b] = bytes[b] }
        }
        self.strings = strings
        self.otherTexts = other
        self.ranks = ranks!
        self.byteIDs = bytes
        self.asciiFallback = ascii
        self.tokenCount = Int32(n)
        self.ignoreMerges = ignoreMerges
    }

    /// Decodes "left right" (split at the first space after the first byte, as llama.cpp does)
    /// into `out` as the concatenated raw bytes; returns the raw lengths of both parts.
    private static func parts(
        _ merge: [UInt8], _ decoder: ByteLevelEncoding.Decoder, into out: inout [UInt8]
    ) -> (Int, Int)? {
        merge.withUnsafeBufferPointer { merge in
            guard merge.count > 1 else { return nil }
            var split = 1
            while split < merge.count && merge[split] != 0x20 { split += 1 }
            guard split < merge.count else { return nil }
            let start = out.count
            guard decoder.decode(UnsafeBufferPointer(rebasing: merge[0..<split]), into: &out) else { return nil }
            let middle = out.count
            guard decoder.decode(UnsafeBufferPointer(rebasing: merge[(split + 1)...]), into: &out) else { return nil }
            return (middle - start, out.count - middle)
        }
    }

    private static func generalRanks(
        _ merges: [[UInt8]], _ decoder: ByteLevelEncoding.Decoder, _ strings: inout ByteStringTable, tokenCount n: Int
    ) -> Ranks {
        var next = Int32(n)
        var ranks = PairTable(minimumCapacity: merges.count)
        var results = [Int32](repeating: -1, count: merges.count)
        var merged: [UInt8] = []
        merged.reserveCapacity(merges.count * 8)
        var mergedStarts = [Int32](repeating: -1, count: merges.count)
        var mergedEnds = [Int32](repeating: -1, count: merges.count)
        for rank in 0..<merges.count {
            let start = merged.count
            guard let (leftLength, _) = parts(merges[rank], decoder, into: &merged) else {
                merged.removeSubrange(start...)
                continue
            }
            let (l, r): (Int32, Int32) = merged.withUnsafeBufferPointer { m in
                let left = UnsafeBufferPointer(rebasing: m[start..<(start + leftLength)])
                let right = UnsafeBufferPointer(rebasing: m[(start + leftLength)...])
                var l = strings.insert(left, value: next) ?? -1
                if l < 0 { l = next; next += 1 }
                var r = strings.insert(right, value: next) ?? -1
                if r < 0 { r = next; next += 1 }
                return (l, r)
            }
            ranks.insertIfAbsent(UInt64(UInt32(bitPattern: l)) << 32 | UInt64(UInt32(bitPattern: r)), Int32(rank))
            mergedStarts[rank] = Int32(start)
            mergedEnds[rank] = Int32(merged.count)
        }
        // Results are looked up once every merge part has its id.
        merged.withUnsafeBufferPointer { merged in
            for rank in 0..<results.count where mergedStarts[rank] >= 0 {
                let text = UnsafeBufferPointer(rebasing: merged[Int(mergedStarts[rank])..<Int(mergedEnds[rank])])
                results[rank] = strings.lookup(text) ?? -1
            }
        }
        return .general(ranks: ranks, results: results)
    }

    /// The token whose stored (byte-level) text is `text`.
    func tokenID(forText text: [UInt8]) -> Int32? {
        var raw: [UInt8] = []
        let decoded = text.withUnsafeBufferPointer { ByteLevelEncoding.Decoder().decode($0, into: &raw) }
        if decoded {
            guard let id = strings.lookup(raw), id < tokenCount else { return nil }
            return id
        }
        return otherTexts.lookup(text)
    }

    private struct Symbol {
        var start: Int32
        var length: Int32
        var prev: Int32
        var next: Int32
        var id: Int32
    }

    private struct Bigram {
        var rank: Int32
        var left: Int32
        var right: Int32
        var size: Int32
        var result: Int32

        @inline(__always)
        func before(_ o: Bigram) -> Bool {
            rank < o.rank || (rank == o.rank && left < o.left)
        }
    }

    /// Appends the tokens of one word given as raw bytes.
    func encodeWord(_ word: UnsafeBufferPointer<UInt8>, into output: inout [Int32]) {
        if word.isEmpty { return }
        if ignoreMerges, let id = strings.lookup(word), id < tokenCount {
            output.append(id)
            return
        }
        if word.count == 1 {
            emit(id: byteIDs[Int(word[0])], bytes: word, into: &output)
            return
        }
        var symbols = [Symbol]()
        symbols.reserveCapacity(word.count)
        for i in 0..<word.count {
            symbols.append(Symbol(
                start: Int32(i), length: 1, prev: Int32(i) - 1,
                next: i + 1 == word.count ? -1 : Int32(i) + 1, id: byteIDs[Int(word[i])]))
        }
        var heap = [Bigram]()
        heap.reserveCapacity(word.count)

        func push(_ b: Bigram) {
            heap.append(b)
            var i = heap.count - 1
            while i > 0 {
                let p = (i - 1) / 2
                if heap[i].before(heap[p]) { heap.swapAt(i, p); i = p } else { break }
            }
        }
        func pop() -> Bigram {
            let top = heap[0]
            let last = heap.removeLast()
            if !heap.isEmpty {
                heap[0] = last
                var i = 0
                let n = heap.count
                while true {
                    let l = 2 * i + 1, r = l + 1
                    var m = i
                    if l < n && heap[l].before(heap[m]) { m = l }
                    if r < n && heap[r].before(heap[m]) { m = r }
                    if m == i { break }
                    heap.swapAt(i, m); i = m
                }
            }
            return top
        }
        func addBigram(_ left: Int32, _ right: Int32) {
            if left < 0 || right < 0 { return }
            let ls = symbols[Int(left)], rs = symbols[Int(right)]
            switch ranks {
            case .aligned(let offset, let leftLengths):
                let s = Int(ls.start)
                let text = UnsafeBufferPointer(rebasing: word[s..<(s + Int(ls.length + rs.length))])
                guard let t = strings.lookup(text), t >= offset, Int(t - offset) < leftLengths.count,
                      leftLengths[Int(t - offset)] == UInt16(truncatingIfNeeded: ls.length)
                else { return }
                push(Bigram(rank: t - offset, left: left, right: right, size: ls.length + rs.length, result: t))
            case .general(let table, let results):
                if ls.id < 0 || rs.id < 0 { return }
                let key = UInt64(UInt32(bitPattern: ls.id)) << 32 | UInt64(UInt32(bitPattern: rs.id))
                guard let rank = table.lookup(key) else { return }
                push(Bigram(rank: rank, left: left, right: right, size: ls.length + rs.length,
                            result: results[Int(rank)]))
            }
        }

        for i in 1..<symbols.count { addBigram(Int32(i - 1), Int32(i)) }

        while !heap.isEmpty {
            let bigram = pop()
            let l = Int(bigram.left), r = Int(bigram.right)
            let ln = symbols[l].length, rn = symbols[r].length
            // Symbols only grow, so an unchanged total size means an unchanged pair.
            if ln == 0 || rn == 0 || ln + rn != bigram.size { continue }
            symbols[l].length = ln + rn
            symbols[l].id = bigram.result
            symbols[r].length = 0
            let rnext = symbols[r].next
            symbols[l].next = rnext
            if rnext >= 0 { symbols[Int(rnext)].prev = bigram.left }
            addBigram(symbols[l].prev, bigram.left)
            addBigram(bigram.left, rnext)
        }

        var i: Int32 = 0
        while i != -1 {
            let s = symbols[Int(i)]
            if s.length > 0 {
                let bytes = UnsafeBufferPointer(rebasing: word[Int(s.start)..<Int(s.start + s.length)])
                emit(id: s.id, bytes: bytes, into: &output)
            }
            i = s.next
        }
    }

    @inline(__always)
    private func emit(id: Int32, bytes: UnsafeBufferPointer<UInt8>, into output: inout [Int32]) {
        if id >= 0 && id < tokenCount {
            output.append(id)
            return
        }
        // Not a token: llama.cpp looks each byte of the byte-level spelling up as a
        // one-byte token, which only printable ASCII can match.
        for b in bytes {
            let t = asciiFallback[Int(b)]
            if t >= 0 { output.append(t) }
        }
    }
}
