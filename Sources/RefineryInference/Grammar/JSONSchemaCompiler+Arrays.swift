import RefineryCore

extension JSONSchemaCompiler {
    /// The array keywords of a conjunction, merged: what each position must satisfy.
    struct ArrayConstraint {
        /// Per schema: its positional schemas, and the schema of the items after them (`nil`:
        /// none given).
        var views: [(prefix: [SchemaPart], rest: SchemaPart?)] = []
        var minItems = 0
        var maxItems: Int? = nil
        var unique = false
        /// `contains` schemas with how many leading items are made to satisfy each.
        var contains: [(part: SchemaPart, count: Int)] = []
        var maxContains: [(limit: Int, path: String)] = []
        var unevaluated: [SchemaPart] = []

        init(_ flat: [SchemaPart]) throws(GrammarError) {
            for p in flat {
                let s = p.schema
                var prefix: [SchemaPart] = []
                var rest: SchemaPart? = nil
                if let v = s["prefixItems"] {
                    guard case .array(let list) = v else { throw .invalidSchema("prefixItems", path: p.path, "must be an array of schemas") }
                    prefix = list.enumerated().map { SchemaPart(schema: $1, path: JSONSchemaCompiler.child(JSONSchemaCompiler.child(p.path, "prefixItems"), String($0))) }
                }
                switch s["items"] {
                case nil: break
                case .array(let legacy)?:
                    // Drafts before 2020-12: positional `items`, then `additionalItems`.
                    prefix = legacy.enumerated().map { SchemaPart(schema: $1, path: JSONSchemaCompiler.child(JSONSchemaCompiler.child(p.path, "items"), String($0))) }
                    if let extra = s["additionalItems"] { rest = SchemaPart(schema: extra, path: JSONSchemaCompiler.child(p.path, "additionalItems")) }
                case .bool?, .object?: rest = SchemaPart(schema: s["items"]!, path: JSONSchemaCompiler.child(p.path, "items"))
                default: throw .invalidSchema("items", path: p.path, "must be a schema")
                }
                views.append((prefix, rest))
                if let m = try JSONSchemaCompiler.count(s, "minItems", path: p.path) { minItems = max(minItems, m) }
                if let m = try JSONSchemaCompiler.count(s, "maxItems", path: p.path) { maxItems = min(maxItems ?? m, m) }
                if s["uniqueItems"] == .bool(true) { unique = true }
                if let c = s["contains"] {
                    let count = try JSONSchemaCompiler.count(s, "minContains", path: p.path) ?? 1
                    if count > 0 { contains.append((SchemaPart(schema: c, path: JSONSchemaCompiler.child(p.path, "contains")), count)) }
                    if let limit = try JSONSchemaCompiler.count(s, "maxContains", path: p.path) {
                        if limit < count { throw .unsatisfiable("maxContains", path: p.path, "maxContains \(limit) is below minContains \(count)") }
                        maxContains.append((limit, p.path))
                    }
                }
                if let u = s["unevaluatedItems"] {
                    unevaluated.append(SchemaPart(schema: u, path: JSONSchemaCompiler.child(p.path, "unevaluatedItems")))
                }
            }
            for c in contains { minItems = max(minItems, c.count) }
        }

        /// How many leading positions have schemas of their own.
        var leading: Int { max(views.map(\.prefix.count).max() ?? 0, contains.map(\.count).max() ?? 0) }

        private var restIsGiven: Bool { views.contains { $0.rest != nil } }
        private var longestPrefix: Int { views.map(\.prefix.count).max() ?? 0 }

        /// The schemas item `index` must satisfy.
        func parts(at index: Int) -> [SchemaPart] {
            var out: [SchemaPart] = []
            for v in views {
                if index < v.prefix.count { out.append(v.prefix[index]) } else if let r = v.rest { out.append(r) }
            }
            for c in contains where index < c.count { out.append(c.part) }
            if index >= longestPrefix && !restIsGiven { out += unevaluated }
            return out
        }

