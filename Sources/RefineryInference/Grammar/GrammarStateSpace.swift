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
    /// `transitions[state * 256 + byte]`: next state, `dead` or `unknown`.
    private(set) var transitions: UnsafeMutablePointer<Int32>
    private var capacity: Int
    /// Cached masks per state: the unbudgeted mask and the largest `minComplete` it leads to.
    var masks: [Int32: (words: [UInt64], maxAfter: Int32)] = [:]

    init(grammar: Grammar) {
        self.grammar = grammar
        capacity = 64
        minComplete = .allocate(capacity: capacity)
        transitions = .allocate(capacity: capacity * 256)
    }

    deinit {
        minComplete.deallocate()
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
        (transitions + Int(id) * 256).initialize(repeating: Self.unknown, count: 256)
        return id
    }

    private func grow() {
        let newCapacity = capacity * 2
        let m = UnsafeMutablePointer<Int32>.allocate(capacity: newCapacity)
        m.initialize(from: minComplete, count: capacity)
        minComplete.deallocate()
        minComplete = m
        let t = UnsafeMutablePointer<Int32>.allocate(capacity: newCapacity * 256)
        t.initialize(from: transitions, count: capacity * 256)
        transitions.deallocate()
        transitions = t
        capacity = newCapacity
    }

    /// Computes and records the transition of `state` on `byte` (may reallocate the tables).
    func computeTransition(_ state: Int32, _ byte: UInt8) -> Int32 {
        let next: Int32
        if let s = grammar.advance(states[Int(state)], byte) { next = intern(s) } else { next = Self.dead }
        transitions[Int(state) * 256 + Int(byte)] = next
        return next
    }

    func isComplete(_ state: Int32) -> Bool { grammar.isComplete(states[Int(state)]) }
}
