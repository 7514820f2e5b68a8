import RefineryCore

/// Validates one concrete JSON value against a schema, for the decisions the grammar compiler
/// makes about known values: which `enum`/`const` values survive the sibling keywords, whether a
/// named property matches a `patternProperties` regex or satisfies `propertyNames`.
///
/// Where it cannot be exact it errs towards rejecting: `unevaluatedProperties` and
/// `unevaluatedItems` see only the keywords of their own schema object, and `format` accepts only
/// what the compiler generates for that format. Dropping a valid value only narrows the output,
/// so the documents generated stay valid. Patterns outside the supported regex subset are errors.
struct JSONSchemaInstanceCheck {
    /// The document the schema belongs to (for `$ref`).
    let root: JSONValue

    static func number(_ v: JSONValue) -> Double? {
        switch v {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    /// Whether `value` validates against `schema` (found at `path`, for errors).
    func isValid(_ value: JSONValue, _ schema: JSONValue, path: String, depth: Int = 0) throws(GrammarError) -> Bool {
        guard depth < 200 else { throw .invalidReference("$ref", path: path, "references nest too deeply to check a value") }
        switch schema {
        case .bool(let b): return b
        case .object: break
        default: throw .invalidSchema("schema", path: path, "a schema must be an object or a boolean")
        }
        func sub(_ v: JSONValue, _ s: JSONValue, _ p: String) throws(GrammarError) -> Bool {
            try isValid(v, s, path: p, depth: depth + 1)
        }
        if case .string(let ref)? = schema["$ref"] ?? schema["$recursiveRef"] ?? schema["$dynamicRef"] {
            let (target, targetPath) = try JSONSchemaReferences.resolve(ref, in: root, path: path)
            if try !sub(value, target, targetPath) { return false }
        }
        if let t = schema["type"] {
            let names: [String] = t.stringValue.map { [$0] } ?? (t.arrayValue ?? []).compactMap(\.stringValue)
            if !names.contains(where: { JSONSchemaValidator.isOfType(value, $0) }) { return false }
        }
        if let c = schema["const"], !JSONSchemaValidator.equal(value, c) { return false }
        if case .array(let list)? = schema["enum"], !list.contains(where: { JSONSchemaValidator.equal(value, $0) }) { return false }
        if case .array(let list)? = schema[JSONSchemaComplement.excludedValuesKeyword],
           list.contains(where: { JSONSchemaValidator.equal(value, $0) }) { return false }
        if case .array(let list)? = schema["allOf"] {
            for (i, s) in list.enumerated() where try !sub(value, s, path + "/allOf/\(i)") { return false }
        }
        if case .array(let list)? = schema["anyOf"] {
            var any = false
            for (i, s) in list.enumerated() where try sub(value, s, path + "/anyOf/\(i)") { any = true; break }
            if !any { return false }
        }
        if case .array(let list)? = schema["oneOf"] {
            var count = 0
            for (i, s) in list.enumerated() where try sub(value, s, path + "/oneOf/\(i)") { count += 1 }
            if count != 1 { return false }
        }
        if let n = schema["not"], try sub(value, n, path + "/not") { return false }
        if let condition = schema["if"] {
            if try sub(value, condition, path + "/if") {
                if let then = schema["then"], try !sub(value, then, path + "/then") { return false }
            } else if let otherwise = schema["else"], try !sub(value, otherwise, path + "/else") {
                return false
            }
        }
        switch value {
        case .int, .double: return try checkNumber(value, schema, path: path)
        case .string(let s): return try checkString(s, schema, path: path)
        case .array(let items): return try checkArray(items, schema, path: path, depth: depth)
        case .object(let pairs): return try checkObject(pairs, schema, path: path, depth: depth)
        default: return true
        }
    }

    private func checkNumber(_ value: JSONValue, _ schema: JSONValue, path: String) throws(GrammarError) -> Bool {
        guard let x = Self.number(value) else { return true }
        let exclusiveMinimumFlag = schema["exclusiveMinimum"] == .bool(true)
        let exclusiveMaximumFlag = schema["exclusiveMaximum"] == .bool(true)
        if let m = schema["minimum"].flatMap(Self.number), exclusiveMinimumFlag ? x <= m : x < m { return false }
        if let m = schema["maximum"].flatMap(Self.number), exclusiveMaximumFlag ? x >= m : x > m { return false }
        if let m = schema["exclusiveMinimum"].flatMap(Self.number), x <= m { return false }
        if let m = schema["exclusiveMaximum"].flatMap(Self.number), x >= m { return false }
        if let m = schema["multipleOf"].flatMap(Self.number), m > 0 {
            switch (value, schema["multipleOf"]) {
            case (.int(let i), .int(let k)?): if i % k != 0 { return false }
            default:
                let q = x / m
                if !q.isFinite || q != q.rounded() { return false }
            }
        }
        return true
    }

    private func checkString(_ s: String, _ schema: JSONValue, path: String) throws(GrammarError) -> Bool {
        let length = s.unicodeScalars.count
        if let m = schema["minLength"].flatMap(Self.number), Double(length) < m { return false }
        if let m = schema["maxLength"].flatMap(Self.number), Double(length) > m { return false }
        if case .string(let p)? = schema["pattern"] {
            let automaton = try RegexAutomaton(pattern: p, path: path + "/pattern", reading: .search)
            if !automaton.matches(s) { return false }
        }
        if case .string(let f)? = schema["format"], let p = JSONSchemaFormats.patterns[f] {
            let automaton = try RegexAutomaton(pattern: p, path: path + "/format", reading: .generation)
            if !automaton.matches(s) { return false }
        }
        return true
    }

    private func checkArray(_ items: [JSONValue], _ schema: JSONValue, path: String, depth: Int) throws(GrammarError) -> Bool {
        func sub(_ v: JSONValue, _ s: JSONValue, _ p: String) throws(GrammarError) -> Bool {
            try isValid(v, s, path: p, depth: depth + 1)
        }
        var prefix: [JSONValue] = schema["prefixItems"]?.arrayValue ?? []
        var rest: JSONValue? = schema["items"]
        if case .array(let legacy)? = schema["items"] {
            prefix = legacy
            rest = schema["additionalItems"]
        }
        for (i, item) in items.enumerated() {
            if i < prefix.count {
                if try !sub(item, prefix[i], path + "/prefixItems/\(i)") { return false }
            } else if let rest {
                if try !sub(item, rest, path + "/items") { return false }
            } else if let u = schema["unevaluatedItems"], try !sub(item, u, path + "/unevaluatedItems") {
                return false
            }
        }
        if let m = schema["minItems"].flatMap(Self.number), Double(items.count) < m { return false }
        if let m = schema["maxItems"].flatMap(Self.number), Double(items.count) > m { return false }
        if schema["uniqueItems"] == .bool(true) {
            for i in items.indices { for j in items.indices where j > i && JSONSchemaValidator.equal(items[i], items[j]) { return false } }
        }
        if let c = schema["contains"] {
            var matching = 0
            for item in items where try sub(item, c, path + "/contains") { matching += 1 }
            let minimum = schema["minContains"].flatMap(Self.number) ?? 1
            if Double(matching) < minimum { return false }
            if let maximum = schema["maxContains"].flatMap(Self.number), Double(matching) > maximum { return false }
        }
        return true
    }

    private func checkObject(_ pairs: [(key: String, value: JSONValue)], _ schema: JSONValue, path: String,
                             depth: Int) throws(GrammarError) -> Bool {
        func sub(_ v: JSONValue, _ s: JSONValue, _ p: String) throws(GrammarError) -> Bool {
            try isValid(v, s, path: p, depth: depth + 1)
        }
        if case .array(let required)? = schema["required"] {
            for r in required { if let name = r.stringValue, !pairs.contains(where: { $0.key == name }) { return false } }
        }
        if let m = schema["minProperties"].flatMap(Self.number), Double(pairs.count) < m { return false }
        if let m = schema["maxProperties"].flatMap(Self.number), Double(pairs.count) > m { return false }
        let patterns: [(RegexAutomaton, JSONValue, String)]
        if case .object(let list)? = schema["patternProperties"] {
            var built: [(RegexAutomaton, JSONValue, String)] = []
            for (p, s) in list {
                let where_ = path + "/patternProperties/" + JSONSchemaReferences.escape(p)
                built.append((try RegexAutomaton(pattern: p, path: where_, reading: .search), s, where_))
            }
            patterns = built
        } else {
            patterns = []
        }
        for (key, value) in pairs {
            var evaluated = false
            if let s = schema["properties"]?[key] {
                evaluated = true
                if try !sub(value, s, path + "/properties/" + JSONSchemaReferences.escape(key)) { return false }
            }
            for (automaton, s, where_) in patterns where automaton.matches(key) {
                evaluated = true
                if try !sub(value, s, where_) { return false }
            }
            if !evaluated, let extra = schema["additionalProperties"] {
                evaluated = true
                if try !sub(value, extra, path + "/additionalProperties") { return false }
            }
            if !evaluated, let u = schema["unevaluatedProperties"], try !sub(value, u, path + "/unevaluatedProperties") {
                return false
            }
            if let names = schema["propertyNames"], try !sub(.string(key), names, path + "/propertyNames") { return false }
        }
        for keyword in ["dependentRequired", "dependentSchemas", "dependencies"] {
            guard case .object(let rules)? = schema[keyword] else { continue }
            for (trigger, rule) in rules where pairs.contains(where: { $0.key == trigger }) {
                if case .array(let names) = rule {
                    for n in names { if let name = n.stringValue, !pairs.contains(where: { $0.key == name }) { return false } }
                } else if try !sub(.object(pairs), rule, path + "/\(keyword)/" + JSONSchemaReferences.escape(trigger)) {
                    return false
                }
            }
        }
        return true
    }
}

extension JSONSchemaReferences {
    /// The schema `ref` points to inside `root`, with its JSON pointer; an unresolvable
    /// reference is a ``GrammarError`` at `path`.
    static func resolve(_ ref: String, in root: JSONValue, path: String) throws(GrammarError) -> (JSONValue, String) {
        do {
            return try resolve(ref, in: root)
        } catch {
            throw .invalidReference(ref, path: path, error.reason)
        }
    }
}
