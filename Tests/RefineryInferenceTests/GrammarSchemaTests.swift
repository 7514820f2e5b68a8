import RefineryCore
import Foundation
import RefineryInference
import Testing

@Suite("JSON schema grammar")
struct GrammarSchemaTests {
    func grammar(_ json: String, _ options: JSONSchemaGrammar.Options = .init()) throws -> JSONSchemaGrammar {
        let schema = try #require(TestJSONParser.parse(json), "schema text must parse")
        return try JSONSchemaGrammar(schema: schema, options: options)
    }

    func accepts(_ g: JSONSchemaGrammar, _ text: String) -> Bool { g.makeMatcher().matches(text) }

    @Test("objects: keys in schema order, required always, optional skippable, nothing else")
    func objects() throws {
        let g = try grammar(#"{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string"},"c":{"type":"boolean"}},"required":["b"]}"#)
        for ok in [#"{"b":"x"}"#, #"{"a":1,"b":"x"}"#, #"{"a": 1, "b": "x", "c": true}"#, #"{"b":"","c":false}"#] {
            #expect(accepts(g, ok), "\(ok)")
        }
        for bad in [#"{}"#, #"{"a":1}"#, #"{"b":"x","a":1}"#, #"{"b":"x","d":1}"#, #"{"b":1}"#, #"{"b":"x",}"#,
                    #"{ "b":"x"}"#, #"{"b":  "x"}"#, #"{"b":"x"} "#, #" {"b":"x"}"#, #"{"a":01,"b":"x"}"#] {
            #expect(!accepts(g, bad), "\(bad)")
        }
    }

    @Test("whitespace policies bound the whitespace")
    func whitespace() throws {
        let schema = #"{"type":"array","items":{"type":"integer"}}"#
        let none = try grammar(schema, .init(whitespace: .none))
        #expect(accepts(none, "[1,2]") && !accepts(none, "[1, 2]"))
        let bounded = try grammar(schema, .init(whitespace: .bounded(maxBytes: 3)))
        #expect(accepts(bounded, "[\n  1,\n  2\n]"))
        #expect(!accepts(bounded, "[\n    1]"))
        var m = bounded.makeMatcher()
        let step1 = m.accept(bytes: Array("[   ".utf8))
        #expect(step1)
        #expect(!m.canAccept(0x20))  // a fourth space is refused: no runaway whitespace
    }

    @Test("strings: escapes, UTF-8 validity, lengths counted in characters")
    func strings() throws {
        let g = try grammar(#"{"type":"string","minLength":2,"maxLength":3}"#)
        #expect(accepts(g, #""ab""#) && accepts(g, #""日本語""#) && accepts(g, #""\n\u00e9x""#))
        #expect(!accepts(g, #""a""#) && !accepts(g, #""abcd""#))
        let any = try grammar(#"{"type":"string"}"#)
        #expect(accepts(any, #""tab\tquote\"slash\\ \/ \ud7ff""#))
        #expect(!accepts(any, "\"raw\nnewline\""))
        #expect(!accepts(any, #""\x""#))
        #expect(!accepts(any, #""\ud800""#))  // a lone surrogate is never produced
        var m = any.makeMatcher()
        let step2 = m.accept(bytes: [0x22])
        #expect(step2)
        #expect(!m.canAccept(0xC0) && !m.canAccept(0xFF) && !m.canAccept(0x80))  // invalid UTF-8 lead bytes
        #expect(m.accept(bytes: [0xE6]) && !m.canAccept(0x22))  // inside a multi-byte character
    }

    @Test("integer ranges and bounded digits")
    func integers() throws {
        let g = try grammar(#"{"type":"integer","minimum":-15,"maximum":230}"#)
        for v in -15...230 { #expect(accepts(g, String(v)), "\(v)") }
        for bad in ["-16", "231", "999", "-0", "007", "1.0", "+5", "1000"] { #expect(!accepts(g, bad), "\(bad)") }
        let ex = try grammar(#"{"type":"integer","exclusiveMinimum":10,"exclusiveMaximum":13}"#)
        #expect(accepts(ex, "11") && accepts(ex, "12") && !accepts(ex, "10") && !accepts(ex, "13"))
        let unbounded = try grammar(#"{"type":"integer"}"#, .init(maxIntegerDigits: 4))
        #expect(accepts(unbounded, "-9999") && !accepts(unbounded, "12345"))
        let number = try grammar(#"{"type":"number"}"#)
        for ok in ["0", "-0.5", "3.25e+10", "1E5", "12"] { #expect(accepts(number, ok), "\(ok)") }
        for bad in ["01", ".5", "1.", "1e", "--1", "1e123"] { #expect(!accepts(number, bad), "\(bad)") }
    }

    @Test("enum, const, type lists, anyOf and one-of-strings")
    func alternatives() throws {
        let e = try grammar(#"{"enum":["red","green",3,null,{"k":[1]}]}"#)
        for ok in [#""red""#, #""green""#, "3", "null", #"{"k":[1]}"#] { #expect(accepts(e, ok), "\(ok)") }
        for bad in [#""blue""#, "4", #""re""#] { #expect(!accepts(e, bad)) }
        let c = try grammar(#"{"const":"a\"b"}"#)
        #expect(accepts(c, #""a\"b""#))
        let t = try grammar(#"{"type":["string","null"],"maxLength":1}"#)
        #expect(accepts(t, "null") && accepts(t, #""x""#) && !accepts(t, #""xy""#) && !accepts(t, "1"))
        let a = try grammar(#"{"anyOf":[{"type":"integer"},{"type":"array","items":{"type":"boolean"},"maxItems":2}]}"#)
        #expect(accepts(a, "5") && accepts(a, "[true, false]") && !accepts(a, "[true,true,true]"))
        let s = try JSONSchemaGrammar.oneOf(strings: ["get_weather", "get_time"])
        #expect(accepts(s, #""get_time""#) && !accepts(s, #""get""#))
        let anyJSON = JSONSchemaGrammar.anyJSON()
        #expect(accepts(anyJSON, #"{"a": [1, {"b": null}], "c": "d"}"#) && !accepts(anyJSON, "{'a': 1}"))
    }

    @Test("arrays: prefixItems, items false, min and max")
    func arrays() throws {
        let g = try grammar(#"{"type":"array","prefixItems":[{"type":"integer"},{"type":"string"}],"items":false,"minItems":1}"#)
        #expect(accepts(g, "[1]") && accepts(g, #"[1, "a"]"#))
        #expect(!accepts(g, "[]") && !accepts(g, #"[1, "a", 2]"#) && !accepts(g, #"["a"]"#))
        let r = try grammar(#"{"type":"array","items":{"type":"integer"},"minItems":2,"maxItems":3}"#)
        #expect(!accepts(r, "[1]") && accepts(r, "[1, 2]") && accepts(r, "[1, 2, 3]") && !accepts(r, "[1, 2, 3, 4]"))
    }

    @Test("patterns: classes, quantifiers, groups, alternation, escapes; whole-string match")
    func patterns() throws {
        let cases: [(String, [String], [String])] = [
            (#"^\\d{3}-[A-Z]{2,}$"#, ["123-AB", "000-XYZW"], ["12-AB", "123-A", "123-ab", "x123-AB"]),
            (#"(cat|dog)s?"#, ["cat", "dogs"], ["cats!", "bird"]),
            (#"[^a-c]x*"#, ["d", "dxx", "é", "\\\"x"], ["a", "bx"]),
            (#"\\w+@\\w+\\.com"#, ["a_1@b.com"], ["a@b.org", "@b.com"]),
            (#"a\\.b|\\s"#, ["a.b", " ", "\\n"], ["aXb", "  "]),
            (#"(?:ab){2}c?"#, ["abab", "ababc"], ["ab", "abababc"]),
            (#"q\\\\\"[\\u00e9-\\u00ea]"#, [#"q\\\"é"#, #"q\\\"ê"#], [#"q\\\"e"#]),
        ]
        for (pattern, good, bad) in cases {
            let g = try grammar(#"{"type":"string","pattern":"\#(pattern)"}"#)
            for s in good { #expect(accepts(g, "\"\(s)\""), "\(pattern) should accept \(s)") }
            for s in bad { #expect(!accepts(g, "\"\(s)\""), "\(pattern) should reject \(s)") }
        }
    }

    @Test("$ref: local pointers, recursion without infinite expansion")
    func references() throws {
        let g = try grammar(#"""
            {"$defs":{"node":{"type":"object","properties":{"v":{"type":"integer"},"kids":{"type":"array","items":{"$ref":"#/$defs/node"}}},"required":["v"]}},
             "$ref":"#/$defs/node"}
            """#)
        #expect(accepts(g, #"{"v": 1, "kids": [{"v": 2}, {"v": 3, "kids": [{"v": 4, "kids": []}]}]}"#))
        #expect(!accepts(g, #"{"v": 1, "kids": [{"kids": []}]}"#))
        let deep = String(repeating: #"{"v": 0, "kids": ["#, count: 60) + #"{"v": 1}"# + String(repeating: "]}", count: 60)
        var m = g.makeMatcher()
        let step3 = m.accept(bytes: Array(deep.utf8)) && m.isComplete
        #expect(step3)
        let root = try grammar(##"{"type":"object","properties":{"next":{"anyOf":[{"$ref":"#"},{"type":"null"}]}},"required":["next"]}"##)
        #expect(accepts(root, #"{"next": {"next": null}}"#))
    }

    @Test("unsupported or invalid schemas give typed errors naming keyword and path")
    func errors() throws {
        let cases: [(String, GrammarError, String, String)] = [
            (#"{"type":"object","properties":{"a":{"not":{"pattern":"^x"}}},"required":["a"]}"#, .unsupportedKeyword("", path: ""), "not", "/properties/a"),
            (#"{"type":"array","items":{"type":"string","pattern":"(?=x)"}}"#, .invalidPattern("", path: "", ""), "pattern", "/items/pattern"),
            (#"{"properties":{"a~b/c":{"uniqueItems":true,"minItems":2}},"required":["a~b/c"]}"#, .unsupportedKeyword("", path: ""), "uniqueItems", "/properties/a~0b~1c"),
            (#"{"type":"number","multipleOf":0.3}"#, .unsupportedKeyword("", path: ""), "multipleOf", ""),
            (##"{"$dynamicRef":"#meta"}"##, .unsupportedKeyword("", path: ""), "$dynamicRef", ""),
            (##"{"$ref":"#/$defs/missing"}"##, .invalidReference("", path: "", ""), "$ref", ""),
            (##"{"$ref":"https://example.com/s.json"}"##, .invalidReference("", path: "", ""), "$ref", ""),
            (##"{"$defs":{"a":{"$ref":"#/$defs/a"}},"$ref":"#/$defs/a"}"##, .invalidReference("", path: "", ""), "$ref", "/$defs/a"),
            (##"{"type":"object","properties":{"n":{"$ref":"#"}},"required":["n"]}"##, .unsatisfiable("", path: "", ""), "$ref", ""),
            (#"{"enum":[]}"#, .unsatisfiable("", path: "", ""), "enum", ""),
            (#"{"type":"integer","minimum":5,"maximum":4}"#, .unsatisfiable("", path: "", ""), "minimum", ""),
            (#"{"type":"strin"}"#, .invalidSchema("", path: "", ""), "type", ""),
            (#"{"type":"object","additionalProperties":{"type":"integer"},"minProperties":2}"#, .unsupportedKeyword("", path: ""), "minProperties", ""),
            (#"{"type":"string","pattern":"^ab$","minLength":3}"#, .unsatisfiable("", path: "", ""), "pattern", "/pattern"),
            (#"{"type":"array","items":{"enum":[1,2]},"uniqueItems":true,"minItems":3}"#, .unsatisfiable("", path: "", ""), "uniqueItems", ""),
            (#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}},"additionalProperties":false,"allOf":[{"required":["c"]}]}"#, .unsatisfiable("", path: "", ""), "false", "/additionalProperties"),
            (#"{"type":"array","contains":{"type":"integer"},"maxContains":1}"#, .unsupportedKeyword("", path: ""), "maxContains", ""),
            (#"{"properties":{"x":false},"required":["x"]}"#, .unsatisfiable("", path: "", ""), "false", "/properties/x"),
        ]
        for (schema, kind, keyword, path) in cases {
            do {
                _ = try grammar(schema)
                Issue.record("\(schema) should fail")
            } catch let error as GrammarError {
                #expect(error.isKind(of: kind), "\(schema): \(error)")
                #expect(error.keyword == keyword, "\(schema): \(error)")
                #expect(error.path == path, "\(schema): \(error)")
            }
        }
        // Annotations and extensions are ignored.
        #expect(throws: Never.self) {
            try grammar(#"{"title":"t","description":"d","examples":[1],"default":1,"x-vendor":{},"$schema":"s","format":"email","type":"string"}"#)
        }
    }

    @Test("the matcher is a value: copies advance independently; failed accepts change nothing")
    func valueSemantics() throws {
        let g = try grammar(#"{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]}"#)
        var m = g.makeMatcher()
        let step4 = m.accept(bytes: Array(#"{"a":"#.utf8))
        #expect(step4)
        let snapshot = m
        let step5 = !m.accept(bytes: Array("1x".utf8))
        #expect(step5)
        #expect(m == snapshot)
        var copy = m
        let step6 = copy.accept(bytes: Array("12}".utf8)) && copy.isComplete && !copy.canContinue
        #expect(step6)
        #expect(!m.isComplete && m.minimumBytesToComplete == 2)
        #expect(m.canAccept(UInt8(ascii: "7")) && !m.canAccept(UInt8(ascii: "}")))
        #expect(Set([m, snapshot, copy]).count == 2)
    }

    @Test("budget: near the end only closing moves are allowed, and output still completes")
    func budget() throws {
        let g = try grammar(#"{"type":"object","properties":{"text":{"type":"string"},"n":{"type":"array","items":{"type":"integer"}}},"required":["text","n"]}"#)
        let (vocab, eog) = testVocabulary()
        let builder = TokenMaskBuilder(vocabulary: vocab, eogTokens: [eog])
        #expect(builder.coversAllBytes)
        var m = g.makeMatcher()
        let step7 = m.accept(bytes: Array(#"{"text": "abc"#.utf8))
        #expect(step7)
        let need = m.minimumBytesToComplete  // `", "n": []}`
        #expect(need == Array(#"","n":[]}"#.utf8).count)
        let free = builder.mask(for: m, budgetTokens: nil)
        let tight = builder.mask(for: m, budgetTokens: need)
        #expect(free.isAllowed(Int(UInt8(ascii: "x"))) && free.isAllowed(vocab.firstIndex(of: Array("hello world".utf8))!))
        #expect(!tight.isAllowed(Int(UInt8(ascii: "x"))))
        #expect(tight.isAllowed(Int(UInt8(ascii: "\""))))
        #expect(tight.allowedTokens.allSatisfy { vocab[$0].contains(UInt8(ascii: "\"")) })  // each closes the string
        // Force the closing under an exact budget: greedy first allowed token each step.
        var remaining = need
        while !m.isComplete {
            let mask = builder.mask(for: m, budgetTokens: remaining)
            let t = try #require(mask.allowedTokens.first { $0 != eog })
            let step8 = builder.accept(token: t, into: &m)
            #expect(step8)
            remaining -= 1
            #expect(remaining >= 0)
        }
        #expect(builder.mask(for: m, budgetTokens: 1).allowedTokens == [eog])
        // Too small a budget from the start: the mask keeps the moves that close fastest.
        var short = g.makeMatcher()
        let opened = short.accept(bytes: Array(#"{"text": "abc"#.utf8))
        #expect(opened)
        let starved = builder.mask(for: short, budgetTokens: 2)
        #expect(starved.allowedCount > 0)
        for t in starved.allowedTokens {
            var next = short
            let ok = builder.accept(token: t, into: &next)
            #expect(ok && next.minimumBytesToComplete < need)
        }
        #expect(builder.mask(for: m, budgetTokens: 0).allowedCount == 0)
    }

    @Test("masks agree with byte-by-byte acceptance for every token")
    func maskMatchesMatcher() throws {
        let g = try grammar(#"{"type":"object","properties":{"name":{"type":"string","maxLength":4},"age":{"type":"integer","minimum":0,"maximum":120},"ok":{"type":"boolean"}},"required":["name"]}"#)
        let (vocab, eog) = testVocabulary()
        let builder = TokenMaskBuilder(vocabulary: vocab, eogTokens: [eog])
        var m = g.makeMatcher()
        for prefix in ["", "{", #"{""#, #"{"name": "ab"#, #"{"name": "abcd"#, #"{"name": "a", "age": 1"#, #"{"name": "a"}"#] {
            m = g.makeMatcher()
            let step9 = m.accept(bytes: Array(prefix.utf8))
            #expect(step9)
            for budget in [nil, 3, 8, 40] as [Int?] {
                let mask = builder.mask(for: m, budgetTokens: budget)
                // Completion distance after each acceptable token; a budget below the closest
                // reachable distance keeps the closest tokens.
                var after: [Int: Int] = [:]
                for (id, bytes) in vocab.enumerated() where id != eog && !bytes.isEmpty {
                    var copy = m
                    if copy.accept(bytes: bytes) { after[id] = copy.minimumBytesToComplete }
                }
                let limit = budget.map { max($0 - 1, after.values.min() ?? 0) }
                for id in 0..<vocab.count {
                    let expected: Bool
                    if id == eog { expected = m.isComplete } else if let a = after[id] { expected = limit.map { a <= $0 } ?? true } else { expected = false }
                    #expect(mask.isAllowed(id) == expected, "prefix \(prefix) budget \(String(describing: budget)) token \(id) \(vocab[id])")
                }
            }
        }
    }
}

@Suite("Grammar masks from several threads")
struct GrammarConcurrencyTests {
    @Test("concurrent mask requests on shared builders and grammars agree with a serial run")
    func concurrent() async throws {
        let (vocab, eog) = testVocabulary()
        let builder = TokenMaskBuilder(vocabulary: vocab, eogTokens: [eog])
        let grammars = try [#"{"type":"array","items":{"type":"integer"}}"#, #"{"type":"object","properties":{"s":{"type":"string"}}}"#]
            .map { try JSONSchemaGrammar(schema: try #require(TestJSONParser.parse($0))) }
        let prefixes = ["", "[", "[1, 2", "{", #"{"s": "x"#]
        var expected: [Int: TokenMask] = [:]
        let serial = TokenMaskBuilder(vocabulary: vocab, eogTokens: [eog])
        for (k, p) in prefixes.enumerated() {
            var m = grammars[k < 3 ? 0 : 1].makeMatcher()
            _ = m.accept(bytes: Array(p.utf8))
            expected[k] = serial.mask(for: m)
        }
        let results = await withTaskGroup(of: (Int, TokenMask).self) { group in
            for round in 0..<40 {
                let k = round % prefixes.count
                group.addTask {
                    var m = grammars[k < 3 ? 0 : 1].makeMatcher()
                    _ = m.accept(bytes: Array(prefixes[k].utf8))
                    return (k, builder.mask(for: m, budgetTokens: round % 2 == 0 ? nil : 50))
                }
            }
            var all: [(Int, TokenMask)] = []
            for await r in group { all.append(r) }
            return all
        }
        #expect(results.count == 40)
        for (k, mask) in results { #expect(mask == expected[k], "prefix \(prefixes[k])") }
    }
}

@Suite("Grammar against jsonschema's verdicts")
struct GrammarReferenceTests {
    @Test("the test validator agrees with jsonschema, and the grammar rejects every invalid instance")
    func fixture() throws {
        let url = try #require(Bundle.module.url(forResource: "validator_cases", withExtension: "json", subdirectory: "Fixtures/grammar"))
        let cases = try #require(TestJSONParser.parse(Array(try Data(contentsOf: url)))?.arrayValue)
        #expect(cases.count >= 60)
        for c in cases {
            let schema = try #require(c["schema"])
            let document = try #require(c["document"]?.stringValue)
            let valid = c["valid"] == .bool(true)
            let value = try #require(TestJSONParser.parse(document))
            #expect(TestSchemaValidator(root: schema).validate(value) == valid, "\(document) against \(testJSONText(schema))")
            // oneOf's exclusivity is not enforced by the grammar (documented), so skip it there.
            if !valid && schema["oneOf"] == nil {
                let g = try JSONSchemaGrammar(schema: schema)
                #expect(!g.makeMatcher().matches(document), "\(document) must be rejected by \(testJSONText(schema))")
            }
        }
    }
}
