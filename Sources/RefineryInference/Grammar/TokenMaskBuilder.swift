import RefineryCore
import Synchronization

/// Computes, for a ``GrammarMatcher`` state, which tokens of a vocabulary may come next.
///
/// The vocabulary's byte strings form a prefix tree walked against the grammar's automaton,
/// skipping every subtree whose prefix is rejected. The automaton is determinized lazily (each
/// state numbered once, its byte transitions memoized), and the mask of each state is cached,
/// so repeated states — inside a long string, the same key of the next request — cost a
/// lookup. Tokens with empty byte strings (control tokens) are never allowed; end-of-generation
/// tokens only when the document is complete.
///
/// **Budget.** With `budgetTokens` (the tokens the model may still produce, this one included),
/// a token is allowed only if the document can still be completed in the tokens left after it,
/// counting one token per byte. Vocabularies with a token for every single byte (byte-level
/// BPE, e.g. Qwen, Llama 3, SmolLM) can always do so, so a generation that starts with a
/// budget of at least ``GrammarMatcher/minimumBytesToComplete`` ends with a complete document;
/// near the end only closing moves remain allowed. Given a budget too small to finish in at all,
/// the mask holds the tokens that come closest to the end (it is never empty while the grammar
/// can continue).
///
/// **Open-ended documents.** A document that free text may follow (a tool call inside a reply)
/// asks for an `openEnded` mask: it also allows every token that completes the document partway
/// through and runs on past its end, as long as the grammar rejects the byte where it runs on
/// (`"```\n\n"` after a fenced call's closing fence). Without them the model could not use its
/// natural token for the closing and would be pushed into odd ones, or into ending its turn.
/// ``ConstrainedDecoding`` splits such a token at the document's end.
///
/// Thread-safe; caches are per grammar (the most recent 16) and bounded.
public final class TokenMaskBuilder: Sendable {
    /// The byte string of each token id.
    public let vocabulary: [[UInt8]]
    /// End-of-generation token ids.
    public let eogTokens: Set<Int>
    /// Whether every single byte is a token (the budget guarantee needs it).
    public let coversAllBytes: Bool

    private let trie: TokenTrie
    private let eogList: [Int]
    private let spaces = Mutex<[(grammar: Grammar, space: GrammarStateSpace)]>([])

    /// Bounds on the caches of one grammar; beyond them the grammar's caches restart empty.
    static let maxStates = 16_384
    static let maxMasks = 512

    /// A builder over `vocabulary` (token bytes indexed by token id); `eogTokens` end
    /// generation and are allowed only when the document is complete.
    public init(vocabulary: [[UInt8]], eogTokens: Set<Int>) {
        self.vocabulary = vocabulary
        self.eogTokens = eogTokens.filter { $0 >= 0 && $0 < vocabulary.count }
        self.eogList = self.eogTokens.sorted()
        self.trie = TokenTrie(vocabulary: vocabulary, excluded: self.eogTokens)
        var single = Set<UInt8>()
        for (id, t) in vocabulary.enumerated() where t.count == 1 && !eogTokens.contains(id) { single.insert(t[0]) }
        self.coversAllBytes = single.count == 256
    }

    /// Number of nodes of the vocabulary's prefix tree (a size figure for benchmarks).
    public var trieNodeCount: Int { trie.nodeCount }

    /// The tokens allowed next from `matcher`'s state; with `budgetTokens`, only those after
    /// which the document can still be completed within the budget. With `openEnded`, also the
    /// tokens that complete the document and run on into free text (see the type's notes).
    public func mask(for matcher: GrammarMatcher, budgetTokens: Int? = nil, openEnded: Bool = false) -> TokenMask {
        if let budgetTokens, budgetTokens <= 0 { return TokenMask(count: vocabulary.count) }
        return spaces.withLock { spaces in
            let space = Self.space(for: matcher.grammar, in: &spaces)
            if space.stateCount > Self.maxStates || space.masks.count + space.openEndedMasks.count > Self.maxMasks {
                spaces.removeAll { $0.grammar === matcher.grammar }
                return mask(in: Self.space(for: matcher.grammar, in: &spaces), matcher, budgetTokens, openEnded)
            }
            return mask(in: space, matcher, budgetTokens, openEnded)
        }
    }

