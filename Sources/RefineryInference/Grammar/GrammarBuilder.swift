import RefineryCore
/// Builds a byte-level context-free ``Grammar`` rule by rule.
///
/// A rule is a list of alternatives; an alternative is a sequence of items, each either a set of
/// bytes (one byte of input) or a reference to a rule. Rules may refer to each other
/// recursively, as long as every cycle consumes a byte first (no left recursion): the matcher
/// expands references eagerly and relies on that to terminate. ``build(start:)`` checks it.
public struct GrammarBuilder: Sendable {
    /// One item of an alternative.
    public enum Item: Sendable, Hashable {
        /// Exactly one byte from the set.
        case bytes(ByteSet)
        /// Whatever the referenced rule matches.
        case rule(Int)
    }

    /// Why a set of rules does not make a usable grammar.
    public enum Failure: Error, Sendable, Hashable {
        /// The rule was declared but never defined.
        case undefined(rule: String)
        /// The rule can reach itself without consuming a byte (infinite expansion).
        case leftRecursive(rule: String)
        /// The rule can never finish (every alternative needs an infinite derivation).
        case unproductive(rule: String)
        /// The grammar has more rules or positions than the matcher can address.
        case tooLarge
    }

    private(set) var rules: [[[Item]]?] = []
    private(set) var names: [String] = []

    /// An empty builder.
    public init() {}

    /// Declares a rule to be defined later (for recursion); `name` shows up in failures.
    public mutating func declare(_ name: String) -> Int {
        rules.append(nil)
        names.append(name)
        return rules.count - 1
    }

    /// Defines a declared rule.
    public mutating func define(_ rule: Int, _ alternatives: [[Item]]) {
        rules[rule] = alternatives
    }

    /// Declares and defines a rule in one step.
    public mutating func add(_ name: String, _ alternatives: [[Item]]) -> Int {
        let r = declare(name)
        define(r, alternatives)
        return r
    }

    /// The items that match exactly `bytes`.
    public static func literal<S: Sequence>(_ bytes: S) -> [Item] where S.Element == UInt8 {
        bytes.map { .bytes(ByteSet([$0])) }
    }

    /// The items that match exactly the UTF-8 encoding of `text`.
    public static func literal(_ text: String) -> [Item] { literal(Array(text.utf8)) }

    /// A rule matching `item` zero or more times.
    public mutating func star(_ name: String, _ item: [Item]) -> Int {
        let r = declare(name)
        define(r, [item + [.rule(r)], []])
        return r
    }

    /// A rule matching `item` between `min` and `max` times (`max == nil`: unbounded).
    public mutating func repetition(_ name: String, _ item: [Item], min: Int, max: Int?) -> Int {
        var tail: Int
        if let max {
            // O_k ::= item O_{k-1} | ε  — each optional copy chains to the next.
            tail = add(name + "#0", [[]])
            if max > min {
                for k in 1...(max - min) { tail = add(name + "#\(k)", [item + [.rule(tail)], []]) }
            }
        } else {
            tail = star(name + "*", item)
        }
        var seq: [Item] = []
        for _ in 0..<min { seq += item }
        seq.append(.rule(tail))
        return add(name, [seq])
    }

    /// Adds the rules of a JSON schema (see ``JSONSchemaGrammar`` for the subset) and returns
    /// the rule matching its documents, to embed a JSON document in a larger grammar — a tool
    /// call's tags around its arguments, several calls in a row.
    public mutating func addJSONSchema(_ schema: JSONValue, options: JSONSchemaGrammar.Options = .init()) throws(GrammarError) -> Int {
        var compiler = JSONSchemaCompiler(root: schema, options: options, builder: self)
        let rule = try compiler.compileRoot()
        self = compiler.b
        return rule
    }

    /// Like ``build(start:)``, reporting a failure in rules added by ``addJSONSchema(_:options:)``
    /// as the ``GrammarError`` naming the schema keyword and path at fault.
    public func buildReportingSchemaErrors(start: Int) throws(GrammarError) -> Grammar {
        do { return try build(start: start) } catch { throw JSONSchemaCompiler.error(for: error) }
    }