        /// The schemas the items after the leading ones must satisfy.
        var restParts: [SchemaPart] {
            var out = views.compactMap(\.rest)
            if !restIsGiven { out += unevaluated }
            return out
        }
    }

    /// A rule matching the arrays every schema of `flat` accepts.
    ///
    /// `contains` is met by the leading items; `uniqueItems` by drawing each of a finite set of
    /// literal values at most once, in schema order, or — for items with infinitely many values —
    /// by generating at most one item (a sound narrowing; `minItems` above 1 is then refused).
    mutating func array(_ flat: [SchemaPart], path: String) throws(GrammarError) -> Int {
        let constraint = try ArrayConstraint(flat)
        let minItems = constraint.minItems
        var maxItems = constraint.maxItems
        if let maxItems, minItems > maxItems {
            throw .unsatisfiable("minItems", path: path, "minItems \(minItems) exceeds the \(maxItems) items allowed")
        }
        for limit in constraint.maxContains where limit.limit < (maxItems ?? .max) {
            throw .unsupportedKeyword("maxContains", path: limit.path,
                                      "only enforced when maxItems is at most maxContains (counting matching items needs more than a grammar)")
        }
        var prefix: [Int] = []
        for i in 0..<constraint.leading {
            if let maxItems, i >= maxItems { break }
            do throws(GrammarError) {
                prefix.append(try compile(constraint.parts(at: i)))
            } catch {
                // An item schema outside the subset is an error; an unsatisfiable optional item
                // only shortens the array.
                if i < minItems || !error.isUnsatisfiable { throw error }
                maxItems = i
                break
            }
        }
        var item: Int? = nil
        if maxItems.map({ $0 > prefix.count }) ?? true, prefix.count == constraint.leading {
            do throws(GrammarError) {
                item = try compile(constraint.restParts)
            } catch {
                if !error.isUnsatisfiable { throw error }
            }
        }
        if item == nil { maxItems = min(maxItems ?? prefix.count, prefix.count) }
        if let maxItems, minItems > maxItems {
            throw .unsatisfiable("minItems", path: path, "only \(maxItems) items can satisfy the item schemas")
        }
        if constraint.unique, (maxItems ?? .max) > 1 {
            if constraint.leading == 0, let values = try finiteValues(constraint.restParts) {
                return try uniqueItems(values, minItems: minItems, maxItems: maxItems, path: path)
            }
            guard minItems <= 1 else {
                throw .unsupportedKeyword("uniqueItems", path: path,
                                          "items with infinitely many values cannot be kept distinct; at most one item is generated, but minItems is \(minItems)")
            }
            maxItems = 1
        }
        return try arrayRule(prefix: prefix, item: item, minItems: minItems, maxItems: maxItems, path: path)
    }

    /// The values a conjunction allows when they are finitely many literals (`enum`, `const`,
    /// booleans, null), else `nil`.
    private mutating func finiteValues(_ parts: [SchemaPart]) throws(GrammarError) -> [JSONValue]? {
        let (flat, choices) = try expand(parts)
        guard choices.isEmpty else { return nil }
        if let (values, _, _) = try literalValues(flat) { return values }
        var types: Set<String>? = nil
        for p in flat {
            guard let t = p.schema["type"] else { continue }
            let set = Set(t.stringValue.map { [$0] } ?? (t.arrayValue ?? []).compactMap(\.stringValue))
            types = types.map { $0.intersection(set) } ?? set
        }
        guard let types, types.isSubset(of: ["boolean", "null"]) else { return nil }
        var values: [JSONValue] = []
        for v in [JSONValue.bool(false), .bool(true), .null] {
            var ok = true
            for p in flat where try !check.isValid(v, p.schema, path: p.path) { ok = false; break }
            if ok { values.append(v) }
        }
        return values
    }

