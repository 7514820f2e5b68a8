import RefineryCore
/// A value inside the template interpreter, with Python's semantics (what jinja2 operates on).
///
/// Lists, tuples and dicts are immutable (the reference runs in jinja2's immutable sandbox), so
/// they are plain values; only namespaces are shared mutable objects.
enum TemplateValue {
    /// jinja2's default `Undefined`: renders empty, iterates empty, is falsy; `hint` is the
    /// message jinja2 raises when it is used in a way that needs a value.
    case undefined(hint: String)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    /// markupsafe's `Markup` (from `safe`, `escape`): a string that HTML-escapes plain strings
    /// added to it. Everywhere else it behaves as the plain string.
    case markup(String)
    case list([TemplateValue])
    case tuple([TemplateValue])
    case dict(TemplateDict)
    case object(any TemplateObject)
}

// Values live within one render; saying so explicitly also spares the compiler a cyclic
// implicit-Sendable inference through TemplateDict's entries.
@available(*, unavailable)
extension TemplateValue: Sendable {}

@available(*, unavailable)
extension TemplateDict: Sendable {}

/// An ordered Python dict (insertion order, keys compared with Python equality).
struct TemplateDict {
    var entries: [(key: TemplateValue, value: TemplateValue)]

    init() { entries = [] }

    var count: Int { entries.count }

    subscript(rawKey: TemplateValue) -> TemplateValue? {
        get {
            let key = rawKey.plain
            if case .string(let s) = key { return self[string: s] }
            for entry in entries where entry.key.pyEquals(key) { return entry.value }
            return nil
        }
        set {
            let key = rawKey.plain
            if let i = entries.firstIndex(where: { $0.key.pyEquals(key) }) {
                if let newValue { entries[i].value = newValue } else { entries.remove(at: i) }
            } else if let newValue {
                entries.append((key, newValue))
            }
        }
    }

    /// Fast path for the common string key.
    subscript(string key: String) -> TemplateValue? {
        for entry in entries {
            if case .string(let k) = entry.key, k.utf8.elementsEqual(key.utf8) { return entry.value }
        }
        return nil
    }
}

/// An interpreter object with attributes: a namespace, the `loop` variable, a macro, a function.
protocol TemplateObject: AnyObject {
    /// Python's type name, for error messages.
    var typeName: String { get }
    /// The attribute `name`, or `nil` if there is none.
    func attribute(_ name: String) -> TemplateValue?
}

/// `namespace(...)`: the one mutable object templates have (`{% set ns.x = … %}`).
final class TemplateNamespace: TemplateObject {
    var attributes: TemplateDict
    init(_ attributes: TemplateDict) { self.attributes = attributes }
    var typeName: String { "Namespace" }
    func attribute(_ name: String) -> TemplateValue? { attributes[string: name] }
}

/// Something a template can call: a global function, a macro, a bound method, `caller`.
final class TemplateCallable: TemplateObject {
    typealias Body = (_ arguments: TemplateArguments, _ interpreter: TemplateInterpreter) throws -> TemplateValue
    let name: String
    let isMacro: Bool
    let body: Body
    init(name: String, isMacro: Bool = false, body: @escaping Body) {
        self.name = name
        self.isMacro = isMacro
        self.body = body
    }
    var typeName: String { isMacro ? "Macro" : "builtin_function_or_method" }
    func attribute(_ name: String) -> TemplateValue? {
        name == "name" ? .string(self.name) : nil
    }
}

/// Positional and keyword arguments of a call.
struct TemplateArguments {
    var positional: [TemplateValue] = []
    var keyword: [(name: String, value: TemplateValue)] = []

    /// The argument at `index` positionally, or by `name`, or `nil`.
    func value(_ index: Int, _ name: String) -> TemplateValue? {
        if index < positional.count { return positional[index] }
        for entry in keyword where entry.name == name { return entry.value }
        return nil
    }
}

