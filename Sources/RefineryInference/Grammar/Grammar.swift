import RefineryCore
/// A compiled byte-level context-free grammar: the constraint a ``GrammarMatcher`` runs.
///
/// Built by ``GrammarBuilder`` (directly, or from a JSON schema by ``JSONSchemaGrammar``). The
/// grammar is flattened into one array of *elements*: each alternative of each rule is a run of
/// elements (a byte set or a rule reference) closed by an end marker. A matcher position is an
/// index into that array, and a matcher state is a set of stacks of positions — a pushdown
/// automaton, so recursive rules (`$ref` cycles, nested JSON) need no expansion in advance.
///
/// Immutable and shared: one compiled grammar serves any number of matchers and threads.
public final class Grammar: Sendable {
    static let end: UInt32 = 0xFFFF_FFFF
    static let ruleFlag: UInt32 = 0x8000_0000

    let elements: [UInt32]
    let classes: [ByteSet]
    let altStarts: [UInt32]
    let ruleAltStart: [UInt32]
    /// Minimum number of bytes to finish the alternative from each position (saturating).
    let suffixMin: [UInt32]
    let startRule: UInt32
    let ruleNames: [String]

    init(elements: [UInt32], classes: [ByteSet], altStarts: [UInt32], ruleAltStart: [UInt32],
         suffixMin: [UInt32], startRule: UInt32, ruleNames: [String]) {
        self.elements = elements
        self.classes = classes
        self.altStarts = altStarts
        self.ruleAltStart = ruleAltStart
        self.suffixMin = suffixMin
        self.startRule = startRule
        self.ruleNames = ruleNames
    }

    /// Number of rules.
    public var ruleCount: Int { ruleAltStart.count - 1 }
    /// Number of positions (elements) in the flattened grammar.
    public var positionCount: Int { elements.count }

    // MARK: - States

    /// The state before any byte: the start rule expanded until every stack's top is a byte set.
    func initialState() -> [UInt32] {
        var out: [[UInt32]] = []
        var seen = Set<[UInt32]>()
        let r = Int(startRule)
        for a in Int(ruleAltStart[r])..<Int(ruleAltStart[r + 1]) {
            let p = altStarts[a]
            if elements[Int(p)] == Grammar.end { out.append([]) } else { expand([p], &out, &seen) }
        }
        return Grammar.canonical(out)
    }

    /// Expands rule references on top of `stack` until the top is a byte set (or the stack is
    /// empty, which means "the document may end here"), appending every resulting stack.
    ///
    /// `seen` holds the stacks already expanded in this step: several empty paths can reach the
    /// same stack (`(a?|b?){0,9}`), and expanding it once keeps the work polynomial.
    private func expand(_ stack: [UInt32], _ out: inout [[UInt32]], _ seen: inout Set<[UInt32]>) {
        guard let top = stack.last else { out.append(stack); return }
        let e = elements[Int(top)]
        if e & Grammar.ruleFlag == 0 { out.append(stack); return }
        guard seen.insert(stack).inserted else { return }
        var base = stack
        base.removeLast()
        let cont = top &+ 1
        if elements[Int(cont)] != Grammar.end { base.append(cont) }  // no frame for a tail call
        let r = Int(e & ~Grammar.ruleFlag)
        for a in Int(ruleAltStart[r])..<Int(ruleAltStart[r + 1]) {
            let p = altStarts[a]
            if elements[Int(p)] == Grammar.end {
                expand(base, &out, &seen)
            } else {
                var s = base
                s.append(p)
                expand(s, &out, &seen)
            }
        }
    }

    /// Sorted, deduplicated, flattened: `[count, positions…]` per stack, bottom first.
    static func canonical(_ stacks: [[UInt32]]) -> [UInt32] {
        var sorted = stacks
        if sorted.count > 1 {
            sorted.sort { $0.lexicographicallyPrecedes($1) }
        }
        var flat: [UInt32] = []
        var previous: [UInt32]? = nil
        for s in sorted where s != previous {
            flat.append(UInt32(s.count))
            flat.append(contentsOf: s)
            previous = s
        }
        return flat
    }

    /// The state after `byte`, or `nil` when no stack accepts it.
    func advance(_ state: [UInt32], _ byte: UInt8) -> [UInt32]? {
        var out: [[UInt32]] = []
        var seen = Set<[UInt32]>()
        var i = 0
        while i < state.count {
            let n = Int(state[i])
            let start = i + 1
            i = start + n
            guard n > 0 else { continue }
            let top = state[i - 1]
            guard classes[Int(elements[Int(top)])].contains(byte) else { continue }
            var s = Array(state[start..<i])
            if elements[Int(top) + 1] == Grammar.end {
                s.removeLast()
            } else {
                s[n - 1] = top &+ 1
            }
            expand(s, &out, &seen)
        }
        return out.isEmpty ? nil : Grammar.canonical(out)
    }

    /// For each byte, which stacks (by index, the first 64) accept it; `nil` with more stacks.
    func acceptanceSignatures(_ state: [UInt32]) -> [UInt64]? {
        var signatures = [UInt64](repeating: 0, count: 256)
        var i = 0
        var k = 0
        while i < state.count {
            let n = Int(state[i])
            i += n + 1
            if n > 0 {
                guard k < 64 else { return nil }
                let set = classes[Int(elements[Int(state[i - 1])])]
                let bit = UInt64(1) << UInt64(k)
                for b in 0..<256 where set.contains(UInt8(b)) { signatures[b] |= bit }
            }
            k += 1
        }
        return signatures
    }

    /// Whether some stack is empty (the input so far is a complete document).
    func isComplete(_ state: [UInt32]) -> Bool {
        var i = 0
        while i < state.count {
            if state[i] == 0 { return true }
            i += Int(state[i]) + 1
        }
        return false
    }

    /// The bytes some stack accepts next.
    func acceptedBytes(_ state: [UInt32]) -> ByteSet {
        var set = ByteSet()
        var i = 0
        while i < state.count {
            let n = Int(state[i])
            i += n + 1
            if n > 0 { set.formUnion(classes[Int(elements[Int(state[i - 1])])]) }
        }
        return set
    }

    /// Fewest bytes that complete the document from `state` (0 when it is complete).
    func minimumBytesToComplete(_ state: [UInt32]) -> Int {
        var best = Int.max
        var i = 0
        while i < state.count {
            let n = Int(state[i])
            var total = 0
            for k in (i + 1)..<(i + 1 + n) { total += Int(suffixMin[Int(state[k])]) }
            if total < best { best = total }
            i += n + 1
        }
        return best
    }
}
