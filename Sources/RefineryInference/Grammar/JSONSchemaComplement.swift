import RefineryCore

/// Negation for the keywords that need it — `not`, the `else` case of `if`, and the exclusivity of
/// `oneOf` — within what a grammar can express.
///
/// ``complement(of:path:)`` returns a schema that accepts only values the given schema rejects:
/// all of them when every keyword can be negated, otherwise a part of them (a `pattern`, say, has
/// no negation here, so values failing only the pattern are left out). Generation under the
/// result therefore stays valid; it may just be narrower than the spec allows.
/// ``provablyDisjoint(_:_:)`` decides cheaply, without negation, that two schemas share no
/// value, as the branches of most real `oneOf`s do (different types, different constants for a
/// discriminating property).
struct JSONSchemaComplement {
    /// The document the schemas belong to (for `$ref`).
    let root: JSONValue

    /// Internal keyword of generated schemas: a list of values the instance must not equal
    /// (strings are enforced in the grammar; the compiler never emits it for other types).
    static let excludedValuesKeyword = "$refinery:notIn"

    private static let maxDepth = 16

    /// A schema whose values all fail `schema`, or `nil` when no such part could be expressed.
    func complement(of schema: JSONValue, path: String) -> JSONValue? {
        complement(schema, path: path, depth: 0)
    }

    private func anyOf(_ list: [JSONValue]) -> JSONValue? {
        switch list.count {
        case 0: return nil
        case 1: return list[0]
        default: return .object([("anyOf", .array(list))])
        }
    }