    /// Compiles the rules into a ``Grammar`` whose documents are the strings `start` matches.
    public func build(start: Int) throws(Failure) -> Grammar {
        let n = rules.count
        var defined: [[[Item]]] = []
        defined.reserveCapacity(n)
        for (i, r) in rules.enumerated() {
            guard let r else { throw .undefined(rule: names[i]) }
            defined.append(r)
        }
        // Nullability and minimum lengths by fixpoint.
        let inf = UInt32.max
        var minLen = [UInt32](repeating: inf, count: n)
        var changed = true
        func add(_ a: UInt32, _ b: UInt32) -> UInt32 { a == inf || b == inf ? inf : (a &+ b < a ? inf : a &+ b) }
        while changed {
            changed = false
            for r in 0..<n {
                var best = minLen[r]
                for alt in defined[r] {
                    var total: UInt32 = 0
                    for item in alt {
                        switch item {
                        case .bytes: total = add(total, 1)
                        case .rule(let x): total = add(total, minLen[x])
                        }
                        if total == inf { break }
                    }
                    if total < best { best = total }
                }
                if best < minLen[r] { minLen[r] = best; changed = true }
            }
        }
        // Only rules reachable from the start matter.
        var reachable = [Bool](repeating: false, count: n)
        var work = [start]
        reachable[start] = true
        while let r = work.popLast() {
            for alt in defined[r] {
                for case .rule(let x) in alt where !reachable[x] { reachable[x] = true; work.append(x) }
            }
        }
        // Left recursion: edges to rules reachable through nullable prefixes.
        var left = [[Int]](repeating: [], count: n)
        for r in 0..<n where reachable[r] {
            for alt in defined[r] {
                for item in alt {
                    guard case .rule(let x) = item else { break }
                    left[r].append(x)
                    if minLen[x] != 0 { break }
                }
            }
        }
        var mark = [UInt8](repeating: 0, count: n)  // 0 new, 1 on stack, 2 done
        for root in 0..<n where reachable[root] && mark[root] == 0 {
            var stack: [(Int, Int)] = [(root, 0)]
            mark[root] = 1
            while let (r, i) = stack.last {
                if i < left[r].count {
                    stack[stack.count - 1].1 = i + 1
                    let x = left[r][i]
                    if mark[x] == 1 { throw .leftRecursive(rule: names[x]) }
                    if mark[x] == 0 { mark[x] = 1; stack.append((x, 0)) }
                } else {
                    mark[r] = 2
                    stack.removeLast()
                }
            }
        }
        // Checked after left recursion: a rule that only refers to itself is both.
        for r in 0..<n where reachable[r] && minLen[r] == inf { throw .unproductive(rule: names[r]) }
        // Flatten: every alternative is a run of elements closed by END.
        var classIndex: [ByteSet: UInt32] = [:]
        var classes: [ByteSet] = []
        var elements: [UInt32] = []
        var altStarts: [UInt32] = []
        var ruleAltStart: [UInt32] = [0]
        for r in 0..<n {
            for alt in defined[r] {
                altStarts.append(UInt32(elements.count))
                for item in alt {
                    switch item {
                    case .bytes(let set):
                        if let c = classIndex[set] {
                            elements.append(c)
                        } else {
                            let c = UInt32(classes.count)
                            classes.append(set)
                            classIndex[set] = c
                            elements.append(c)
                        }
                    case .rule(let x):
                        elements.append(Grammar.ruleFlag | UInt32(x))
                    }
                }
                elements.append(Grammar.end)
            }
            ruleAltStart.append(UInt32(altStarts.count))
        }
        guard elements.count < Int(Grammar.ruleFlag) else { throw .tooLarge }
        var suffixMin = [UInt32](repeating: 0, count: elements.count)
        var acc: UInt32 = 0
        for p in stride(from: elements.count - 1, through: 0, by: -1) {
            let e = elements[p]
            if e == Grammar.end {
                acc = 0
            } else if e & Grammar.ruleFlag != 0 {
                acc = add(acc, minLen[Int(e & ~Grammar.ruleFlag)])
            } else {
                acc = add(acc, 1)
            }
            suffixMin[p] = acc
        }
        return Grammar(elements: elements, classes: classes, altStarts: altStarts, ruleAltStart: ruleAltStart,
                       suffixMin: suffixMin, startRule: UInt32(start), ruleNames: names)
    }
}