    /// Splits `token` where an open-ended document ends inside it: advances `matcher` by the
    /// longest prefix of the token's bytes the grammar accepts and returns the bytes after it,
    /// which are free text. All of the bytes are consumed when the grammar accepts them (the
    /// result is then empty). Returns `nil`, changing nothing, when the token is not allowed by an
    /// open-ended mask: an end-of-generation token before the document is complete, or bytes the
    /// grammar rejects from a state where the document is not complete.
    public func split(token: Int, into matcher: inout GrammarMatcher) -> ArraySlice<UInt8>? {
        guard token >= 0, token < vocabulary.count else { return nil }
        if eogTokens.contains(token) { return matcher.isComplete ? [] : nil }
        let bytes = vocabulary[token]
        guard !bytes.isEmpty else { return nil }
        var m = matcher
        for (i, b) in bytes.enumerated() where !m.accept(byte: b) {
            guard i > 0, m.isComplete else { return nil }
            matcher = m
            return bytes[i...]
        }
        matcher = m
        return bytes[bytes.endIndex...]
    }

    /// Advances `matcher` by `token`'s bytes; `false` (and no change) when the grammar forbids
    /// them. End-of-generation tokens are accepted only when the document is complete.
    public func accept(token: Int, into matcher: inout GrammarMatcher) -> Bool {
        guard token >= 0, token < vocabulary.count else { return false }
        if eogTokens.contains(token) { return matcher.isComplete }
        let bytes = vocabulary[token]
        return !bytes.isEmpty && matcher.accept(bytes: bytes)
    }

    private static func space(for grammar: Grammar, in spaces: inout [(grammar: Grammar, space: GrammarStateSpace)]) -> GrammarStateSpace {
        if let i = spaces.firstIndex(where: { $0.grammar === grammar }) {
            let entry = spaces.remove(at: i)
            spaces.append(entry)
            return entry.space
        }
        let space = GrammarStateSpace(grammar: grammar)
        spaces.append((grammar, space))
        if spaces.count > 16 { spaces.removeFirst() }
        return space
    }

    private func mask(in space: GrammarStateSpace, _ matcher: GrammarMatcher, _ budget: Int?, _ openEnded: Bool) -> TokenMask {
        let state = space.intern(matcher.state)
        let cached: GrammarStateSpace.CachedMask
        if let hit = openEnded ? space.openEndedMasks[state] : space.masks[state] {
            cached = hit
        } else {
            cached = walk(space, from: state, budget: nil, openEnded: openEnded)
            if openEnded { space.openEndedMasks[state] = cached } else { space.masks[state] = cached }
        }
        guard let budget, Int(cached.maxAfter) > budget - 1 else {
            return TokenMask(count: vocabulary.count, words: cached.words)
        }
        // The budget binds: trim the cached mask with the tokens whose distance differs.
        var limit = Int32(clamping: budget - 1)
        guard let uneven = cached.uneven else {
            let trimmed = walk(space, from: state, budget: budget, openEnded: openEnded).words
            let empty = trimmed.allSatisfy { $0 == 0 }
            return TokenMask(count: vocabulary.count, words: empty ? cached.words : trimmed)
        }
        // A budget too small to finish in: keep the tokens that come closest.
        let evenExists = cached.words.reduce(0) { $0 + $1.nonzeroBitCount } > uneven.count
        let floor = min(evenExists ? cached.base : Int32.max, uneven.map(\.after).min() ?? Int32.max)
        if floor > limit, floor != Int32.max { limit = floor }
        var words: [UInt64]
        if limit >= cached.base {
            words = cached.words
            for (token, after) in uneven where after > limit {
                words[Int(token) >> 6] &= ~(UInt64(1) << UInt64(token & 63))
            }
        } else {
            words = [UInt64](repeating: 0, count: cached.words.count)
            for (token, after) in uneven where after <= limit {
                words[Int(token) >> 6] |= UInt64(1) << UInt64(token & 63)
            }
        }
        return TokenMask(count: vocabulary.count, words: words)
    }

    /// Most tokens with an uneven completion distance a cached mask keeps.
    static let maxUneven = 16_384

