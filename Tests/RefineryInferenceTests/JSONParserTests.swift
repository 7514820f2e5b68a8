import RefineryCore
import Foundation
import RefineryInference
import RefineryTesting
import Testing

/// One case of `Fixtures/json-cases.json` (written by scripts/reference/json_cases.py).
struct JSONCase: Sendable, CustomStringConvertible {
    var input: [UInt8]
    var valid: Bool
    var compact = "", python = "", pretty = "", ascii = ""
    var code = "", offset = 0

    var description: String { String(decoding: input.prefix(40), as: UTF8.self) }

    static func load() throws -> [JSONCase] {
        let url = try #require(Bundle.module.url(forResource: "json-cases", withExtension: "json", subdirectory: "Fixtures"))
        let root = try JSONParser().parse([UInt8](Data(contentsOf: url)))
        return try #require(root.arrayValue).map { item in
            var c = JSONCase(input: hexBytes(item["input"]?.stringValue ?? ""), valid: item["valid"] == .bool(true))
            c.compact = item["compact"]?.stringValue ?? ""
            c.python = item["python"]?.stringValue ?? ""
            c.pretty = item["pretty"]?.stringValue ?? ""
            c.ascii = item["ascii"]?.stringValue ?? ""
            c.code = item["code"]?.stringValue ?? ""
            if case .int(let o)? = item["offset"] { c.offset = Int(o) }
            return c
        }
    }

    static func hexBytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var it = hex.utf8.makeIterator()
        while let a = it.next(), let b = it.next() {
            out.append(UInt8(String(decoding: [a, b], as: UTF8.self), radix: 16)!)
        }
        return out
    }
}

@Suite("JSON parser")
struct JSONParserTests {
    @Test("valid texts parse to what Python's json reads, and serialize back byte for byte")
    func validCases() throws {
        let cases = try JSONCase.load().filter(\.valid)
        #expect(cases.count > 30)
        for c in cases {
            let value = try JSONParser().parse(c.input)
            #expect(value.serialized(.compact) == c.compact, "\(c)")
            #expect(value.serialized(.python) == c.python, "\(c)")
            #expect(value.serialized(.pretty) == c.pretty, "\(c)")
            #expect(value.serialized(JSONFormatting(escapeNonASCII: true)) == c.ascii, "\(c)")
            // Round trip: our own output reads back to the same value.
            #expect(try JSONValue(parsing: value.serialized()) == value, "\(c)")
        }
    }

    @Test("invalid texts fail with the expected code and byte offset")
    func invalidCases() throws {
        let cases = try JSONCase.load().filter { !$0.valid }
        #expect(cases.count > 30)
        for c in cases {
            do {
                let v = try JSONParser().parse(c.input)
                Issue.record("accepted \(c): \(v)")
            } catch {
                #expect(error.code.description == c.code, "\(c): \(error)")
                #expect(error.offset == c.offset, "\(c): \(error)")
            }
        }
    }

