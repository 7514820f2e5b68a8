import RefineryCore
/// Which tokens of a vocabulary may come next: one bit per token id.
public struct TokenMask: Sendable, Hashable {
    /// Number of tokens (the vocabulary size).
    public let count: Int
    /// The bits, 64 tokens per word, token `i` at bit `i % 64` of word `i / 64`.
    public private(set) var words: [UInt64]

    /// A mask of `count` tokens, all allowed or all forbidden.
    public init(count: Int, allowed: Bool = false) {
        self.count = count
        var words = [UInt64](repeating: allowed ? ~0 : 0, count: (count + 63) / 64)
        if allowed, count % 64 != 0 { words[words.count - 1] = (UInt64(1) << UInt64(count % 64)) - 1 }
        self.words = words
    }

    init(count: Int, words: [UInt64]) {
        self.count = count
        self.words = words
    }

    /// Whether `token` is allowed.
    public func isAllowed(_ token: Int) -> Bool {
        guard token >= 0, token < count else { return false }
        return (words[token >> 6] >> UInt64(token & 63)) & 1 != 0
    }

    /// Allows or forbids `token`.
    public mutating func set(_ token: Int, allowed: Bool) {
        precondition(token >= 0 && token < count, "token \(token) outside the vocabulary")
        if allowed { words[token >> 6] |= UInt64(1) << UInt64(token & 63) } else { words[token >> 6] &= ~(UInt64(1) << UInt64(token & 63)) }
    }

    /// How many tokens are allowed.
    public var allowedCount: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }

    /// The allowed token ids, ascending.
    public var allowedTokens: [Int] {
        var out: [Int] = []
        for (w, word) in words.enumerated() {
            var bits = word
            while bits != 0 {
                out.append(w * 64 + bits.trailingZeroBitCount)
                bits &= bits - 1
            }
        }
        return out
    }

    /// Sets the logit of every forbidden token to `-infinity` (`logits.count` must be `count`).
    public func apply(to logits: UnsafeMutableBufferPointer<Float>) {
        precondition(logits.count >= count, "logits shorter than the mask")
        guard let base = logits.baseAddress else { return }
        words.withUnsafeBufferPointer { w in
            var i = 0
            while i < count {
                let word = w[i >> 6]
                let end = min(i &+ 64, count)
                if word == 0 {
                    (base + i).update(repeating: -.infinity, count: end &- i)
                } else if word != ~0 {
                    var forbidden = ~word
                    if end &- i < 64 { forbidden &= (UInt64(1) << UInt64(end &- i)) &- 1 }
                    while forbidden != 0 {
                        base[i &+ forbidden.trailingZeroBitCount] = -.infinity
                        forbidden &= forbidden &- 1
                    }
                }
                i = end
            }
        }
    }
}
