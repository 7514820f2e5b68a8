import RefineryCore
/// Finds which special tokens occur in a text, and splits the text around them the way
/// llama.cpp's `tokenizer_st_partition` does: longest tokens first, each one cutting every
/// remaining text fragment at all of its occurrences.
struct SpecialTokenMatcher: Sendable {
    /// Candidate ids, longest text first (ties by id).
    private let ordered: [Int32]
    private let texts: [[UInt8]]
    /// Trie over the candidates' texts: (node << 8 | byte) → child node.
    private let edges: [UInt64: Int32]
    /// Node → token id ending there, or -1.
    private let terminal: [Int32]
    /// Whether some candidate starts with the byte.
    private let firstBytes: [Bool]

    /// A piece of the input: a special token, or a byte range still to tokenize.
    enum Fragment: Equatable {
        case token(Int32)
        case text(Range<Int>)
    }

    init(candidates: [Int32], texts allTexts: [[UInt8]]) {
        let ordered = candidates.sorted {
            let a = allTexts[Int($0)].count, b = allTexts[Int($1)].count
            return a != b ? a > b : $0 < $1
        }
        var texts: [[UInt8]] = []
        var edges: [UInt64: Int32] = [:]
        var terminal: [Int32] = [-1]
        var firstBytes = [Bool](repeating: false, count: 256)
        for (i, id) in ordered.enumerated() {
            let text = allTexts[Int(id)]
            texts.append(text)
            if let b = text.first { firstBytes[Int(b)] = true }
            var node: Int32 = 0
            for b in text {
                let key = UInt64(UInt32(node)) << 8 | UInt64(b)
                if let child = edges[key] {
                    node = child
                } else {
                    let child = Int32(terminal.count)
                    terminal.append(-1)
                    edges[key] = child
                    node = child
                }
            }
            if terminal[Int(node)] < 0 { terminal[Int(node)] = Int32(i) }
        }
        self.ordered = ordered
        self.texts = texts
        self.edges = edges
        self.terminal = terminal
        self.firstBytes = firstBytes
    }

    /// Splits `bytes`; `allowed` says whether a candidate may be matched (by token id).
    func partition(_ bytes: UnsafeBufferPointer<UInt8>, allowed: (Int32) -> Bool) -> [Fragment] {
        guard !bytes.isEmpty else { return [] }
        guard !ordered.isEmpty else { return [.text(0..<bytes.count)] }
        // Which candidates occur anywhere in the text?
        var present = Set<Int32>()
        for start in 0..<bytes.count where firstBytes[Int(bytes[start])] {
            var node: Int32 = 0
            var p = start
            while p < bytes.count, let child = edges[UInt64(UInt32(node)) << 8 | UInt64(bytes[p])] {
                node = child
                p += 1
                let t = terminal[Int(node)]
                if t >= 0 && allowed(ordered[Int(t)]) { present.insert(t) }
            }
        }
        var fragments: [Fragment] = [.text(0..<bytes.count)]
        if present.isEmpty { return fragments }
        for r in present.sorted() {
            let id = ordered[Int(r)]
            let needle = texts[Int(r)]
            var next: [Fragment] = []
            next.reserveCapacity(fragments.count + 2)
            for fragment in fragments {
                guard case .text(let range) = fragment else { next.append(fragment); continue }
                var base = range.lowerBound
                while let match = Self.find(needle, in: bytes, from: base, to: range.upperBound) {
                    if match > base { next.append(.text(base..<match)) }
                    next.append(.token(id))
                    base = match + needle.count
                }
                if base < range.upperBound { next.append(.text(base..<range.upperBound)) }
            }
            fragments = next
        }
        return fragments
    }

    private static func find(_ needle: [UInt8], in hay: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int? {
        let m = needle.count
        guard m > 0, to - from >= m else { return nil }
        let first = needle[0]
        var i = from
        while i <= to - m {
            if hay[i] == first {
                var j = 1
                while j < m && hay[i + j] == needle[j] { j += 1 }
                if j == m { return i }
            }
            i += 1
        }
        return nil
    }
}
