import RefineryCore
import Foundation
import RefineryInference

/// A small deterministic generator (SplitMix64) so failures reproduce from their seed.
struct GrammarRNG: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A strict RFC 8259 parser for the tests (independent of the code under test).
struct TestJSONParser {
    private let b: [UInt8]
    private var i = 0

    static func parse(_ bytes: [UInt8]) -> JSONValue? {
        var p = TestJSONParser(b: bytes)
        guard let v = p.value(depth: 0) else { return nil }
        p.skipWS()
        return p.i == bytes.count ? v : nil
    }

    static func parse(_ text: String) -> JSONValue? { parse(Array(text.utf8)) }

    /// The value at the start of `bytes` (leading whitespace skipped) and the index where it ends;
    /// whatever follows is not looked at.
    static func parseLeading(_ bytes: [UInt8]) -> (value: JSONValue, end: Int)? {
        var p = TestJSONParser(b: bytes)
        guard let v = p.value(depth: 0) else { return nil }
        return (v, p.i)
    }

    private init(b: [UInt8]) { self.b = b }

    private mutating func skipWS() {
        while i < b.count, b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0A || b[i] == 0x0D { i += 1 }
    }

    private mutating func literal(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard i + u.count <= b.count, Array(b[i..<(i + u.count)]) == u else { return false }
        i += u.count
        return true
    }

    private mutating func value(depth: Int) -> JSONValue? {
        guard depth < 200 else { return nil }
        skipWS()
        guard i < b.count else { return nil }
        switch b[i] {
        case UInt8(ascii: "{"):
            i += 1
            var pairs: [(key: String, value: JSONValue)] = []
            skipWS()
            if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return .object(pairs) }
            while true {
                skipWS()
                guard let k = string() else { return nil }
                skipWS()
                guard i < b.count, b[i] == UInt8(ascii: ":") else { return nil }
                i += 1
                guard let v = value(depth: depth + 1) else { return nil }
                pairs.removeAll { $0.key == k }  // last one wins, as in Python
                pairs.append((k, v))
                skipWS()
                guard i < b.count else { return nil }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "}") { i += 1; return .object(pairs) }
                return nil
            }
        case UInt8(ascii: "["):
            i += 1
            var items: [JSONValue] = []
            skipWS()
            if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            while true {
                guard let v = value(depth: depth + 1) else { return nil }
                items.append(v)
                skipWS()
                guard i < b.count else { return nil }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                return nil
            }
        case UInt8(ascii: "\""):
            return string().map { .string($0) }
        case UInt8(ascii: "t"): return literal("true") ? .bool(true) : nil
        case UInt8(ascii: "f"): return literal("false") ? .bool(false) : nil
        case UInt8(ascii: "n"): return literal("null") ? .null : nil
        default: return number()
        }
    }

    private mutating func number() -> JSONValue? {
        let start = i
        if i < b.count, b[i] == UInt8(ascii: "-") { i += 1 }
        func digits() -> Int { var n = 0; while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1; n += 1 }; return n }
        guard i < b.count else { return nil }
        if b[i] == UInt8(ascii: "0") { i += 1 } else if digits() == 0 { return nil }
        var integral = true
        if i < b.count, b[i] == UInt8(ascii: ".") { i += 1; integral = false; if digits() == 0 { return nil } }
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            i += 1
            integral = false
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            if digits() == 0 { return nil }
        }
        let text = String(decoding: b[start..<i], as: UTF8.self)
        if integral, let v = Int64(text) { return .int(v) }
        return Double(text).map { .double($0) }
    }

    private mutating func hex4() -> UInt32? {
        guard i + 4 <= b.count, let v = UInt32(String(decoding: b[i..<(i + 4)], as: UTF8.self), radix: 16) else { return nil }
        i += 4
        return v
    }

    private mutating func string() -> String? {
        guard i < b.count, b[i] == UInt8(ascii: "\"") else { return nil }
        i += 1
        var scalars = String.UnicodeScalarView()
        var raw: [UInt8] = []
        func flush() -> Bool {
            guard !raw.isEmpty else { return true }
            guard let s = String(validating: raw, as: UTF8.self) else { return false }
            scalars.append(contentsOf: s.unicodeScalars)
            raw.removeAll()
            return true
        }
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                return flush() ? String(scalars) : nil
            }
            if c < 0x20 { return nil }
            if c == UInt8(ascii: "\\") {
                guard flush(), i + 1 < b.count else { return nil }
                let e = b[i + 1]
                i += 2
                switch e {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    guard let v = hex4() else { return nil }
                    if v >= 0xD800, v < 0xDC00 {
                        guard literal("\\u"), let lo = hex4(), lo >= 0xDC00, lo < 0xE000,
                              let s = Unicode.Scalar(0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00)) else { return nil }
                        scalars.append(s)
                    } else {
                        guard let s = Unicode.Scalar(v) else { return nil }  // lone surrogates rejected
                        scalars.append(s)
                    }
                default: return nil
                }
                continue
            }
            raw.append(c)
            i += 1
        }
        return nil
    }
}

/// An independent validator for the supported JSON Schema subset (draft 2020-12 semantics).
struct TestSchemaValidator {
    let root: JSONValue

    func validate(_ value: JSONValue) -> Bool { validate(value, root) }

