import RefineryCore

/// A nondeterministic finite automaton over Unicode scalars, built from a ``RegexNode``.
///
/// The schema compiler uses it where a pattern has to be combined with something else: several
/// `pattern`s on one string (an `allOf`), a pattern together with `minLength`/`maxLength`, the
/// names `patternProperties` and `propertyNames` allow, and to test a known property name
/// against a `patternProperties` regex. ``StringLanguage`` intersects such automata.
struct RegexAutomaton: Sendable {
    /// Character moves out of each state.
    private(set) var moves: [[(set: RegexCharSet, to: Int)]] = []
    /// Moves that consume nothing, out of each state.
    private(set) var emptyMoves: [[Int]] = []
    private(set) var start = 0
    private(set) var accept = 0

    /// The most states one pattern may expand to (counted repetitions are copied out).
    static let maxStates = 20_000

    /// How a pattern's anchors map to a language of whole strings.
    enum Reading {
        /// Exactly the strings JSON Schema's `pattern` accepts (an unanchored search): `^` and `$`
        /// pin the match to the ends, and a missing anchor lets any text come before or after.
        case search
        /// The strings generation produces, a subset of ``search``: a pattern without anchors
        /// matches the whole string, one with only `^` may be followed by any text, one with
        /// only `$` preceded by any text.
        case generation
    }

    /// The automaton of `pattern` read as `reading`; errors name `path`.
    init(pattern: String, path: String, reading: Reading) throws(GrammarError) {
        var parser = RegexParser(pattern, path: path)
        let node = try parser.parse()
        try self.init(node: node, anchoredAtStart: parser.anchoredAtStart, anchoredAtEnd: parser.anchoredAtEnd,
                      reading: reading, pattern: pattern, path: path)
    }

    /// The automaton of a parsed pattern (see ``init(pattern:path:reading:)``).
    init(node: RegexNode, anchoredAtStart: Bool, anchoredAtEnd: Bool, reading: Reading,
         pattern: String, path: String) throws(GrammarError) {
        let anyBefore: Bool
        let anyAfter: Bool
        switch reading {
        case .search:
            anyBefore = !anchoredAtStart
            anyAfter = !anchoredAtEnd
        case .generation:
            anyBefore = anchoredAtEnd && !anchoredAtStart
            anyAfter = anchoredAtStart && !anchoredAtEnd
        }
        start = newState()
        accept = newState()
        var from = start
        var to = accept
        if anyBefore {
            let loop = newState()
            emptyMoves[start].append(loop)
            moves[loop].append((RegexCharSet.anyCharacter, loop))
            from = loop
        }
        if anyAfter {
            let loop = newState()
            emptyMoves[loop].append(accept)
            moves[loop].append((RegexCharSet.anyCharacter, loop))
            to = loop
        }
        try add(node, from: from, to: to, pattern: pattern, path: path)
    }

    private init() {}

    /// An automaton accepting what any of `list` accepts.
    static func union(_ list: [RegexAutomaton]) -> RegexAutomaton {
        if list.count == 1 { return list[0] }
        var u = RegexAutomaton()
        u.start = u.newState()
        u.accept = u.newState()
        for a in list {
            let offset = u.moves.count
            for s in 0..<a.moves.count {
                u.moves.append(a.moves[s].map { ($0.set, $0.to + offset) })
                u.emptyMoves.append(a.emptyMoves[s].map { $0 + offset })
            }
            u.emptyMoves[u.start].append(a.start + offset)
            u.emptyMoves[a.accept + offset].append(u.accept)
        }
        return u
    }

    private mutating func newState() -> Int {
        moves.append([])
        emptyMoves.append([])
        return moves.count - 1
    }