// MARK: - Conversion from JSON

extension TemplateValue {
    init(_ json: JSONValue) {
        switch json {
        case .null: self = .none
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(Int(i))
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .array(let a): self = .list(a.map(TemplateValue.init))
        case .object(let pairs):
            var dict = TemplateDict()
            dict.entries.reserveCapacity(pairs.count)
            var seen: [String: Int] = [:]
            for (k, v) in pairs {
                // A repeated key keeps its first position and its last value, as a Python dict.
                if pairs.count > 8 {
                    if let i = seen[k] { dict.entries[i].value = TemplateValue(v); continue }
                    seen[k] = dict.entries.count
                    dict.entries.append((.string(k), TemplateValue(v)))
                } else {
                    dict[.string(k)] = TemplateValue(v)
                }
            }
            self = .dict(dict)
        }
    }
}

// MARK: - Python semantics

extension TemplateValue {
    /// `Markup` as a plain string; every other value unchanged.
    var plain: TemplateValue {
        if case .markup(let s) = self { return .string(s) }
        return self
    }

    var isUndefined: Bool {
        if case .undefined = self { return true }
        return false
    }

    /// Python's `type(x).__name__`, as jinja2's messages show it.
    var typeName: String {
        switch self {
        case .undefined: return "Undefined"
        case .none: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "str"
        case .markup: return "Markup"
        case .list: return "list"
        case .tuple: return "tuple"
        case .dict: return "dict"
        case .object(let o): return o.typeName
        }
    }

    /// Python truthiness.
    var isTruthy: Bool {
        switch self {
        case .undefined, .none: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .double(let d): return d != 0
        case .string(let s), .markup(let s): return !s.isEmpty
        case .list(let a), .tuple(let a): return !a.isEmpty
        case .dict(let d): return d.count > 0
        case .object: return true
        }
    }

    /// Python's `str(x)` (jinja2 renders `{{ x }}` with it; `Undefined` renders empty).
    var pyStr: String {
        switch self {
        case .undefined: return ""
        case .string(let s), .markup(let s): return s
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .double(let d): return pyFloatRepr(d)
        case .list, .tuple, .dict: return pyRepr
        case .object(let o):
            if let ns = o as? TemplateNamespace { return "<Namespace \(TemplateValue.dict(ns.attributes).pyRepr)>" }
            if let c = o as? TemplateCallable { return "<function \(c.name)>" }
            return "<\(o.typeName) object>"
        }
    }

    /// Python's `repr(x)`.
    var pyRepr: String { repr(depth: 0) }

    /// Values nested deeper than this print as `...` and compare unequal (Python would raise
    /// RecursionError), so a hostile template cannot overflow the stack.
    static let maxNesting = 500

    /// Whether this value nests lists, tuples or dicts deeper than `limit` (looks no deeper).
    func nestingExceeds(_ limit: Int) -> Bool {
        if limit < 0 { return true }
        switch self {
        case .list(let items), .tuple(let items): return items.contains { $0.nestingExceeds(limit - 1) }
        case .dict(let d): return d.entries.contains { $0.key.nestingExceeds(limit - 1) || $0.value.nestingExceeds(limit - 1) }
        default: return false
        }
    }

    private func repr(depth: Int) -> String {
        if depth > Self.maxNesting { return "..." }
        switch self {
        case .undefined: return "Undefined"
        case .string(let s): return pyStringRepr(s)
        case .markup(let s): return "Markup(" + pyStringRepr(s) + ")"
        case .list(let items): return "[" + items.map { $0.repr(depth: depth + 1) }.joined(separator: ", ") + "]"
        case .tuple(let items):
            if items.count == 1 { return "(" + items[0].repr(depth: depth + 1) + ",)" }
            return "(" + items.map { $0.repr(depth: depth + 1) }.joined(separator: ", ") + ")"
        case .dict(let d):
            return "{" + d.entries.map { $0.key.repr(depth: depth + 1) + ": " + $0.value.repr(depth: depth + 1) }.joined(separator: ", ") + "}"
        default: return pyStr
        }
    }