    private static func typeName(of value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "boolean"
        case .int: return "integer"
        case .double(let d): return d == d.rounded() ? "integer" : "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// The types outside `types`, named without naming a member of `types`: "integer" is never
    /// listed (outside a set with "number" it is covered by "number"), and "number" is left out
    /// when `types` holds "integer" (non-integral numbers alone cannot be named).
    private static func otherTypes(_ types: Set<String>) -> [String] {
        JSONSchemaVocabulary.typeNames.filter { t in
            !types.contains(t) && t != "integer" && !(t == "number" && types.contains("integer"))
        }
    }

    /// Values of the types not in `types`, and of the listed types, those not equal to `values`.
    private func outside(values: [JSONValue]) -> [JSONValue] {
        var out: [JSONValue] = []
        let types = Set(values.map(Self.typeName))
        let others = Self.otherTypes(types)
        if !others.isEmpty { out.append(.object([("type", .array(others.map { .string($0) }))])) }
        let strings = values.filter { if case .string = $0 { return true } else { return false } }
        if !strings.isEmpty {
            out.append(.object([("type", "string"), (Self.excludedValuesKeyword, .array(strings))]))
        }
        let booleans = Set(values.compactMap { v -> Bool? in if case .bool(let b) = v { return b } else { return nil } })
        if booleans.count == 1, let b = booleans.first { out.append(.object([("const", .bool(!b))])) }
        return out
    }

    private func complement(_ schema: JSONValue, path: String, depth: Int) -> JSONValue? {
        guard depth < Self.maxDepth else { return nil }
        let pairs: [(key: String, value: JSONValue)]
        switch schema {
        case .bool(let b): return b ? nil : .bool(true)
        case .object(let p): pairs = p
        default: return nil
        }
        var parts: [JSONValue] = []
        func number(_ v: JSONValue) -> Double? { JSONSchemaInstanceCheck.number(v) }
        for (key, value) in pairs {
            switch key {
            case "$ref":
                guard case .string(let ref) = value,
                      let (target, targetPath) = try? JSONSchemaReferences.resolve(ref, in: root, path: path),
                      let c = complement(target, path: targetPath, depth: depth + 1) else { continue }
                parts.append(c)
            case "type":
                let names = Set(value.stringValue.map { [$0] } ?? (value.arrayValue ?? []).compactMap(\.stringValue))
                let others = Self.otherTypes(names)
                if !others.isEmpty { parts.append(.object([("type", .array(others.map { .string($0) }))])) }
            case "const":
                parts += outside(values: [value])
            case "enum":
                parts += outside(values: value.arrayValue ?? [])
            case "minLength":
                if let n = number(value), n >= 1 { parts.append(.object([("type", "string"), ("maxLength", .int(Int64(n) - 1))])) }
            case "maxLength":
                if let n = number(value) { parts.append(.object([("type", "string"), ("minLength", .int(Int64(n) + 1))])) }
            case "minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum":
                guard let n = number(value) else { continue }
                let flag = schema["exclusive" + (key == "minimum" ? "Minimum" : "Maximum")] == .bool(true)
                let negated: String
                switch key {
                case "minimum": negated = flag ? "maximum" : "exclusiveMaximum"
                case "exclusiveMinimum": negated = "maximum"
                case "maximum": negated = flag ? "minimum" : "exclusiveMinimum"
                default: negated = "minimum"
                }
                parts.append(.object([("type", "number"), (negated, .double(n))]))
            case "minItems":
                if let n = number(value), n >= 1 { parts.append(.object([("type", "array"), ("maxItems", .int(Int64(n) - 1))])) }
            case "maxItems":
                if let n = number(value) { parts.append(.object([("type", "array"), ("minItems", .int(Int64(n) + 1))])) }
            case "minProperties":
                if let n = number(value), n >= 1 { parts.append(.object([("type", "object"), ("maxProperties", .int(Int64(n) - 1))])) }
            case "required":
                for name in value.arrayValue ?? [] {
                    guard case .string(let k) = name else { continue }
                    parts.append(.object([("type", "object"), ("properties", .object([(k, .bool(false))]))]))
                }
            case "properties":
                guard case .object(let props) = value else { continue }
                for (k, s) in props {
                    guard let c = complement(s, path: path + "/properties/" + JSONSchemaReferences.escape(k), depth: depth + 1) else { continue }
                    parts.append(.object([("type", "object"), ("required", .array([.string(k)])), ("properties", .object([(k, c)]))]))
                }
            case "dependentRequired":
                guard case .object(let rules) = value else { continue }
                for (trigger, names) in rules {
                    for n in names.arrayValue ?? [] {
                        guard case .string(let d) = n else { continue }
                        parts.append(.object([("type", "object"), ("required", .array([.string(trigger)])),
                                              ("properties", .object([(d, .bool(false))]))]))
                    }
                }
            case "items":
                guard schema["prefixItems"] == nil, case .object = value,
                      let c = complement(value, path: path + "/items", depth: depth + 1) else { continue }
                parts.append(.object([("type", "array"), ("prefixItems", .array([c])), ("minItems", 1)]))
            case "allOf":
                for (i, s) in (value.arrayValue ?? []).enumerated() {
                    if let c = complement(s, path: path + "/allOf/\(i)", depth: depth + 1) { parts.append(c) }
                }
            case "anyOf":
                var all: [JSONValue] = []
                for (i, s) in (value.arrayValue ?? []).enumerated() {
                    guard let c = complement(s, path: path + "/anyOf/\(i)", depth: depth + 1) else { all = []; break }
                    all.append(c)
                }
                if !all.isEmpty { parts.append(.object([("allOf", .array(all))])) }
            case "not":
                parts.append(value)
            case "if":
                let then = schema["then"] ?? .bool(true)
                let otherwise = schema["else"] ?? .bool(true)
                if let c = complement(then, path: path + "/then", depth: depth + 1) {
                    parts.append(.object([("allOf", .array([value, c]))]))
                }
                if let notIf = complement(value, path: path + "/if", depth: depth + 1),
                   let c = complement(otherwise, path: path + "/else", depth: depth + 1) {
                    parts.append(.object([("allOf", .array([notIf, c]))]))
                }
            default:
                continue  // annotations, and keywords with no expressible negation (pattern, uniqueItems, …)
            }
        }
        return anyOf(parts)
    }

    // MARK: - Disjointness

    /// Whether no value can satisfy both `a` and `b`, shown by their types, their constants, or a
    /// property one requires that the other forbids or constrains disjointly.
    func provablyDisjoint(_ a: JSONValue, _ b: JSONValue) -> Bool { disjoint(a, b, depth: 0) }

    /// `schema` with the schemas it is a conjunction of (`$ref` targets, `allOf` members).
    private func conjuncts(_ schema: JSONValue, depth: Int) -> [JSONValue] {
        guard depth < Self.maxDepth, case .object = schema else { return [schema] }
        var out = [schema]
        if case .string(let ref)? = schema["$ref"], let (target, _) = try? JSONSchemaReferences.resolve(ref, in: root, path: "") {
            out += conjuncts(target, depth: depth + 1)
        }
        for s in schema["allOf"]?.arrayValue ?? [] { out += conjuncts(s, depth: depth + 1) }
        return out
    }

    private static func types(_ parts: [JSONValue]) -> Set<String>? {
        var result: Set<String>? = nil
        for p in parts {
            guard let t = p["type"] else { continue }
            var names = Set(t.stringValue.map { [$0] } ?? (t.arrayValue ?? []).compactMap(\.stringValue))
            if names.contains("number") { names.insert("integer") }
            result = result.map { $0.intersection(names) } ?? names
        }
        return result
    }

    private func disjoint(_ a: JSONValue, _ b: JSONValue, depth: Int) -> Bool {
        guard depth < Self.maxDepth else { return false }
        if a == .bool(false) || b == .bool(false) { return true }
        let pa = conjuncts(a, depth: depth)
        let pb = conjuncts(b, depth: depth)
        if let ta = Self.types(pa), let tb = Self.types(pb), ta.isDisjoint(with: tb) { return true }
        let check = JSONSchemaInstanceCheck(root: root)
        for (one, other) in [(pa, b), (pb, a)] {
            for p in one {
                let values: [JSONValue]? = p["const"].map { [$0] } ?? p["enum"]?.arrayValue
                guard let values else { continue }
                if values.allSatisfy({ v in (try? check.isValid(v, other, path: "")) == false }) { return true }
            }
        }
        func required(_ parts: [JSONValue]) -> Set<String> {
            Set(parts.flatMap { ($0["required"]?.arrayValue ?? []).compactMap(\.stringValue) })
        }
        func schemas(_ parts: [JSONValue], _ k: String) -> [JSONValue] { parts.compactMap { $0["properties"]?[k] } }
        func forbids(_ parts: [JSONValue], _ k: String) -> Bool {
            parts.contains { p in
                if p["properties"]?[k] == .bool(false) { return true }
                return p["additionalProperties"] == .bool(false) && p["properties"]?[k] == nil && p["patternProperties"] == nil
            }
        }
        let ra = required(pa)
        let rb = required(pb)
        for k in ra.union(rb) {
            if (ra.contains(k) && forbids(pb, k)) || (rb.contains(k) && forbids(pa, k)) { return true }
            for sa in schemas(pa, k) { for sb in schemas(pb, k) where disjoint(sa, sb, depth: depth + 1) { return true } }
        }
        return false
    }
}
