import Foundation

/// Checks JSON values against a JSON schema (draft 2020-12 semantics for the keywords below).
///
/// The grammar engine's matcher cannot stand in for a validator: it accepts only what a
/// constrained model may emit (keys in schema order, bounded whitespace and digits), while a
/// remote model's or an MCP client's arguments may list keys in any order. This validator
/// checks meaning, not layout.
///
/// Keywords checked: `type` (a name or a list; `integer` accepts whole doubles), `enum`,
/// `const`, `properties`, `required`, `additionalProperties` (boolean or schema),
/// `minProperties`, `maxProperties`, `items` (schema or boolean), `prefixItems`, `minItems`,
/// `maxItems`, `uniqueItems`, `minLength`, `maxLength` (counted in Unicode code points, as the
/// specification says), `pattern` (searched, not anchored), `minimum`, `maximum`, `exclusiveMinimum`,
/// `exclusiveMaximum`, `multipleOf`, `anyOf`, `oneOf`, `allOf`, `not`, and local `$ref`
/// (`#`, `#/$defs/…`, `#/definitions/…`). Other keywords (`format`, annotations) are ignored.
public struct JSONSchemaValidator: Sendable {
    /// The schema values are checked against.
    public let schema: JSONValue

    public init(schema: JSONValue) { self.schema = schema }

    /// The ways `value` breaks the schema; empty when it is valid.
    public func violations(of value: JSONValue) -> [SchemaViolation] {
        var out: [SchemaViolation] = []
        check(value, against: schema, at: "", depth: 0, into: &out)
        return out
    }

    /// Whether `value` satisfies the schema.
    public func isValid(_ value: JSONValue) -> Bool { violations(of: value).isEmpty }

    // MARK: - Checking

    private func check(_ value: JSONValue, against schema: JSONValue, at path: String, depth: Int, into out: inout [SchemaViolation]) {
        guard depth < 64 else {
            out.append(SchemaViolation(path: path, message: "schema nesting or $ref recursion deeper than 64"))
            return
        }
        switch schema {
        case .bool(true): return
        case .bool(false):
            out.append(SchemaViolation(path: path, message: "no value is allowed here"))
            return
        case .object: break
        default: return
        }
        if case .string(let ref)? = schema["$ref"] {
            if let target = resolve(ref) {
                check(value, against: target, at: path, depth: depth + 1, into: &out)
            } else {
                out.append(SchemaViolation(path: path, message: "the schema's $ref '\(ref)' points nowhere"))
            }
        }
        if let type = schema["type"], !matchesType(value, type) {
            out.append(SchemaViolation(path: path, message: "expected \(describeType(type)), got \(Self.kind(of: value))"))
            return
        }
        if case .array(let options)? = schema["enum"], !options.contains(where: { Self.equal($0, value) }) {
            let listed = options.map { $0.serialized() }.joined(separator: ", ")
            out.append(SchemaViolation(path: path, message: "\(value.serialized()) is not one of \(listed)"))
        }
        if let constant = schema["const"], !Self.equal(constant, value) {
            out.append(SchemaViolation(path: path, message: "expected \(constant.serialized()), got \(value.serialized())"))
        }
        switch value {
        case .object(let pairs): checkObject(pairs, schema, path, depth, &out)
        case .array(let items): checkArray(items, schema, path, depth, &out)
        case .string(let s): checkString(s, schema, path, &out)
        case .int(let i): checkNumber(Double(i), schema, path, &out)
        case .double(let d): checkNumber(d, schema, path, &out)
        case .null, .bool: break
        }
        checkCombinators(value, schema, path, depth, &out)
    }