    /// Python `==` (numbers across int/float/bool; dicts ignore order; strings by code points).
    func pyEquals(_ other: TemplateValue, depth: Int = 0) -> Bool {
        if depth > Self.maxNesting { return false }
        switch (self.plain, other.plain) {
        case (.undefined, .undefined), (.none, .none): return true
        case let (.string(a), .string(b)): return a.utf8.elementsEqual(b.utf8)
        case let (.list(a), .list(b)), let (.tuple(a), .tuple(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.pyEquals($1, depth: depth + 1) }
        case let (.dict(a), .dict(b)):
            guard a.count == b.count else { return false }
            for (k, v) in a.entries {
                guard let w = b[k], v.pyEquals(w, depth: depth + 1) else { return false }
            }
            return true
        case let (.object(a), .object(b)): return a === b
        default:
            if let a = numericValue, let b = other.numericValue {
                switch (a, b) {
                case let (.int(x), .int(y)): return x == y
                default: return a.asDouble == b.asDouble
                }
            }
            return false
        }
    }

    /// The value as a number when it is a bool, int or float (Python's bool is an int).
    var numericValue: TemplateValue? {
        switch self {
        case .bool(let b): return .int(b ? 1 : 0)
        case .int, .double: return self
        default: return nil
        }
    }

    var asDouble: Double {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .bool(let b): return b ? 1 : 0
        default: return .nan
        }
    }

    /// Python ordering (`<`): numbers, strings by code point, lists and tuples lexicographically.
    func pyCompare(_ other: TemplateValue, op: String = "<", depth: Int = 0) throws -> Int {
        if depth > Self.maxNesting {
            throw TemplateError(code: .limit, message: "values nested deeper than \(Self.maxNesting) levels")
        }
        switch (self.plain, other.plain) {
        case let (.string(a), .string(b)):
            return a.utf8.lexicographicallyPrecedes(b.utf8) ? -1 : (a.utf8.elementsEqual(b.utf8) ? 0 : 1)
        case let (.list(a), .list(b)), let (.tuple(a), .tuple(b)):
            for (x, y) in zip(a, b) where !x.pyEquals(y) { return try x.pyCompare(y, op: op, depth: depth + 1) }
            return a.count < b.count ? -1 : (a.count == b.count ? 0 : 1)
        default:
            if let a = numericValue, let b = other.numericValue {
                if case .int(let x) = a, case .int(let y) = b { return x < y ? -1 : (x == y ? 0 : 1) }
                let x = a.asDouble, y = b.asDouble
                return x < y ? -1 : (x == y ? 0 : 1)
            }
            if case .undefined(let hint) = self { throw TemplateError(code: .undefined, message: hint) }
            if case .undefined(let hint) = other { throw TemplateError(code: .undefined, message: hint) }
            throw TemplateError(
                code: .type,
                message: "'\(op)' not supported between instances of '\(typeName)' and '\(other.typeName)'")
        }
    }

    /// Python iteration: items of a list, keys of a dict, code points of a string; `Undefined`
    /// iterates empty.
    func iterate() throws -> [TemplateValue] {
        switch self.plain {
        case .list(let a), .tuple(let a): return a
        case .dict(let d): return d.entries.map(\.key)
        case .string(let s): return s.unicodeScalars.map { .string(String($0)) }
        case .undefined: return []
        default:
            throw TemplateError(code: .type, message: "'\(typeName)' object is not iterable")
        }
    }

    /// Python `len(x)`; `Undefined` has length 0.
    func length() throws -> Int {
        switch self.plain {
        case .list(let a), .tuple(let a): return a.count
        case .dict(let d): return d.count
        case .string(let s): return s.unicodeScalars.count
        case .undefined: return 0
        default: throw TemplateError(code: .type, message: "object of type '\(typeName)' has no len()")
        }
    }

