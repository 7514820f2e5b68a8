/// Byte-level BPE merges, as llama.cpp's `llm_tokenizer_bpe_session` applies them to one word.
///
/// Tokens, merge parts and merge results are keyed by the raw bytes they stand for (not by their
/// byte-level alphabet spelling), so a word is merged from its raw bytes with integer lookups
/// only: each merge rank knows the id of the string it produces.
struct BytePairEncoder: Sendable {
    /// Raw bytes → token id for every token whose text is in the byte-level alphabet.
    let rawTokens: ByteStringTable
    /// Ids of strings: token ids below `tokenCount`, then merge parts that are not tokens.
    private let stringIDs: ByteStringTable
    /// (left string id, right string id) → merge rank.
    private let ranks: [UInt64: Int32]
    /// Merge rank → string id of the merged text (-1 when unknown).
    private let mergeResults: [Int32]
    /// Single raw byte → string id (-1 when unknown).
    private let byteIDs: [Int32]
    /// Single raw printable-ASCII byte → token id, for llama.cpp's last-resort fallback.
    private let asciiFallback: [Int32]
    let tokenCount: Int32
    let ignoreMerges: Bool

    init(tokens: [[UInt8]], merges: [[UInt8]], ignoreMerges: Bool) {
        let n = tokens.count
        var raw = ByteStringTable(minimumCapacity: n)
        var scratch: [UInt8] = []
        scratch.reserveCapacity(64)
        for (id, text) in tokens.enumerated() {
            scratch.removeAll(keepingCapacity: true)
            let ok = text.withUnsafeBufferPointer { ByteLevelEncoding.decode($0, into: &scratch) }
            if ok { scratch.withUnsafeBufferPointer { _ = raw.insert($0, value: Int32(id)) } }
        }
        var strings = raw
        var next = Int32(n)
        var ranks: [UInt64: Int32] = [:]
        ranks.reserveCapacity(merges.count)
        var results = [Int32](repeating: -1, count: merges.count)
        var left: [UInt8] = [], right: [UInt8] = []
        var merged: [UInt8] = []
        merged.reserveCapacity(merges.count * 8)
        var mergedStarts = [Int32](repeating: -1, count: merges.count)
        var mergedEnds = [Int32](repeating: -1, count: merges.count)
        for (rank, merge) in merges.enumerated() {
            // llama.cpp splits at the first space after the first byte.
            guard merge.count > 1, let split = merge[1...].firstIndex(of: 0x20) else { continue }
            left.removeAll(keepingCapacity: true)
            right.removeAll(keepingCapacity: true)
            let okLeft = merge.withUnsafeBufferPointer {
                ByteLevelEncoding.decode(UnsafeBufferPointer(rebasing: $0[0..<split]), into: &left)
            }
            let okRight = merge.withUnsafeBufferPointer {
                ByteLevelEncoding.decode(UnsafeBufferPointer(rebasing: $0[(split + 1)...]), into: &right)
            }
            guard okLeft, okRight else { continue }
            var l = strings.lookup(left) ?? -1
            if l < 0 { l = next; strings.insert(left, value: next); next += 1 }
            var r = strings.lookup(right) ?? -1
            if r < 0 { r = next; strings.insert(right, value: next); next += 1 }
            let key = UInt64(UInt32(bitPattern: l)) << 32 | UInt64(UInt32(bitPattern: r))
            if ranks[key] == nil { ranks[key] = Int32(rank) }
            mergedStarts[rank] = Int32(merged.count)
            merged.append(contentsOf: left)
            merged.append(contentsOf: right)
            mergedEnds[rank] = Int32(merged.count)
        }
        // Results are looked up once every merge part has its id.
        merged.withUnsafeBufferPointer { merged in
            for rank in 0..<results.count where mergedStarts[rank] >= 0 {
                let text = UnsafeBufferPointer(rebasing: merged[Int(mergedStarts[rank])..<Int(mergedEnds[rank])])
                results[rank] = strings.lookup(text) ?? -1
            }
        }
        // A merged text that is neither a token nor a merge part can never merge again.
        var bytes = [Int32](repeating: -1, count: 256)
        var ascii = [Int32](repeating: -1, count: 256)
        for b in 0..<256 {
            bytes[b] = strings.lookup([UInt8(b)]) ?? -1
            if b >= 0x21 && b <= 0x7E { ascii[b] = raw.lookup([UInt8(b)]) ?? -1 }
        }
        self.rawTokens = raw
        self.stringIDs = strings
        self.ranks = ranks
        self.mergeResults = results
        self.byteIDs = bytes
        self.asciiFallback = ascii
        self.tokenCount = Int32(n)
        self.ignoreMerges = ignoreMerges
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

        @inline(__always)
        func before(_ o: Bigram) -> Bool {
            rank < o.rank || (rank == o.rank && left < o.left)
        }
    }

    /// Appends the tokens of one word given as raw bytes.
    func encodeWord(_ word: UnsafeBufferPointer<UInt8>, into output: inout [Int32]) {
        if word.isEmpty { return }
        if ignoreMerges, let id = rawTokens.lookup(word) {
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
            let a = symbols[Int(left)].id, b = symbols[Int(right)].id
            if a < 0 || b < 0 { return }
            let key = UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))
            guard let rank = ranks[key] else { return }
            push(Bigram(rank: rank, left: left, right: right,
                        size: symbols[Int(left)].length + symbols[Int(right)].length))
        }

        for i in 1..<symbols.count { addBigram(Int32(i - 1), Int32(i)) }

        while !heap.isEmpty {
            let bigram = pop()
            let l = Int(bigram.left), r = Int(bigram.right)
            let ln = symbols[l].length, rn = symbols[r].length
            // Symbols only grow, so an unchanged total size means an unchanged pair.
            if ln == 0 || rn == 0 || ln + rn != bigram.size { continue }
            symbols[l].length = ln + rn
            symbols[l].id = mergeResults[Int(bigram.rank)]
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
