import Foundation
import RefineryBench
import RefineryCore
import RefineryInference
import Testing

/// The corpus of real-world configuration schemas (Fixtures/schemas: CI pipelines, compose and
/// workflow files, package manifests, linters' configurations — hand-trimmed models of public
/// schemas), and small schemas that each exercise one keyword.
@Suite("Real-world configuration schemas")
struct GrammarCorpusTests {
    static func corpus() throws -> [(name: String, schema: JSONValue)] {
        let directory = try #require(Bundle.module.url(forResource: "schemas", withExtension: nil, subdirectory: "Fixtures"))
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        return try files.map { url in
            let schema = try #require(TestJSONParser.parse(Array(try Data(contentsOf: url))), "\(url.lastPathComponent) must parse")
            return (url.deletingPathExtension().lastPathComponent, schema)
        }
    }

    /// One schema per keyword the compiler learned, each small enough to walk thoroughly.
    static let keywordSchemas: [(name: String, schema: String)] = [
        ("annotations", #"{"type":"object","title":"t","markdownDescription":"m","x-intellij-html-description":"h","examples":[{}],"$comment":"c","deprecated":true,"readOnly":true,"nullable":true,"properties":{"a":{"type":"integer","default":3,"example":4}},"required":["a"]}"#),
        ("patternProperties map", #"{"type":"object","patternProperties":{"^[a-z]{1,6}$":{"type":"integer","minimum":0,"maximum":9},"^x-":{"type":"string","maxLength":3}},"additionalProperties":false,"maxProperties":3}"#),
        ("propertyNames", #"{"type":"object","propertyNames":{"pattern":"^[A-Z_][A-Z0-9_]*$","maxLength":8},"additionalProperties":{"type":"string","maxLength":4}}"#),
        ("propertyNames enum", #"{"type":"object","propertyNames":{"enum":["dev","prod","test"]},"additionalProperties":{"type":"boolean"},"minProperties":1}"#),
        ("uniqueItems enum", #"{"type":"array","items":{"enum":["a","b","c","d"]},"uniqueItems":true,"minItems":2,"maxItems":3}"#),
        ("uniqueItems strings", #"{"type":"array","items":{"type":"string","maxLength":5},"uniqueItems":true}"#),
        ("if then else", #"{"type":"object","properties":{"kind":{"enum":["file","url"]},"path":{"type":"string","maxLength":8},"url":{"type":"string","format":"uri"}},"required":["kind"],"if":{"properties":{"kind":{"const":"file"}}},"then":{"required":["path"],"not":{"required":["url"]}},"else":{"required":["url"]}}"#),
        ("dependentRequired", #"{"type":"object","properties":{"card":{"type":"string","pattern":"^[0-9]{4}$"},"billing":{"type":"string","maxLength":6},"name":{"type":"string","maxLength":6}},"dependentRequired":{"card":["billing"]}}"#),
        ("draft-7 dependencies", #"{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"},"c":{"type":"boolean"}},"dependencies":{"a":["b"],"c":{"required":["b"],"properties":{"b":{"minimum":5,"maximum":7}}}}}"#),
        ("allOf with siblings", #"{"type":"object","properties":{"a":{"type":"string"},"b":true},"required":["a"],"allOf":[{"properties":{"a":{"maxLength":3},"b":{"type":"integer","minimum":1,"maximum":5}},"required":["b"]},{"properties":{"a":{"pattern":"^[a-c]+$"}}}],"additionalProperties":false}"#),
        ("additionalProperties next to anyOf", #"{"type":"object","properties":{"x":{"type":"integer"},"y":{"type":"string","maxLength":3}},"additionalProperties":false,"anyOf":[{"required":["x"]},{"required":["y"]}]}"#),
        ("oneOf overlapping", #"{"oneOf":[{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]},{"type":"object","properties":{"b":{"type":"integer"}},"required":["b"]}]}"#),
        ("$ref with siblings", ##"{"$defs":{"name":{"type":"string","minLength":1}},"type":"object","properties":{"n":{"$ref":"#/$defs/name","maxLength":4,"description":"short"}},"required":["n"]}"##),
        ("recursive definitions", ##"{"definitions":{"node":{"type":"object","properties":{"name":{"type":"string","maxLength":5},"children":{"type":"array","items":{"$ref":"#/definitions/node"},"maxItems":2}},"required":["name"],"additionalProperties":false}},"$ref":"#/definitions/node"}"##),
        ("JSON pointer ref into properties", ##"{"type":"object","properties":{"a":{"type":"string","enum":["p","q"]},"b":{"$ref":"#/properties/a"}},"required":["a","b"]}"##),
        ("min and max properties", #"{"type":"object","properties":{"a":{"type":"boolean"},"b":{"type":"boolean"},"c":{"type":"boolean"},"d":{"type":"boolean"}},"minProperties":2,"maxProperties":3}"#),
        ("lengths with pattern", #"{"type":"string","pattern":"^[a-z][a-z0-9-]*$","minLength":3,"maxLength":8}"#),
        ("lengths with format", #"{"type":"string","format":"email","maxLength":20}"#),
        ("two patterns", #"{"allOf":[{"type":"string","pattern":"^[a-z0-9]+$"},{"pattern":"[0-9]"},{"maxLength":6}]}"#),
        ("not", #"{"type":"string","not":{"enum":["admin","root"]},"maxLength":6}"#),
        ("contains", #"{"type":"array","items":{"type":"integer","minimum":0,"maximum":50},"contains":{"minimum":40},"minContains":2,"maxItems":4}"#),
        ("multipleOf", #"{"type":"integer","minimum":0,"maximum":1000,"multipleOf":64}"#),
        ("draft-4 exclusive bounds", #"{"$schema":"http://json-schema.org/draft-04/schema#","type":"number","minimum":0,"exclusiveMinimum":true,"maximum":10,"exclusiveMaximum":true}"#),
        ("legacy tuple items", #"{"$schema":"http://json-schema.org/draft-07/schema#","type":"array","items":[{"type":"string","maxLength":3},{"type":"integer"}],"additionalItems":false,"minItems":1}"#),
        ("unevaluatedProperties", #"{"type":"object","allOf":[{"properties":{"a":{"type":"integer"}}}],"properties":{"b":{"type":"boolean"}},"unevaluatedProperties":false}"#),
        ("unparsed regex without constraint", #"{"type":"object","properties":{"a":{"type":"integer"}},"patternProperties":{"^(?!x-)[a-z]":{"description":"any"}},"additionalProperties":false,"required":["a"]}"#),
        ("anchor", ##"{"$defs":{"tag":{"$anchor":"tag","type":"string","enum":["v1","v2"]}},"type":"array","items":{"$ref":"#tag"},"maxItems":3}"##),
    ]

    /// `allOf` chains of `if`/`then` on one discriminating property, as real configuration
    /// schemas write them: with `required` in each `if` (the branches prune each other early),
    /// and without (every combination is possible; the exploration is capped).
    static var ifChains: [(name: String, schema: JSONValue)] {
        func chain(required: Bool) -> JSONValue {
            let kinds = (0..<12).map { "kind\($0)" }
            var properties: [(key: String, value: JSONValue)] = [("kind", .object([("enum", .array(kinds.map { .string($0) }))]))]
            var rules: [JSONValue] = []
            for (i, kind) in kinds.enumerated() {
                properties.append(("option\(i)", .object([("type", "integer"), ("minimum", 0), ("maximum", 9)])))
                var condition: [(key: String, value: JSONValue)] = [("properties", .object([("kind", .object([("const", .string(kind))]))]))]
                if required { condition.append(("required", ["kind"])) }
                rules.append(.object([("if", .object(condition)), ("then", .object([("required", .array([.string("option\(i)")]))]))]))
            }
            return .object([("type", "object"), ("properties", .object(properties)), ("required", ["kind"]),
                            ("additionalProperties", false), ("allOf", .array(rules))])
        }
        return [("if chain with required", chain(required: true)), ("if chain without required", chain(required: false))]
    }

    @Test("if/then chains on a discriminator compile quickly; every kind keeps its own requirement")
    func ifChainsCompile() throws {
        for (name, schema) in Self.ifChains {
            let start = ContinuousClock.now
            let g = try JSONSchemaGrammar(schema: schema)
            let elapsed = start.duration(to: .now)
            #expect(elapsed < .seconds(5), "\(name) took \(elapsed)")
            #expect(g.makeMatcher().matches(#"{"kind": "kind3", "option3": 4}"#), "\(name)")
            #expect(!g.makeMatcher().matches(#"{"kind": "kind3"}"#), "\(name)")
            print("\(name): \(g.grammar.ruleCount) rules in \(elapsed), \(g.omissions.count) omissions")
        }
    }

    @Test("every corpus schema and keyword schema compiles")
    func compiles() throws {
        let corpus = try Self.corpus()
        #expect(corpus.count >= 20)
        for (name, schema) in corpus {
            do {
                let g = try JSONSchemaGrammar(schema: schema)
                print("\(name): \(g.grammar.ruleCount) rules, \(g.grammar.positionCount) positions, \(g.omissions.count) omissions")
                for o in g.omissions { print("  omitted: \(o)") }
            } catch {
                Issue.record("\(name) failed to compile: \(error)")
            }
        }
        for (name, text) in Self.keywordSchemas {
            let schema = try #require(TestJSONParser.parse(text), "\(name)")
            do { _ = try JSONSchemaGrammar(schema: schema) } catch { Issue.record("\(name) failed to compile: \(error)") }
        }
    }

    @Test("keyword schemas accept the documents they should and reject the ones they must")
    func acceptsAndRejects() throws {
        let expectations: [String: (accepted: [String], rejected: [String])] = [
            "patternProperties map": ([#"{}"#, #"{"ab": 3, "x-y": "abc"}"#], [#"{"AB": 1}"#, #"{"ab": 10}"#, #"{"x-y": "abcd"}"#, #"{"a": 1, "b": 2, "c": 3, "d": 4}"#]),
            "propertyNames": ([#"{"A_1": "x"}"#], [#"{"a": "x"}"#, #"{"ABCDEFGHI": "x"}"#]),
            "propertyNames enum": ([#"{"dev": true}"#], [#"{}"#, #"{"qa": true}"#]),
            "uniqueItems enum": ([#"["a", "c"]"#, #"["b", "c", "d"]"#], [#"["a", "a"]"#, #"["a"]"#, #"["a", "b", "c", "d"]"#]),
            "uniqueItems strings": ([#"[]"#, #"["x"]"#], [#"["x", "x"]"#]),
            "if then else": ([#"{"kind": "file", "path": "p"}"#, #"{"kind": "url", "url": "https://a.b"}"#],
                             [#"{"kind": "file"}"#, #"{"kind": "url", "path": "x"}"#, #"{"kind": "file", "path": "p", "url": "https://a.b"}"#]),
            "dependentRequired": ([#"{"card": "1234", "billing": "x"}"#, #"{"billing": "x"}"#], [#"{"card": "1234"}"#, #"{"card": "12345", "billing": "x"}"#]),
            "allOf with siblings": ([#"{"a": "abc", "b": 2}"#], [#"{"a": "abcd", "b": 2}"#, #"{"a": "xyz", "b": 2}"#, #"{"a": "a"}"#, #"{"a": "a", "b": 9}"#]),
            "additionalProperties next to anyOf": ([#"{"x": 1}"#, #"{"y": "ab"}"#, #"{"x": 1, "y": "a"}"#], [#"{}"#, #"{"z": 1}"#]),
            "oneOf overlapping": ([#"{"a": 1}"#, #"{"b": 2}"#], [#"{"a": 1, "b": 2}"#, #"{}"#]),
            "$ref with siblings": ([#"{"n": "abcd"}"#], [#"{"n": ""}"#, #"{"n": "abcde"}"#]),
            "recursive definitions": ([#"{"name": "a", "children": [{"name": "b", "children": []}]}"#], [#"{"children": []}"#, #"{"name": "a", "x": 1}"#]),
            "min and max properties": ([#"{"a": true, "b": false}"#, #"{"a": true, "b": true, "c": true}"#], [#"{"a": true}"#, #"{"a": true, "b": true, "c": true, "d": true}"#]),
            "lengths with pattern": ([#""abc""#, #""a-9""#, #""abcdefgh""#], [#""ab""#, #""abcdefghi""#, #""9ab""#]),
            "two patterns": ([#""a1""#, #""123456""#], [#""abc""#, #""a1-""#, #""1234567""#]),
            "not": ([#""adm""#, #""""#], [#""admin""#, #""root""#]),
            "multipleOf": (["0", "64", "960"], ["65", "1024", "-64"]),
            "draft-4 exclusive bounds": (["1", "9"], ["0", "10"]),
            "legacy tuple items": ([#"["ab"]"#, #"["ab", 3]"#], [#"[]"#, #"["ab", 3, 4]"#, #"[3]"#]),
            "anchor": ([#"["v1", "v2"]"#], [#"["v3"]"#]),
        ]
        for (name, text) in Self.keywordSchemas {
            guard let (accepted, rejected) = expectations[name] else { continue }
            let g = try JSONSchemaGrammar(schema: try #require(TestJSONParser.parse(text)))
            for doc in accepted { #expect(g.makeMatcher().matches(doc), "\(name) should accept \(doc)") }
            for doc in rejected { #expect(!g.makeMatcher().matches(doc), "\(name) should reject \(doc)") }
        }
    }

    /// A walk that always takes the longest allowed token (a stand-in for a model that runs on).
    static func greedyWalk(_ g: JSONSchemaGrammar, _ builder: TokenMaskBuilder, eog: Int, budget: Int) -> (text: [UInt8], ok: Bool) {
        var m = g.makeMatcher()
        var remaining = max(budget, m.minimumBytesToComplete + 1)
        var out: [UInt8] = []
        while remaining > 0 {
            let allowed = builder.mask(for: m, budgetTokens: remaining).allowedTokens
            if allowed.contains(eog) { return (out, true) }
            guard let t = allowed.max(by: { (builder.vocabulary[$0].count, -$0) < (builder.vocabulary[$1].count, -$1) }) else { return (out, false) }
            guard builder.accept(token: t, into: &m) else { return (out, false) }
            out += builder.vocabulary[t]
            remaining -= 1
        }
        return (out, m.isComplete)
    }

    @Test("random and greedy walks under the mask yield documents that jsonschema accepts")
    func walksValidate() throws {
        let (vocab, eog) = testVocabulary()
        let builder = TokenMaskBuilder(vocabulary: vocab, eogTokens: [eog])
        var rng = GrammarRNG(seed: 0xC0FF_EE)
        var all = try Self.corpus()
        for (name, text) in Self.keywordSchemas { all.append((name, try #require(TestJSONParser.parse(text)))) }
        all.append(("benchmark's large schema", GrammarBenchmark.largeSchema))
        all += Self.ifChains
        var cases: [String] = []
        for (name, schema) in all {
            guard let g = try? JSONSchemaGrammar(schema: schema) else { continue }  // reported by `compiles`
            for walk in 0..<14 {
                let (bytes, ok): ([UInt8], Bool)
                switch walk {
                case 0: (bytes, ok) = Self.greedyWalk(g, builder, eog: eog, budget: 400)
                case 1...7: (bytes, ok) = GrammarPropertyTests.tokenWalk(g, builder, eog: eog, rng: &rng)
                default: (bytes, ok) = GrammarPropertyTests.byteWalk(g, rng: &rng)
                }
                let text = String(decoding: bytes, as: UTF8.self)
                #expect(ok, "\(name) walk \(walk) did not complete: \(text)")
                guard ok else { continue }
                #expect(TestJSONParser.parse(bytes) != nil, "\(name): output does not parse: \(text)")
                cases.append(testJSONText(["schema": schema, "document": .string(text)]))
            }
        }
        print("corpus walks: \(cases.count) documents from \(all.count) schemas")
        try GrammarPropertyTests().crossCheckWithPython(cases)
    }

    @Test("large schemas are described to the model within the budget; small ones whole")
    func promptSummary() throws {
        let small: JSONValue = ["type": "object", "properties": ["a": ["type": "integer"]]]
        let whole = JSONSchemaPromptSummary(schema: small, limit: 3000)
        #expect(whole.form == .whole && whole.text == small.serialized())
        for (name, schema) in try Self.corpus() + [("large", GrammarBenchmark.largeSchema)] {
            for limit in [3000, 1200, 400] {
                let summary = JSONSchemaPromptSummary(schema: schema, limit: limit)
                #expect(summary.text.count <= limit, "\(name) at \(limit): \(summary.text.count) characters")
                #expect(!summary.text.isEmpty)
                if summary.form != .outline { #expect(TestJSONParser.parse(summary.text) != nil, "\(name): the stripped schema must stay JSON") }
            }
        }
        let outline = JSONSchemaPromptSummary(schema: GrammarBenchmark.largeSchema, limit: 1500)
        #expect(outline.form == .outline)
        #expect(outline.text.contains("\"jobs\" (object, required)"), "\(outline.text)")
        let workflow = try #require(try Self.corpus().first { $0.name == "github-workflow" }?.schema)
        let stripped = JSONSchemaPromptSummary(schema: workflow, limit: workflow.serialized().count - 1)
        #expect(stripped.form == .withoutAnnotations && !stripped.text.contains("markdownDescription"))
    }
}
