import RefineryCore
/// Where a document stands against a ``Grammar``: advanced byte by byte, queried for what may
/// come next and whether the document may end.
///
/// A value type holding a small array (the automaton's stacks), so copying it to try a
/// candidate token is cheap and leaves the original untouched. Equal matchers of the same
/// grammar accept exactly the same continuations; matchers are `Hashable` so masks can be cached
/// per state.
public struct GrammarMatcher: Sendable, Hashable {
    /// The grammar this matcher runs.
    public let grammar: Grammar
    /// The automaton state: `[count, positions…]` per stack, canonical order.
    private(set) var state: [UInt32]

    /// A matcher at the start of a document of `grammar`.
    public init(grammar: Grammar) {
        self.grammar = grammar
        self.state = grammar.initialState()
    }

    init(grammar: Grammar, state: [UInt32]) {
        self.grammar = grammar
        self.state = state
    }

    public static func == (lhs: GrammarMatcher, rhs: GrammarMatcher) -> Bool {
        lhs.grammar === rhs.grammar && lhs.state == rhs.state
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(ObjectIdentifier(grammar))
        hasher.combine(state)
    }

    /// Whether the bytes so far form a complete document (generation may stop here).
    public var isComplete: Bool { grammar.isComplete(state) }

    /// Whether any byte may follow (false once a document is complete and cannot grow).
    public var canContinue: Bool { !grammar.acceptedBytes(state).isEmpty }

    /// The bytes that may come next.
    public var allowedBytes: ByteSet { grammar.acceptedBytes(state) }

    /// The fewest bytes that complete the document from here (0 when already complete).
    public var minimumBytesToComplete: Int { grammar.minimumBytesToComplete(state) }

    /// Whether `byte` may come next.
    public func canAccept(_ byte: UInt8) -> Bool { grammar.acceptedBytes(state).contains(byte) }

    /// Consumes `byte`; returns `false` (and changes nothing) when the grammar forbids it.
    @discardableResult
    public mutating func accept(byte: UInt8) -> Bool {
        guard let next = grammar.advance(state, byte) else { return false }
        state = next
        return true
    }

    /// Consumes all of `bytes`, or nothing: returns `false` and leaves the matcher unchanged
    /// when any byte is forbidden.
    @discardableResult
    public mutating func accept<C: Collection>(bytes: C) -> Bool where C.Element == UInt8 {
        var s = state
        for b in bytes {
            guard let next = grammar.advance(s, b) else { return false }
            s = next
        }
        state = s
        return true
    }

    /// Consumes the token's bytes, or nothing (see ``accept(bytes:)``).
    @discardableResult
    public mutating func accept(tokenBytes: [UInt8]) -> Bool { accept(bytes: tokenBytes) }

    /// Whether `text` (UTF-8) is exactly one complete document of the grammar.
    public func matches(_ text: String) -> Bool {
        var m = self
        return m.accept(bytes: Array(text.utf8)) && m.isComplete
    }
}