    @Test("integers stay exact; others become doubles")
    func numbers() throws {
        #expect(try JSONValue(parsing: "9223372036854775807") == .int(.max))
        #expect(try JSONValue(parsing: "-9223372036854775808") == .int(.min))
        if case .double(let d) = try JSONValue(parsing: "9223372036854775808") {
            #expect(d == 9223372036854775808.0)
        } else {
            Issue.record("overflowing integer not read as a double")
        }
        if case .double(let d) = try JSONValue(parsing: "2.0") { #expect(d == 2) } else { Issue.record("2.0 not a double") }
        if case .double(let d) = try JSONValue(parsing: "-0") { #expect(d == 0 && d.sign == .minus) } else {
            Issue.record("-0 lost its sign")
        }
        #expect(try JSONValue(parsing: "[1e400]") == .array([.double(.infinity)]))
    }

    @Test("objects keep document order and strings decode escapes")
    func orderAndStrings() throws {
        let v = try JSONValue(parsing: #"{"z":1,"a":{"y":"\u00e9\n","b":[true,false,null]}}"#)
        guard case .object(let pairs) = v, case .object(let inner)? = v["a"] else {
            Issue.record("not an object")
            return
        }
        #expect(pairs.map(\.key) == ["z", "a"])
        #expect(inner.map(\.key) == ["y", "b"])
        #expect(v["a"]?["y"] == .string("é\n"))
        #expect(v["a"]?["b"] == [true, false, nil])
    }

    @Test("a duplicate key is caught in large objects too")
    func duplicateInLargeObject() {
        let members = (0..<40).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        #expect(throws: Never.self) { try JSONValue(parsing: "{\(members)}") }
        do {
            _ = try JSONValue(parsing: "{\(members),\"k17\":0}")
            Issue.record("duplicate accepted")
        } catch {
            #expect(error.code == .duplicateKey)
            #expect(error.offset == members.utf8.count + 2)
        }
    }

    @Test("the depth limit is configurable and deep input never overflows the stack")
    func depth() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: deep) }
        let ok = String(repeating: "[", count: 2000) + String(repeating: "]", count: 2000)
        #expect(throws: Never.self) { try JSONParser(maxDepth: 5000).parse(ok) }
        #expect(throws: JSONParseError.self) { try JSONParser(maxDepth: 3).parse("[[[[1]]]]") }
        #expect(throws: Never.self) { try JSONParser(maxDepth: 4).parse("[[[[1]]]]") }
    }

    @Test("every prefix of a valid document is refused, with an offset inside it")
    func truncation() throws {
        let text = Array(#"{"a":[1,-2.5e3,"x\u00e9y",{"b":null}],"c":true}"#.utf8)
        for n in 0..<text.count {
            do {
                _ = try JSONParser().parse(Array(text[..<n]))
                Issue.record("prefix of length \(n) accepted")
            } catch {
                #expect(error.offset <= n)
            }
        }
    }

    @Test("random byte mutations never crash and accepted texts round-trip")
    func fuzz() throws {
        var rng = SplitMix64(seed: 7)
        let seeds = try JSONCase.load().filter(\.valid).map(\.input)
        var accepted = 0
        for round in 0..<20_000 {
            var bytes = seeds[round % seeds.count]
            for _ in 0..<(1 + Int(rng.next() % 3)) {
                let at = bytes.isEmpty ? 0 : Int(rng.next() % UInt64(bytes.count))
                let b = "{}[]\",:\\0123456789.eE+-tfnu \u{e9}ÿ".utf8.randomElement(using: &rng)!
                switch rng.next() % 3 {
                case 0 where !bytes.isEmpty: bytes[at] = b
                case 1: bytes.insert(b, at: at)
                default: if !bytes.isEmpty { bytes.remove(at: at) }
                }
            }
            if let v = try? JSONParser().parse(bytes) {
                accepted += 1
                // Non-finite doubles are written as null, so compare the texts after one round.
                let text = v.serialized()
                #expect(try JSONValue(parsing: text).serialized() == text)
            }
        }
        #expect(accepted > 0)
    }

    /// Release build, this machine (2 cores, idle): ~10 ms per MB parsed; Foundation's
    /// JSONSerialization takes ~185 ms on the same document
    /// (`swift test -c release --filter JSONParserTests/speed`).
    @Test("parses about a megabyte of tool-call JSON quickly")
    func speed() throws {
        let item = #"{"id":"call_0123456789","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\",\"days\":3}"},"score":-12.5e-3,"tags":["a","b","ünïcödé"],"ok":true,"none":null}"#
        let text = "[" + Array(repeating: item, count: 5000).joined(separator: ",") + "]"
        let bytes = Array(text.utf8)
        let clock = ContinuousClock()
        var value: JSONValue = nil
        let elapsed = try clock.measure { value = try JSONParser().parse(bytes) }
        #expect(value.arrayValue?.count == 5000)
        let written = clock.measure { _ = value.serializedBytes() }
        let mb = Double(bytes.count) / 1e6
        let foundation = try clock.measure { _ = try JSONSerialization.jsonObject(with: Data(bytes)) }
        print("JSON: parsed \(mb) MB in \(elapsed) (Foundation's JSONSerialization: \(foundation)), serialized in \(written)")
        #expect(elapsed < .seconds(2))
    }
}