    private func checkObject(
        _ pairs: [(key: String, value: JSONValue)], _ schema: JSONValue, _ path: String, _ depth: Int, _ out: inout [SchemaViolation]
    ) {
        let properties: [(key: String, value: JSONValue)]
        if case .object(let p)? = schema["properties"] { properties = p } else { properties = [] }
        if case .array(let required)? = schema["required"] {
            for case .string(let name) in required where !pairs.contains(where: { $0.key == name }) {
                out.append(SchemaViolation(path: path, message: "missing required property '\(name)'"))
            }
        }
        var seen = Set<String>()
        for (key, member) in pairs {
            let childPath = path + "/" + Self.escape(key)
            if !seen.insert(key).inserted {
                out.append(SchemaViolation(path: childPath, message: "duplicate property '\(key)'"))
                continue
            }
            if let sub = properties.first(where: { $0.key == key })?.value {
                check(member, against: sub, at: childPath, depth: depth + 1, into: &out)
            } else if let additional = schema["additionalProperties"] {
                if additional == .bool(false) {
                    out.append(SchemaViolation(path: childPath, message: "unexpected property '\(key)'"))
                } else {
                    check(member, against: additional, at: childPath, depth: depth + 1, into: &out)
                }
            }
        }
        if let minimum = Self.integer(schema["minProperties"]), pairs.count < minimum {
            out.append(SchemaViolation(path: path, message: "expected at least \(minimum) properties, got \(pairs.count)"))
        }
        if let maximum = Self.integer(schema["maxProperties"]), pairs.count > maximum {
            out.append(SchemaViolation(path: path, message: "expected at most \(maximum) properties, got \(pairs.count)"))
        }
    }

    private func checkArray(_ items: [JSONValue], _ schema: JSONValue, _ path: String, _ depth: Int, _ out: inout [SchemaViolation]) {
        var prefixCount = 0
        if case .array(let prefix)? = schema["prefixItems"] {
            prefixCount = prefix.count
            for (i, (item, sub)) in zip(items, prefix).enumerated() {
                check(item, against: sub, at: path + "/\(i)", depth: depth + 1, into: &out)
            }
        }
        if let itemSchema = schema["items"], items.count > prefixCount {
            for i in prefixCount..<items.count {
                check(items[i], against: itemSchema, at: path + "/\(i)", depth: depth + 1, into: &out)
            }
        }
        if let minimum = Self.integer(schema["minItems"]), items.count < minimum {
            out.append(SchemaViolation(path: path, message: "expected at least \(minimum) items, got \(items.count)"))
        }
        if let maximum = Self.integer(schema["maxItems"]), items.count > maximum {
            out.append(SchemaViolation(path: path, message: "expected at most \(maximum) items, got \(items.count)"))
        }
        if schema["uniqueItems"] == .bool(true) {
            for i in items.indices {
                for j in items.indices where j > i && Self.equal(items[i], items[j]) {
                    out.append(SchemaViolation(path: path + "/\(j)", message: "item repeats item \(i)"))
                }
            }
        }
    }

    private func checkString(_ s: String, _ schema: JSONValue, _ path: String, _ out: inout [SchemaViolation]) {
        let length = s.unicodeScalars.count
        if let minimum = Self.integer(schema["minLength"]), length < minimum {
            out.append(SchemaViolation(path: path, message: "expected at least \(minimum) characters, got \(length)"))
        }
        if let maximum = Self.integer(schema["maxLength"]), length > maximum {
            out.append(SchemaViolation(path: path, message: "expected at most \(maximum) characters, got \(length)"))
        }
        if case .string(let pattern)? = schema["pattern"] {
            do {
                let regex = try Regex(pattern)
                if (try? regex.firstMatch(in: s)) == nil {
                    out.append(SchemaViolation(path: path, message: "\"\(s)\" does not match the pattern \(pattern)"))
                }
            } catch {
                out.append(SchemaViolation(path: path, message: "the schema's pattern \(pattern) is not a valid regular expression"))
            }
        }
    }

    private func checkNumber(_ x: Double, _ schema: JSONValue, _ path: String, _ out: inout [SchemaViolation]) {
        let shown = Self.show(x)
        if let m = Self.number(schema["minimum"]), x < m {
            out.append(SchemaViolation(path: path, message: "\(shown) is less than the minimum \(Self.show(m))"))
        }
        if let m = Self.number(schema["maximum"]), x > m {
            out.append(SchemaViolation(path: path, message: "\(shown) is greater than the maximum \(Self.show(m))"))
        }
        if let m = Self.number(schema["exclusiveMinimum"]), x <= m {
            out.append(SchemaViolation(path: path, message: "\(shown) must be greater than \(Self.show(m))"))
        }
        if let m = Self.number(schema["exclusiveMaximum"]), x >= m {
            out.append(SchemaViolation(path: path, message: "\(shown) must be less than \(Self.show(m))"))
        }
        if let m = Self.number(schema["multipleOf"]), m > 0 {
            let q = x / m
            if abs(q - q.rounded()) > 1e-9 * max(1, abs(q)) {
                out.append(SchemaViolation(path: path, message: "\(shown) is not a multiple of \(Self.show(m))"))
            }
        }
    }