    private func numeric(_ v: JSONValue) -> Double? {
        switch v {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    private func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.int, .double), (.double, .int), (.int, .int), (.double, .double): return numeric(a) == numeric(b)
        case let (.array(x), .array(y)): return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case let (.object(x), .object(y)):
            return x.count == y.count && x.allSatisfy { p in y.contains { $0.key == p.key && equal($0.value, p.value) } }
        default: return a == b
        }
    }

    private func isType(_ v: JSONValue, _ t: String) -> Bool {
        switch (t, v) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object): return true
        case ("number", .int), ("number", .double), ("integer", .int): return true
        case ("integer", .double(let d)): return d == d.rounded()
        default: return false
        }
    }

    private func resolve(_ ref: String) -> JSONValue? {
        var target = root
        for token in ref.dropFirst().split(separator: "/") {
            let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            guard let next = target[key] else { return nil }
            target = next
        }
        return target
    }

    func validate(_ v: JSONValue, _ schema: JSONValue) -> Bool {
        switch schema {
        case .bool(let b): return b
        case .object: break
        default: return false
        }
        if case .string(let ref)? = schema["$ref"] {
            guard let target = resolve(ref), validate(v, target) else { return false }
        }
        if case .array(let list)? = schema["allOf"], !list.allSatisfy({ validate(v, $0) }) { return false }
        if case .array(let list)? = schema["anyOf"], !list.contains(where: { validate(v, $0) }) { return false }
        if case .array(let list)? = schema["oneOf"], list.filter({ validate(v, $0) }).count != 1 { return false }
        if let t = schema["type"] {
            let types: [String] = t.stringValue.map { [$0] } ?? (t.arrayValue ?? []).compactMap(\.stringValue)
            if !types.contains(where: { isType(v, $0) }) { return false }
        }
        if let c = schema["const"], !equal(v, c) { return false }
        if case .array(let list)? = schema["enum"], !list.contains(where: { equal(v, $0) }) { return false }
        switch v {
        case .object(let pairs):
            if case .array(let req)? = schema["required"] {
                for r in req { if let name = r.stringValue, !pairs.contains(where: { $0.key == name }) { return false } }
            }
            let props = schema["properties"]
            for (k, value) in pairs {
                if let ps = props?[k] {
                    if !validate(value, ps) { return false }
                } else if let extra = schema["additionalProperties"], !validate(value, extra) {
                    return false
                }
            }
        case .array(let items):
            let prefix = schema["prefixItems"]?.arrayValue ?? []
            for (i, item) in items.enumerated() {
                if i < prefix.count {
                    if !validate(item, prefix[i]) { return false }
                } else if let s = schema["items"], !validate(item, s) {
                    return false
                }
            }
            if let m = schema["minItems"].flatMap(numeric), Double(items.count) < m { return false }
            if let m = schema["maxItems"].flatMap(numeric), Double(items.count) > m { return false }
        case .string(let s):
            let n = Double(s.unicodeScalars.count)
            if let m = schema["minLength"].flatMap(numeric), n < m { return false }
            if let m = schema["maxLength"].flatMap(numeric), n > m { return false }
            if case .string(let p)? = schema["pattern"] {
                guard let re = try? NSRegularExpression(pattern: p),
                      re.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil else { return false }
            }
        case .int, .double:
            let x = numeric(v)!
            if let m = schema["minimum"].flatMap(numeric), x < m { return false }
            if let m = schema["maximum"].flatMap(numeric), x > m { return false }
            if let m = schema["exclusiveMinimum"].flatMap(numeric), x <= m { return false }
            if let m = schema["exclusiveMaximum"].flatMap(numeric), x >= m { return false }
        default: break
        }
        return true
    }
}

/// Compact JSON text of a value, for fixtures and the Python cross-check.
func testJSONText(_ v: JSONValue) -> String {
    switch v {
    case .null: return "null"
    case .bool(let b): return b ? "true" : "false"
    case .int(let i): return String(i)
    case .double(let d): return "\(d)"
    case .string(let s):
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    case .array(let a): return "[" + a.map(testJSONText).joined(separator: ",") + "]"
    case .object(let o): return "{" + o.map { testJSONText(.string($0.key)) + ":" + testJSONText($0.value) }.joined(separator: ",") + "}"
    }
}

/// A synthetic byte-level vocabulary: every single byte plus JSON-ish multi-byte tokens; the
/// last id is the end-of-generation token.
func testVocabulary() -> (tokens: [[UInt8]], eog: Int) {
    var tokens: [[UInt8]] = (0...255).map { [UInt8($0)] }
    let pieces = ["{\"", "\":", "\": ", "\", \"", "\",\"", ", ", "},", "}}", "]}", "\"}", "\"]", "[\"", "[{", "[]", "{}",
                  "true", "false", "null", "nul", "tr", "12", "345", "-1", "0.", ".5", "e+", "E-",
                  "name", "age", "abc", "hello world", " the", "\\n", "\\u00", "\\\"", "é", "日本", "🙂",
                  "\u{2028}", "a-", "-b", "cat", "dogs", "@x.com", "2024-", "-01", "T12:", ":00Z"]
    tokens += pieces.map { Array($0.utf8) }
    tokens.append([0xC3])  // a lone lead byte as its own multi-purpose token (duplicate of a single byte)
    tokens.append([])  // a control token: never allowed
    tokens.append(Array("<|end|>".utf8))
    return (tokens, tokens.count - 1)
}
