import RefineryCore
/// SentencePiece-style BPE by piece scores, as llama.cpp's `llm_tokenizer_spm_session` runs it:
/// start from single UTF-8 characters, repeatedly merge the adjacent pair whose concatenation
/// is the highest-scoring vocabulary entry, and spell characters that form no token with
/// byte-fallback tokens (`<0x41>`).
struct SentencePieceEncoder: Sendable {
    /// Token text (as stored, spaces escaped as ▁) → id.
    let texts: ByteStringTable
    let scores: [Float]
    /// Byte → its `<0xNN>` token (or the one-byte token), -1 when neither exists.
    let byteTokens: [Int32]
    let unknownID: Int32?

    init(texts: ByteStringTable, scores: [Float], unknownID: Int32?) {
        self.texts = texts
        self.scores = scores
        self.unknownID = unknownID
        let hex: [UInt8] = Array("0123456789ABCDEF".utf8)
        var bytes = [Int32](repeating: -1, count: 256)
        for b in 0..<256 {
            let name: [UInt8] = [0x3C, 0x30, 0x78, hex[b >> 4], hex[b & 15], 0x3E]
            bytes[b] = texts.lookup(name) ?? texts.lookup([UInt8(b)]) ?? -1
        }
        self.byteTokens = bytes
    }

    private struct Symbol {
        var start: Int32
        var length: Int32
        var prev: Int32
        var next: Int32
    }

    private struct Bigram {
        var score: Float
        var left: Int32
        var right: Int32
        var size: Int32

        @inline(__always)
        func before(_ o: Bigram) -> Bool {
            score > o.score || (score == o.score && left < o.left)
        }
    }

    /// Appends the tokens of `text` (already space-escaped).
    func encode(_ text: UnsafeBufferPointer<UInt8>, into output: inout [Int32]) {
        if text.isEmpty { return }
        var symbols = [Symbol]()
        symbols.reserveCapacity(text.count)
        var offset = 0
        while offset < text.count {
            let n = min(LlamaUTF8.sequenceLength(leadByte: text[offset]), text.count - offset)
            let index = Int32(symbols.count)
            offset += n
            symbols.append(Symbol(start: Int32(offset - n), length: Int32(n), prev: index - 1,
                                  next: offset == text.count ? -1 : index + 1))
        }
        var heap = [Bigram]()
        heap.reserveCapacity(symbols.count)

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
        func tryAdd(_ left: Int32, _ right: Int32) {
            if left < 0 || right < 0 { return }
            let s = Int(symbols[Int(left)].start)
            let size = Int(symbols[Int(left)].length + symbols[Int(right)].length)
            guard let id = texts.lookup(UnsafeBufferPointer(rebasing: text[s..<(s + size)])),
                  Int(id) < scores.count else { return }
            push(Bigram(score: scores[Int(id)], left: left, right: right, size: Int32(size)))
        }

        for i in 1..<max(symbols.count, 1) { tryAdd(Int32(i - 1), Int32(i)) }

        while !heap.isEmpty {
            let bigram = pop()
            let l = Int(bigram.left), r = Int(bigram.right)
            let ln = symbols[l].length, rn = symbols[r].length
            if ln == 0 || rn == 0 || ln + rn != bigram.size { continue }
            symbols[l].length = ln + rn
            symbols[r].length = 0
            let rnext = symbols[r].next
            symbols[l].next = rnext
            if rnext >= 0 { symbols[Int(rnext)].prev = bigram.left }
            tryAdd(symbols[l].prev, bigram.left)
            tryAdd(bigram.left, rnext)
        }

        var i: Int32 = 0
        while i != -1 {
            let s = symbols[Int(i)]
            let piece = UnsafeBufferPointer(rebasing: text[Int(s.start)..<Int(s.start + s.length)])
            if let id = texts.lookup(piece) {
                output.append(id)
            } else {
                // Every merged symbol is a token, so this is one character: spell it in bytes.
                for b in piece {
                    let t = byteTokens[Int(b)]
                    if t >= 0 { output.append(t) } else if let unk = unknownID { output.append(unk) }
                }
            }
            i = s.next
        }
    }
}