    private func checkCombinators(_ value: JSONValue, _ schema: JSONValue, _ path: String, _ depth: Int, _ out: inout [SchemaViolation]) {
        if case .array(let all)? = schema["allOf"] {
            for sub in all { check(value, against: sub, at: path, depth: depth + 1, into: &out) }
        }
        if case .array(let any)? = schema["anyOf"] {
            var firstFailure: [SchemaViolation] = []
            var matched = false
            for sub in any {
                var trial: [SchemaViolation] = []
                check(value, against: sub, at: path, depth: depth + 1, into: &trial)
                if trial.isEmpty { matched = true; break }
                if firstFailure.isEmpty { firstFailure = trial }
            }
            if !matched {
                let reason = any.count == 1 ? firstFailure.first.map { ": \($0.message)" } ?? "" : ""
                out.append(SchemaViolation(path: path, message: "matches none of the \(any.count) allowed shapes\(reason)"))
            }
        }
        if case .array(let one)? = schema["oneOf"] {
            let count = one.filter { sub in
                var trial: [SchemaViolation] = []
                check(value, against: sub, at: path, depth: depth + 1, into: &trial)
                return trial.isEmpty
            }.count
            if count != 1 {
                out.append(SchemaViolation(path: path, message: "matches \(count) of the oneOf shapes, expected exactly one"))
            }
        }
        if let not = schema["not"] {
            var trial: [SchemaViolation] = []
            check(value, against: not, at: path, depth: depth + 1, into: &trial)
            if trial.isEmpty { out.append(SchemaViolation(path: path, message: "matches a shape that is not allowed")) }
        }
    }

    // MARK: - Helpers

    private func resolve(_ ref: String) -> JSONValue? {
        guard ref.hasPrefix("#") else { return nil }
        var node = schema
        for token in ref.dropFirst().split(separator: "/", omittingEmptySubsequences: true) {
            let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            if case .array(let items) = node, let i = Int(key), items.indices.contains(i) {
                node = items[i]
            } else if let next = node[key] {
                node = next
            } else {
                return nil
            }
        }
        return node
    }

    private func matchesType(_ value: JSONValue, _ type: JSONValue) -> Bool {
        switch type {
        case .string(let name): return Self.isOfType(value, name)
        case .array(let names): return names.contains { $0.stringValue.map { Self.isOfType(value, $0) } ?? false }
        default: return true
        }
    }

    private func describeType(_ type: JSONValue) -> String {
        switch type {
        case .string(let name): return "\(Self.article(name)) \(name)"
        case .array(let names): return names.compactMap(\.stringValue).joined(separator: " or ")
        default: return type.serialized()
        }
    }

    package static func isOfType(_ value: JSONValue, _ name: String) -> Bool {
        switch (name, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object): return true
        case ("number", .int), ("number", .double), ("integer", .int): return true
        case ("integer", .double(let d)): return d.isFinite && d == d.rounded()
        default: return false
        }
    }

    package static func kind(of value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int: return "an integer"
        case .double: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    private static func article(_ name: String) -> String {
        ["integer", "object", "array"].contains(name) ? "an" : name == "null" ? "" : "a"
    }

    /// JSON equality: numbers compare by value, objects regardless of key order.
    package static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.object(let x), .object(let y)):
            guard x.count == y.count else { return false }
            return x.allSatisfy { pair in y.contains { $0.key == pair.key && equal($0.value, pair.value) } }
        case (.array(let x), .array(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        default:
            return a == b
        }
    }

    private static func integer(_ value: JSONValue?) -> Int? {
        switch value {
        case .int(let i)?: return Int(i)
        case .double(let d)? where d == d.rounded() && abs(d) < 1e15: return Int(d)
        default: return nil
        }
    }

    private static func number(_ value: JSONValue?) -> Double? {
        switch value {
        case .int(let i)?: return Double(i)
        case .double(let d)?: return d
        default: return nil
        }
    }

    private static func show(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(x)
    }

    private static func escape(_ key: String) -> String {
        key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }
}

/// One way a JSON value breaks a schema.
public struct SchemaViolation: Sendable, Hashable, CustomStringConvertible {
    /// JSON pointer to the offending part of the value (`""` is the whole value).
    public let path: String
    /// What is wrong there.
    public let message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { path.isEmpty ? message : "at \(path): \(message)" }
}
