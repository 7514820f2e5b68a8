import RefineryCore
/// The states of one grammar met so far, numbered, with their byte transitions memoized: the
/// automaton determinized lazily, so a mask walk costs one table load per trie node.
///
/// Not thread-safe: ``TokenMaskBuilder`` guards it with its lock.
final class GrammarStateSpace {
    static let unknown: Int32 = -2
    static let dead: Int32 = -1

    let grammar: Grammar
    private var ids: [[UInt32]: Int32] = [:]
    private(set) var states: [[UInt32]] = []
    /// Fewest bytes to complete, per state.
    private(set) var minComplete: UnsafeMutablePointer<Int32>
    /// Per state, the byte categories (``TokenTrie/category(of:)``) whose every byte leads back
    /// to the state itself; valid once the state's transition row is computed.
    private(set) var loopCategories: UnsafeMutablePointer<UInt8>
    /// `transitions[state * 256 + byte]`: next state, `dead` or `unknown`.
    private(set) var transitions: UnsafeMutablePointer<Int32>
    private var capacity: Int
    /// Cached masks per state.
    var masks: [Int32: CachedMask] = [:]
    /// Cached open-ended masks per state (``TokenMaskBuilder/mask(for:budgetTokens:openEnded:)``).
    var openEndedMasks: [Int32: CachedMask] = [:]

    /// A state's unbudgeted mask, with what a budget needs to trim it.
    struct CachedMask {
        var words: [UInt64]
        /// The largest completion distance among allowed tokens.
        var maxAfter: Int32
        /// The completion distance from the state itself.
        var base: Int32
        /// Allowed tokens whose completion distance after them differs from `base`, with that
        /// distance (`nil` when there are too many to keep).
        var uneven: [(token: Int32, after: Int32)]?
    }

    init(grammar: Grammar) {
        self.grammar = grammar
        capacity = 64
        minComplete = .allocate(capacity: capacity)
        loopCategories = .allocate(capacity: capacity)
        transitions = .allocate(capacity: capacity * 256)
    }

    deinit {
        minComplete.deallocate()
        loopCategories.deallocate()
        transitions.deallocate()
    }

    var stateCount: Int { states.count }

    /// The number of `state`, adding it when new.
    func intern(_ state: [UInt32]) -> Int32 {
        if let id = ids[state] { return id }
        let id = Int32(states.count)
        if states.count == capacity { grow() }
        states.append(state)
        ids[state] = id
        let m = grammar.minimumBytesToComplete(state)
        minComplete[Int(id)] = Int32(clamping: m)
        loopCategories[Int(id)] = 0
        (transitions + Int(id) * 256).initialize(repeating: Self.unknown, count: 256)
        return id
    }

    private func grow() {
        let newCapacity = capacity * 2
        let m = UnsafeMutablePointer<Int32>.allocate(capacity: newCapacity)
        m.initialize(from: minComplete, count: capacity)
        minComplete.deallocate()
        minComplete = m
        let l = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        l.initialize(from: loopCategories, count: capacity)
        loopCategories.deallocate()
        loopCategories = l
        let t = UnsafeMutablePointer<Int32>.allocate(capacity: newCapacity * 256)
        t.initialize(from: transitions, count: capacity * 256)
        transitions.deallocate()
        transitions = t
        capacity = newCapacity
    }

    /// Computes and records the transitions of `state` (may reallocate the tables); returns the
    /// one on `byte`. Bytes accepted by the same stacks lead to the same state, so the row costs
    /// one advance per distinct set of accepting stacks, not one per byte.
    func computeTransition(_ state: Int32, _ byte: UInt8) -> Int32 {
        let s = states[Int(state)]
        guard let signatures = grammar.acceptanceSignatures(s) else {
            let next: Int32
            if let n = grammar.advance(s, byte) { next = intern(n) } else { next = Self.dead }
            transitions[Int(state) * 256 + Int(byte)] = next
            return next
        }
        var bySignature: [UInt64: Int32] = [0: Self.dead]
        var row = [Int32](repeating: Self.dead, count: 256)
        for b in 0..<256 {
            let signature = signatures[b]
            if let next = bySignature[signature] {
                row[b] = next
            } else {
                let next = grammar.advance(s, UInt8(b)).map { intern($0) } ?? Self.dead
                bySignature[signature] = next
                row[b] = next
            }
        }
        let base = transitions + Int(state) * 256
        for b in 0..<256 { base[b] = row[b] }
        var notLooping: UInt8 = 0
        for b in 0..<256 where row[b] != state { notLooping |= TokenTrie.category(of: UInt8(b)) }
        loopCategories[Int(state)] = ~notLooping
        return row[Int(byte)]
    }

    func isComplete(_ state: Int32) -> Bool { grammar.isComplete(states[Int(state)]) }
}
