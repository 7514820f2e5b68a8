import RefineryCore
/// Prompt-lookup drafting for speculative decoding: the tokens that followed the last
/// occurrence of the output's final n-gram, taken as a guess at what comes next.
///
/// A refine step that rewrites a draft copies most of it; after a few generated tokens the
/// output's tail matches a span of the draft in the prompt, and the tokens after that span
/// are proposed. The scheduler verifies them in one forward pass (see ``Speculation``).
enum PromptLookup {
    /// The longest and shortest n-grams tried, longest first.
    static let longestNGram = 3
    static let shortestNGram = 2

    /// Up to `maxDraft` tokens proposed after `history` (prompt followed by generated tokens;
    /// `promptCount` of them are the prompt). The prompt is searched first, from its end back,
    /// then the generated tokens before the n-gram itself; empty when nothing matches.
    static func draft(history: [Int32], promptCount: Int, maxDraft: Int) -> [Int32] {
        guard maxDraft > 0 else { return [] }
        let count = history.count
        return history.withUnsafeBufferPointer { tokens -> [Int32] in
            var n = min(longestNGram, count &- 1)
            while n >= shortestNGram {
                let tail = count &- n
                // A match starting at `start` (`start + n <= tail`: it ends before the tail itself).
                var start = tail &- 1
                var found = -1
                // Prompt first (matches wholly inside it), then the generated tokens.
                let promptLimit = min(promptCount, tail) &- n
                start = promptLimit
                while start >= 0 {
                    if matches(tokens, start, tail, n) { found = start; break }
                    start &-= 1
                }
                if found < 0 {
                    start = tail &- 1
                    while start > promptLimit {
                        if start &+ n <= tail, matches(tokens, start, tail, n) { found = start; break }
                        start &-= 1
                    }
                }
                if found >= 0 {
                    let from = found &+ n
                    let to = min(count, from &+ maxDraft)
                    if from < to { return Array(tokens[from..<to]) }
                }
                n &-= 1
            }
            return []
        }
    }

    @inline(__always)
    private static func matches(_ tokens: UnsafeBufferPointer<Int32>, _ start: Int, _ tail: Int, _ n: Int) -> Bool {
        var i = 0
        while i < n {
            if tokens[start &+ i] != tokens[tail &+ i] { return false }
            i &+= 1
        }
        return true
    }
}
