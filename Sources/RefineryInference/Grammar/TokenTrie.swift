import RefineryCore
/// The vocabulary's byte strings as a prefix tree laid out in preorder, so a mask is one linear
/// scan that skips whole subtrees the grammar rejects.
///
/// Node 0 is the root (the empty prefix). Node `i`'s children follow it; `subtreeEnd[i]` is the
/// first node after its subtree.
struct TokenTrie: Sendable {
    let byte: [UInt8]
    let depth: [UInt16]
    let subtreeEnd: [Int32]
    /// The first token whose bytes end at this node, or -1; more in `nextToken`.
    let firstToken: [Int32]
    /// Further tokens with the same bytes (rare duplicates), -1 terminated.
    let nextToken: [Int32]
    /// The most bytes any token below this node has beyond it.
    let maxBelow: [UInt16]
    /// The byte categories (see ``category(of:)``) met in the subtree, the node's own byte included.
    let subtreeCategories: [UInt8]
    /// Token ids in preorder of their nodes; the tokens of node `i`'s subtree are
    /// `tokenOrder[tokenStart[i] ..< tokenStart[subtreeEnd[i]]]` (`tokenStart` has one extra entry).
    let tokenOrder: [Int32]
    let tokenStart: [Int32]
    let maxDepth: Int

    /// One of eight byte categories: letters and digits, space, other printable ASCII, `"`,
    /// `\`, control characters, UTF-8 continuation bytes, UTF-8 lead bytes. A grammar state that
    /// loops on whole categories (a string's body) lets a mask take whole subtrees at once.
    static func category(of b: UInt8) -> UInt8 {
        switch b {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return 1 << 0
        case 0x20: return 1 << 1
        case 0x22: return 1 << 3
        case 0x5C: return 1 << 4
        case 0x00...0x1F: return 1 << 5
        case 0x80...0xBF: return 1 << 6
        case 0xC0...0xFF: return 1 << 7
        default: return 1 << 2
        }
    }

    var nodeCount: Int { byte.count }

    /// A trie over `vocabulary`, leaving out the tokens in `excluded` and empty ones.
    init(vocabulary: [[UInt8]], excluded: Set<Int>) {
        let ids = (0..<vocabulary.count).filter { !excluded.contains($0) && !vocabulary[$0].isEmpty && vocabulary[$0].count < Int(UInt16.max) }
            .sorted { vocabulary[$0].lexicographicallyPrecedes(vocabulary[$1]) }
        var byte: [UInt8] = [0]
        var depth: [UInt16] = [0]
        var parent: [Int32] = [-1]
        var firstToken: [Int32] = [-1]
        var nextToken = [Int32](repeating: -1, count: vocabulary.count)
        var lastToken: [Int32] = [-1]
        var path: [Int32] = [0]
        var previous: [UInt8] = []
        for id in ids {
            let t = vocabulary[id]
            var lcp = 0
            let limit = min(t.count, previous.count)
            while lcp < limit, t[lcp] == previous[lcp] { lcp += 1 }
            path.removeLast(path.count - 1 - lcp)
            for d in lcp..<t.count {
                byte.append(t[d])
                depth.append(UInt16(d + 1))
                parent.append(path[path.count - 1])
                firstToken.append(-1)
                lastToken.append(-1)
                path.append(Int32(byte.count - 1))
            }
            let node = Int(path[t.count])
            if firstToken[node] < 0 {
                firstToken[node] = Int32(id)
            } else {
                nextToken[Int(lastToken[node])] = Int32(id)
            }
            lastToken[node] = Int32(id)
            previous = t
        }
        let n = byte.count
        var subtreeEnd = [Int32](repeating: Int32(n), count: n)
        var open: [Int] = []
        for j in 0..<n {
            while let top = open.last, depth[top] >= depth[j] {
                subtreeEnd[top] = Int32(j)
                open.removeLast()
            }
            open.append(j)
        }
        var deepest = depth
        for j in stride(from: n - 1, through: 1, by: -1) {
            let p = Int(parent[j])
            if deepest[j] > deepest[p] { deepest[p] = deepest[j] }
        }
        self.byte = byte
        self.depth = depth
        self.subtreeEnd = subtreeEnd
        self.firstToken = firstToken
        self.nextToken = nextToken
        self.maxBelow = (0..<n).map { deepest[$0] - depth[$0] }
        self.maxDepth = Int(deepest[0])
        var categories = [UInt8](repeating: 0, count: n)
        for j in stride(from: n - 1, through: 1, by: -1) {
            categories[j] |= Self.category(of: byte[j])
            categories[Int(parent[j])] |= categories[j]
        }
        self.subtreeCategories = categories
        var order: [Int32] = []
        var start = [Int32](repeating: 0, count: n + 1)
        for j in 0..<n {
            start[j] = Int32(order.count)
            var t = firstToken[j]
            while t >= 0 {
                order.append(t)
                t = nextToken[Int(t)]
            }
        }
        start[n] = Int32(order.count)
        self.tokenOrder = order
        self.tokenStart = start
    }
}