    /// Python `x in self`.
    func pyContains(_ item: TemplateValue) throws -> Bool {
        switch self.plain {
        case .string(let s):
            guard case .string(let needle) = item.plain else {
                throw TemplateError(code: .type, message: "'in <string>' requires string as left operand, not \(item.typeName)")
            }
            return needle.isEmpty || pyFind(s, needle) != nil
        case .list(let a), .tuple(let a): return a.contains { $0.pyEquals(item) }
        case .dict(let d):
            switch item {
            case .list, .dict:
                throw TemplateError(code: .type, message: "TypeError: unhashable type: '\(item.typeName)'")
            default: return d[item.plain] != nil
            }
        case .undefined: return false
        default: throw TemplateError(code: .type, message: "argument of type '\(typeName)' is not iterable")
        }
    }

    /// The undefined value's error, thrown when an operation needs a real value.
    func requireDefined() throws {
        if case .undefined(let hint) = self { throw TemplateError(code: .undefined, message: hint) }
    }
}

// MARK: - Python formatting helpers

/// Python's `repr(float)`: shortest round-trip digits, exponent form below 1e-4 and from 1e16.
func pyFloatRepr(_ d: Double) -> String {
    if d.isNaN { return "nan" }
    if d.isInfinite { return d < 0 ? "-inf" : "inf" }
    // Swift's description uses the same shortest digits and the same thresholds as Python.
    return d.description
}

/// Python's `repr(str)`: single quotes unless the text has a single quote and no double quote.
func pyStringRepr(_ s: String) -> String {
    let quote: Unicode.Scalar = (s.contains("'") && !s.contains("\"")) ? "\"" : "'"
    var out = String.UnicodeScalarView()
    out.append(quote)
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\\": out.append(contentsOf: "\\\\".unicodeScalars)
        case "\n": out.append(contentsOf: "\\n".unicodeScalars)
        case "\r": out.append(contentsOf: "\\r".unicodeScalars)
        case "\t": out.append(contentsOf: "\\t".unicodeScalars)
        case quote: out.append("\\"); out.append(scalar)
        default:
            if isPyPrintable(scalar) {
                out.append(scalar)
            } else {
                let v = scalar.value
                let hex = String(v, radix: 16)
                let escaped: String
                if v < 0x100 {
                    escaped = "\\x" + String(repeating: "0", count: 2 - hex.count) + hex
                } else if v < 0x10000 {
                    escaped = "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    escaped = "\\U" + String(repeating: "0", count: 8 - hex.count) + hex
                }
                out.append(contentsOf: escaped.unicodeScalars)
            }
        }
    }
    out.append(quote)
    return String(out)
}

/// Python's `str.isprintable` for one character.
private func isPyPrintable(_ scalar: Unicode.Scalar) -> Bool {
    if scalar == " " { return true }
    switch scalar.properties.generalCategory {
    case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator, .spaceSeparator:
        return false
    default:
        return true
    }
}

/// Python's `str.isspace` for one character (what `strip()` and `split()` remove).
func isPyWhitespace(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
        return true
    default:
        return false
    }
}

/// The code-point offset of the first occurrence of `needle` in `haystack`, or `nil`.
func pyFind(_ haystack: String, _ needle: String, from start: Int = 0) -> Int? {
    let h = Array(haystack.unicodeScalars), n = Array(needle.unicodeScalars)
    if n.isEmpty { return start <= h.count ? start : nil }
    guard h.count >= n.count, start <= h.count - n.count else { return nil }
    var i = start
    while i <= h.count - n.count {
        if h[i] == n[0] {
            var j = 1
            while j < n.count && h[i + j] == n[j] { j += 1 }
            if j == n.count { return i }
        }
        i += 1
    }
    return nil
}