    /// Arrays of distinct `values`: each drawn at most once, in the order given.
    private mutating func uniqueItems(_ values: [JSONValue], minItems: Int, maxItems: Int?, path: String) throws(GrammarError) -> Int {
        let n = values.count
        guard minItems <= n else {
            throw .unsatisfiable("uniqueItems", path: path, "minItems \(minItems) but only \(n) distinct values are allowed")
        }
        let cap = min(maxItems ?? n, n)
        guard (n + 1) * (cap + 1) <= 200_000 else {
            throw .tooLarge("uniqueItems", path: path, "\(n) values with up to \(cap) items")
        }
        var texts: [[Item]] = []
        for v in values {
            guard let text = JSONLiteral.text(v) else { throw .invalidSchema("enum", path: path, "non-finite number") }
            texts.append(Self.lit(text))
        }
        let sep: [Item] = ws(.inside) + Self.lit(",") + ws(.afterSeparator)
        // next[c]: the rule for "values i… remain, c items emitted" (nil: cannot reach minItems).
        var next: [Int?] = (0...cap).map { c in c >= minItems ? b.add("uniqueItems@" + path, [[]]) : nil }
        for i in stride(from: n - 1, through: 0, by: -1) {
            var current: [Int?] = Array(repeating: nil, count: cap + 1)
            for c in 0...cap {
                var alternatives: [[Item]] = []
                if c < cap, let taken = next[c + 1] {
                    alternatives.append((c == 0 ? ws(.inside) : sep) + texts[i] + [.rule(taken)])
                }
                if let skipped = next[c] { alternatives.append([.rule(skipped)]) }
                if !alternatives.isEmpty { current[c] = b.add("uniqueItems@" + path, alternatives) }
            }
            next = current
        }
        guard let body = next[0] else {
            throw .unsatisfiable("uniqueItems", path: path, "minItems \(minItems) cannot be reached with distinct values")
        }
        return b.add("array@" + path, [Self.lit("[") + [.rule(body)] + ws(.inside) + Self.lit("]")])
    }

    /// `[` items `]`: `prefix` rules first, then `item` (nil: none), between the counts.
    private mutating func arrayRule(prefix: [Int], item: Int?, minItems: Int, maxItems: Int?, path: String) throws(GrammarError) -> Int {
        // rest[i]: i items emitted (i >= 1); from `threshold` on the items are uniform.
        let threshold = max(prefix.count, minItems, 1)
        if threshold > 4096 || (maxItems ?? 0) > 4096 + threshold {
            throw .tooLarge(minItems > 4096 ? "minItems" : "maxItems", path: path, "at most 4096 counted items")
        }
        let sep: [Item] = ws(.inside) + Self.lit(",") + ws(.afterSeparator)
        func element(_ i: Int) -> Int { i < prefix.count ? prefix[i] : item! }
        let upper = maxItems ?? Int.max
        var rest: Int
        if let item, upper > threshold {
            if let maxItems {
                rest = b.repetition("items@" + path, sep + [.rule(item)], min: 0, max: maxItems - threshold)
            } else {
                rest = b.star("items@" + path, sep + [.rule(item)])
            }
        } else {
            rest = b.add("items@" + path, [[]])
        }
        for i in stride(from: threshold - 1, through: 1, by: -1) {
            if i >= upper { rest = b.add("items@" + path, [[]]); continue }
            var alts: [[Item]] = [sep + [.rule(element(i)), .rule(rest)]]
            if i >= minItems { alts.append([]) }
            rest = b.add("items@" + path, alts)
        }
        var bodyAlts: [[Item]] = []
        if upper >= 1 { bodyAlts.append(ws(.inside) + [.rule(element(0)), .rule(rest)]) }
        if minItems == 0 { bodyAlts.append([]) }
        let body = b.add("items@" + path, bodyAlts)
        return b.add("array@" + path, [Self.lit("[") + [.rule(body)] + ws(.inside) + Self.lit("]")])
    }
}