    /// The preorder scan of the trie from `start`: each node's state is its parent's state
    /// advanced by the node's byte; a dead state skips the subtree — or, `openEnded`, takes it
    /// whole when the parent's state completes the document (its tokens end the document there).
    private func walk(_ space: GrammarStateSpace, from start: Int32, budget: Int?, openEnded: Bool) -> GrammarStateSpace.CachedMask {
        var words = [UInt64](repeating: 0, count: (vocabulary.count + 63) / 64)
        var maxAfter: Int32 = 0
        let base = space.minComplete[Int(start)]
        var uneven: [(token: Int32, after: Int32)]? = []
        let limit = Int32(clamping: (budget ?? Int(Int32.max)) - 1)
        let budgeted = budget != nil
        var stateAt = [Int32](repeating: 0, count: trie.maxDepth + 1)
        stateAt[0] = start
        words.withUnsafeMutableBufferPointer { bits in
            stateAt.withUnsafeMutableBufferPointer { at in
                trie.byte.withUnsafeBufferPointer { byte in
                trie.depth.withUnsafeBufferPointer { depth in
                trie.subtreeEnd.withUnsafeBufferPointer { subtreeEnd in
                trie.firstToken.withUnsafeBufferPointer { firstToken in
                trie.maxBelow.withUnsafeBufferPointer { maxBelow in
                trie.nextToken.withUnsafeBufferPointer { nextToken in
                trie.subtreeCategories.withUnsafeBufferPointer { categories in
                trie.tokenOrder.withUnsafeBufferPointer { tokenOrder in
                trie.tokenStart.withUnsafeBufferPointer { tokenStart in
                    var transitions = space.transitions
                    var minComplete = space.minComplete
                    var loops = space.loopCategories
                    let n = byte.count
                    var i = 1
                    while i < n {
                        let d = Int(depth[i])
                        let parent = at[d &- 1]
                        let b = byte[i]
                        var next = transitions[Int(parent) &* 256 &+ Int(b)]
                        if next == GrammarStateSpace.unknown {
                            next = space.computeTransition(parent, b)
                            transitions = space.transitions
                            minComplete = space.minComplete
                            loops = space.loopCategories
                        }
                        if next < 0 {
                            let end = Int(subtreeEnd[i])
                            if openEnded, d > 1, minComplete[Int(parent)] == 0 {
                                // Complete before this byte: the document ends inside these tokens.
                                for k in Int(tokenStart[i])..<Int(tokenStart[end]) {
                                    let token = tokenOrder[k]
                                    bits[Int(token) >> 6] |= UInt64(1) << UInt64(token & 63)
                                    if base != 0, uneven != nil {
                                        uneven!.append((token, 0))
                                        if uneven!.count > Self.maxUneven { uneven = nil }
                                    }
                                }
                            }
                            i = end
                            continue
                        }
                        if next == parent, categories[i] & ~loops[Int(parent)] == 0 {
                            // Every byte below loops back to this state: take the subtree whole.
                            let end = Int(subtreeEnd[i])
                            let m = minComplete[Int(parent)]
                            if m <= limit {
                                if m > maxAfter { maxAfter = m }
                                let even = m == base
                                for k in Int(tokenStart[i])..<Int(tokenStart[end]) {
                                    let token = tokenOrder[k]
                                    bits[Int(token) >> 6] |= UInt64(1) << UInt64(token & 63)
                                    if !even, uneven != nil {
                                        uneven!.append((token, m))
                                        if uneven!.count > Self.maxUneven { uneven = nil }
                                    }
                                }
                            }
                            i = end
                            continue
                        }
                        at[d] = next
                        let m = minComplete[Int(next)]
                        if budgeted, m &- Int32(maxBelow[i]) > limit {
                            i = Int(subtreeEnd[i])
                            continue
                        }
                        var token = firstToken[i]
                        if token >= 0, m <= limit {
                            if m > maxAfter { maxAfter = m }
                            let even = m == base
                            repeat {
                                bits[Int(token) >> 6] |= UInt64(1) << UInt64(token & 63)
                                if !even, uneven != nil {
                                    uneven!.append((token, m))
                                    if uneven!.count > Self.maxUneven { uneven = nil }
                                }
                                token = nextToken[Int(token)]
                            } while token >= 0
                        }
                        i &+= 1
                    }
                }}}}}}}}}
            }
        }
        if space.isComplete(start) {
            for t in eogList { words[t >> 6] |= UInt64(1) << UInt64(t & 63) }
        }
        return GrammarStateSpace.CachedMask(words: words, maxAfter: maxAfter, base: base, uneven: uneven)
    }
}