    private mutating func add(_ node: RegexNode, from: Int, to: Int, pattern: String, path: String) throws(GrammarError) {
        guard moves.count < Self.maxStates else {
            throw .tooLarge("pattern", path: path, "'\(pattern)' expands to more than \(Self.maxStates) automaton states")
        }
        switch node {
        case .scalar(let s):
            moves[from].append((RegexCharSet.single(s), to))
        case .set(let set):
            moves[from].append((set, to))
        case .concat(let list):
            guard !list.isEmpty else { emptyMoves[from].append(to); return }
            var current = from
            for (k, item) in list.enumerated() {
                let next = k == list.count - 1 ? to : newState()
                try add(item, from: current, to: next, pattern: pattern, path: path)
                current = next
            }
        case .alternation(let list):
            for item in list { try add(item, from: from, to: to, pattern: pattern, path: path) }
        case .repetition(let inner, let minimum, let maximum):
            var current = from
            for _ in 0..<minimum {
                let next = newState()
                try add(inner, from: current, to: next, pattern: pattern, path: path)
                current = next
            }
            if let maximum {
                for _ in minimum..<maximum {
                    let next = newState()
                    emptyMoves[current].append(to)
                    try add(inner, from: current, to: next, pattern: pattern, path: path)
                    current = next
                }
                emptyMoves[current].append(to)
            } else {
                let loop = newState()
                emptyMoves[current].append(loop)
                try add(inner, from: loop, to: loop, pattern: pattern, path: path)
                emptyMoves[loop].append(to)
            }
        }
    }

    /// `states` with every state reachable through empty moves, sorted.
    func closure(_ states: [Int]) -> [Int] {
        var seen = Set(states)
        var work = states
        while let s = work.popLast() {
            for t in emptyMoves[s] where seen.insert(t).inserted { work.append(t) }
        }
        return seen.sorted()
    }

    /// The states before any character.
    var initialStates: [Int] { closure([start]) }

    /// The states after `scalar` from `states` (empty: no match can continue).
    func step(_ states: [Int], _ scalar: CharacterAtom) -> [Int] {
        var next: [Int] = []
        for s in states {
            for move in moves[s] where scalar.isIn(move.set) { next.append(move.to) }
        }
        return next.isEmpty ? [] : closure(next)
    }

    /// Whether `states` include the accepting state.
    func accepts(_ states: [Int]) -> Bool { states.contains(accept) }

    /// Whether the automaton accepts `text`.
    func matches(_ text: String) -> Bool {
        var states = initialStates
        for scalar in text.unicodeScalars {
            states = step(states, .scalar(scalar))
            if states.isEmpty { return false }
        }
        return accepts(states)
    }

    /// The non-ASCII scalars some move names one by one.
    var listedScalars: Set<Unicode.Scalar> {
        var out = Set<Unicode.Scalar>()
        for list in moves { for move in list { out.formUnion(move.set.nonASCII) } }
        return out
    }
}

/// One character as the product construction sees the alphabet: a scalar, or "any non-ASCII
/// scalar no set names one by one".
enum CharacterAtom: Hashable {
    case scalar(Unicode.Scalar)
    case otherNonASCII

    /// Whether every character this atom stands for is in `set`.
    func isIn(_ set: RegexCharSet) -> Bool {
        switch self {
        case .scalar(let s):
            if s.value < 128 { return set.ascii[Int(s.value)] }
            return set.anyNonASCII || set.nonASCII.contains(s)
        case .otherNonASCII:
            return set.anyNonASCII
        }
    }
}

extension RegexCharSet {
    /// The set holding just `scalar`.
    static func single(_ scalar: Unicode.Scalar) -> RegexCharSet {
        var s = RegexCharSet()
        if scalar.value < 128 { s.ascii[Int(scalar.value)] = true } else { s.nonASCII = [scalar] }
        return s
    }

    /// Every character.
    static let anyCharacter: RegexCharSet = {
        var s = RegexCharSet.of { _ in true }
        s.anyNonASCII = true
        return s
    }()
}

extension RegexNode {
    /// The fewest and most characters a whole-string match has (`nil`: unbounded).
    var lengthRange: (min: Int, max: Int?) {
        switch self {
        case .scalar, .set: return (1, 1)
        case .concat(let list):
            var lo = 0
            var hi: Int? = 0
            for item in list {
                let r = item.lengthRange
                lo += r.min
                hi = hi.flatMap { h in r.max.map { h + $0 } }
            }
            return (lo, hi)
        case .alternation(let list):
            let ranges = list.map(\.lengthRange)
            let lo = ranges.map(\.min).min() ?? 0
            let hi: Int? = ranges.contains { $0.max == nil } ? nil : ranges.compactMap(\.max).max() ?? 0
            return (lo, hi)
        case .repetition(let inner, let minimum, let maximum):
            let r = inner.lengthRange
            let hi: Int? = maximum.flatMap { m in r.max.map { $0 * m } } ?? (r.max == 0 ? 0 : nil)
            return (r.min * minimum, hi)
        }
    }
}
