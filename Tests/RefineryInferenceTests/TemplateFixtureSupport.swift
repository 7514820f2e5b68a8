import RefineryCore
import Foundation
import RefineryInference

/// Reads the template fixtures (written by scripts/reference/gen_templates.py) into ordered
/// `JSONValue`s: key order matters, since `tojson` must reproduce it.
enum TemplateFixtures {
    struct Case {
        var name: String
        var source: String
        var context: JSONValue
        var expected: String?
        var errorKind: String?
        var errorMessage: String?
    }

    /// The instant the generator's `strftime_now` reads (2026-03-07 09:05:02 UTC).
    static let clock = TemplateClock(secondsSinceEpoch: 1_772_874_302, utcOffsetSeconds: 0)

    static func url(_ name: String) throws -> URL {
        guard let dir = Bundle.module.url(forResource: "templates", withExtension: nil, subdirectory: "Fixtures") else {
            throw FixtureError(message: "Fixtures/templates missing from the test bundle")
        }
        return dir.appendingPathComponent(name)
    }

    static func text(_ name: String) throws -> String {
        String(decoding: try Data(contentsOf: try url(name)), as: UTF8.self)
    }

    /// The cases of `cases.json` (template × conversation) or `snippets.json` (one shared context).
    static func cases(_ file: String) throws -> [Case] {
        let root = try FixtureJSONReader.parse(try text(file))
        if case .array(let items)? = root["cases"] {
            let contexts = root["contexts"] ?? [:]
            return try items.map { item in
                guard case .object(var variables)? = contexts[item["conversation"]?.stringValue ?? ""] else {
                    throw FixtureError(message: "\(file): case without a known conversation")
                }
                variables.append(("add_generation_prompt", item["add_generation_prompt"] ?? false))
                return Case(
                    name: item["name"]?.stringValue ?? "?",
                    source: try text(item["template"]?.stringValue ?? ""),
                    context: .object(variables),
                    expected: item["expected"]?.stringValue,
                    errorKind: item["error"]?["kind"]?.stringValue,
                    errorMessage: item["error"]?["message"]?.stringValue)
            }
        }
        guard case .array(let items)? = root["snippets"] else {
            throw FixtureError(message: "\(file) has neither cases nor snippets")
        }
        let context = root["context"] ?? [:]
        return items.map { item in
            Case(
                name: item["name"]?.stringValue ?? "?",
                source: item["source"]?.stringValue ?? "",
                context: context,
                expected: item["expected"]?.stringValue,
                errorKind: item["error"]?["kind"]?.stringValue,
                errorMessage: item["error"]?["message"]?.stringValue)
        }
    }

    struct FixtureError: Error { var message: String }
}

/// A small, strict JSON reader that keeps object key order (test support only).
struct FixtureJSONReader {
    private let bytes: [UInt8]
    private var i = 0

    static func parse(_ text: String) throws -> JSONValue {
        var reader = FixtureJSONReader(bytes: Array(text.utf8))
        let value = try reader.value()
        reader.skipSpace()
        guard reader.i == reader.bytes.count else { throw reader.fail("trailing data") }
        return value
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private func fail(_ message: String) -> TemplateFixtures.FixtureError {
        TemplateFixtures.FixtureError(message: "JSON: \(message) at byte \(i)")
    }

    private mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 32 || bytes[i] == 10 || bytes[i] == 13 || bytes[i] == 9 { i += 1 }
    }

    private mutating func value() throws -> JSONValue {
        skipSpace()
        guard i < bytes.count else { throw fail("unexpected end") }
        switch bytes[i] {
        case UInt8(ascii: "{"):
            i += 1
            var pairs: [(key: String, value: JSONValue)] = []
            skipSpace()
            if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(pairs) }
            while true {
                skipSpace()
                let key = try string()
                skipSpace()
                guard bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                i += 1
                pairs.append((key, try value()))
                skipSpace()
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                guard bytes[i] == UInt8(ascii: "}") else { throw fail("expected '}'") }
                i += 1
                return .object(pairs)
            }
        case UInt8(ascii: "["):
            i += 1
            var items: [JSONValue] = []
            skipSpace()
            if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            while true {
                items.append(try value())
                skipSpace()
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                guard bytes[i] == UInt8(ascii: "]") else { throw fail("expected ']'") }
                i += 1
                return .array(items)
            }
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"): i += 4; return .bool(true)
        case UInt8(ascii: "f"): i += 5; return .bool(false)
        case UInt8(ascii: "n"): i += 4; return .null
        default:
            let start = i
            while i < bytes.count, "+-0123456789.eE".utf8.contains(bytes[i]) { i += 1 }
            let text = String(decoding: bytes[start..<i], as: UTF8.self)
            if let n = Int64(text) { return .int(n) }
            guard let d = Double(text) else { throw fail("bad number '\(text)'") }
            return .double(d)
        }
    }

    private mutating func string() throws -> String {
        guard bytes[i] == UInt8(ascii: "\"") else { throw fail("expected string") }
        i += 1
        var out = [UInt8]()
        while i < bytes.count, bytes[i] != UInt8(ascii: "\"") {
            if bytes[i] == UInt8(ascii: "\\") {
                i += 1
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "n"): out.append(10)
                case UInt8(ascii: "t"): out.append(9)
                case UInt8(ascii: "r"): out.append(13)
                case UInt8(ascii: "b"): out.append(8)
                case UInt8(ascii: "f"): out.append(12)
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if code >= 0xD800 && code < 0xDC00, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") {
                        i += 2
                        let low = try hex4()
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    out.append(contentsOf: Array(String(Unicode.Scalar(code) ?? "\u{FFFD}").utf8))
                default: out.append(e)
                }
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        i += 1
        return String(decoding: out, as: UTF8.self)
    }

    private mutating func hex4() throws -> UInt32 {
        guard i + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[i..<i + 4], as: UTF8.self), radix: 16) else {
            throw fail("bad \\u escape")
        }
        i += 4
        return v
    }
}
