import RefineryCore

/// A set of strings given by several constraints at once — patterns that must all match, a
/// length range in characters, and names that are not allowed — determinized into one finite
/// automaton by a product construction.
///
/// This is how the schema compiler enforces `pattern` together with `minLength`/`maxLength`,
/// several patterns on one string (from `allOf`), `format` next to other string keywords, and
/// the keys of `patternProperties`/`propertyNames` maps. The automaton is explored from the
/// start and capped at ``maxStates``; a larger product is a ``GrammarError/tooLarge(_:path:_:)``.
struct StringLanguage {
    /// Patterns every string must match.
    var automata: [RegexAutomaton] = []
    /// Fewest characters (Unicode scalars, as JSON Schema counts them).
    var minLength = 0
    /// Most characters (`nil`: no limit).
    var maxLength: Int? = nil
    /// Strings that are not allowed.
    var excluded: [String] = []

    /// The most automaton states one string constraint may need.
    static let maxStates = 8_192

    /// One state's way out: the characters that lead to the state `target`.
    struct Move {
        var characters: RegexCharSet
        var target: Int
    }

    /// The determinized automaton: state 0 starts; every state can still reach an accepting one.
    struct Automaton {
        var moves: [[Move]]
        var accepting: [Bool]
    }

    /// Whether no constraint narrows the strings at all.
    var isUnconstrained: Bool { automata.isEmpty && minLength == 0 && maxLength == nil && excluded.isEmpty }

    /// The ASCII characters a JSON string may hold as generated (printable ones and the escapable
    /// tab, newline, form feed and carriage return; other control characters are never produced).
    private static let asciiAtoms: [CharacterAtom] = ([0x09, 0x0A, 0x0C, 0x0D] + Array(0x20...0x7F)).map {
        .scalar(Unicode.Scalar(UInt8($0)))
    }

    private struct ExclusionTrie {
        var children: [[Unicode.Scalar: Int]] = [[:]]
        var terminal: [Bool] = [false]
        /// Nodes with a non-ASCII child: there, an unnamed non-ASCII character is refused
        /// (a sound simplification that keeps the automaton deterministic per character class).
        var hasNonASCIIChild: [Bool] = [false]

        init(_ names: [String]) {
            for name in names {
                var node = 0
                for s in name.unicodeScalars {
                    if let next = children[node][s] {
                        node = next
                    } else {
                        children.append([:])
                        terminal.append(false)
                        hasNonASCIIChild.append(false)
                        children[node][s] = children.count - 1
                        if s.value >= 128 { hasNonASCIIChild[node] = true }
                        node = children.count - 1
                    }
                }
                terminal[node] = true
            }
        }

        /// The node after `atom` (-1: past every excluded name, anything goes; nil: refused).
        func step(_ node: Int, _ atom: CharacterAtom) -> Int? {
            if node < 0 { return -1 }
            switch atom {
            case .scalar(let s): return children[node][s] ?? -1
            case .otherNonASCII: return hasNonASCIIChild[node] ? nil : -1
            }
        }
    }

    /// The automaton, or `nil` when no string satisfies every constraint. Errors name
    /// `keyword` and `path` (the product grew past ``maxStates``).
    func automaton(keyword: String, path: String) throws(GrammarError) -> Automaton? {
        let trie = ExclusionTrie(excluded)
        var listed = Set<Unicode.Scalar>()
        for a in automata { listed.formUnion(a.listedScalars) }
        for name in excluded { for s in name.unicodeScalars where s.value >= 128 { listed.insert(s) } }
        let atoms: [CharacterAtom] = Self.asciiAtoms + listed.sorted { $0.value < $1.value }.map { .scalar($0) } + [.otherNonASCII]
        let lengthCap = maxLength ?? minLength

        // A state: each automaton's state set, the length so far (capped), the trie node.
        struct State: Hashable { var sets: [[Int]]; var length: Int; var node: Int }
        var ids: [State: Int] = [:]
        var states: [State] = []
        var transitions: [[(atoms: [CharacterAtom], target: Int)]] = []
        func intern(_ s: State) throws(GrammarError) -> Int {
            if let id = ids[s] { return id }
            guard states.count < Self.maxStates else {
                throw .tooLarge(keyword, path: path, "the string constraints need more than \(Self.maxStates) automaton states")
            }
            ids[s] = states.count
            states.append(s)
            transitions.append([])
            return states.count - 1
        }
        let initial = State(sets: automata.map(\.initialStates), length: 0, node: 0)
        _ = try intern(initial)
        var next = 0
        while next < states.count {
            let state = states[next]
            var byTarget: [Int: [CharacterAtom]] = [:]
            var order: [Int] = []
            if let max = maxLength, state.length >= max { next += 1; continue }
            let length = min(state.length + 1, lengthCap)
            atomLoop: for atom in atoms {
                guard let node = trie.step(state.node, atom) else { continue }
                var sets: [[Int]] = []
                sets.reserveCapacity(automata.count)
                for (k, a) in automata.enumerated() {
                    let s = a.step(state.sets[k], atom)
                    if s.isEmpty { continue atomLoop }
                    sets.append(s)
                }
                let target = try intern(State(sets: sets, length: length, node: node))
                if byTarget[target] == nil { order.append(target) }
                byTarget[target, default: []].append(atom)
            }
            transitions[next] = order.map { (byTarget[$0]!, $0) }
            next += 1
        }
        let accepting = states.map { s in
            s.length >= minLength && (s.node < 0 || !trie.terminal[s.node]) && zip(automata, s.sets).allSatisfy { $0.accepts($1) }
        }
        // Keep the states from which an accepting state is reachable.
        var live = accepting
        var changed = true
        while changed {
            changed = false
            for s in 0..<states.count where !live[s] && transitions[s].contains(where: { live[$0.target] }) {
                live[s] = true
                changed = true
            }
        }
        guard live[0] else { return nil }
        var renumber = [Int](repeating: -1, count: states.count)
        var count = 0
        for s in 0..<states.count where live[s] { renumber[s] = count; count += 1 }
        var moves: [[Move]] = []
        var acceptingOut: [Bool] = []
        for s in 0..<states.count where live[s] {
            var out: [Move] = []
            for t in transitions[s] where live[t.target] {
                var set = RegexCharSet()
                for atom in t.atoms {
                    switch atom {
                    case .scalar(let c):
                        if c.value < 128 { set.ascii[Int(c.value)] = true } else { set.nonASCII.append(c) }
                    case .otherNonASCII:
                        set.anyNonASCII = true
                    }
                }
                if set.anyNonASCII { set.nonASCII = [] }  // the general rule covers the named ones
                out.append(Move(characters: set, target: renumber[t.target]))
            }
            moves.append(out)
            acceptingOut.append(accepting[s])
        }
        return Automaton(moves: moves, accepting: acceptingOut)
    }
}
