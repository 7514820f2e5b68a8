import RefineryCore
import RefineryInference
import Testing

@Suite("Grammar builder")
struct GrammarBuilderTests {
    @Test("hand-written recursive rules: balanced brackets, any depth, no expansion up front")
    func balanced() throws {
        var b = GrammarBuilder()
        let s = b.declare("S")
        // S ::= '(' S ')' S | ε
        b.define(s, [GrammarBuilder.literal("(") + [.rule(s)] + GrammarBuilder.literal(")") + [.rule(s)], []])
        let g = try b.build(start: s)
        let m = GrammarMatcher(grammar: g)
        #expect(m.matches("") && m.matches("()(())") && m.matches(String(repeating: "(", count: 500) + String(repeating: ")", count: 500)))
        #expect(!m.matches("(()") && !m.matches(")("))
        var open = m
        let advanced = open.accept(bytes: Array("(((".utf8))
        #expect(advanced && open.minimumBytesToComplete == 3)
    }

    @Test("left recursion and endless rules are refused when building")
    func failures() throws {
        var b = GrammarBuilder()
        let a = b.declare("A")
        b.define(a, [[.rule(a)] + GrammarBuilder.literal("x"), GrammarBuilder.literal("y")])
        #expect(throws: GrammarBuilder.Failure.leftRecursive(rule: "A")) { try b.build(start: a) }
        var c = GrammarBuilder()
        let e = c.declare("E")
        c.define(e, [GrammarBuilder.literal("x") + [.rule(e)]])
        #expect(throws: GrammarBuilder.Failure.unproductive(rule: "E")) { try c.build(start: e) }
        var d = GrammarBuilder()
        let u = d.declare("U")
        #expect(throws: GrammarBuilder.Failure.undefined(rule: "U")) { try d.build(start: u) }
    }

    @Test("a schema embedded in a larger grammar: one or more tagged tool calls")
    func toolCalls() throws {
        let weather: JSONValue = ["type": "object",
                                  "properties": ["name": ["const": "get_weather"],
                                                 "arguments": ["type": "object", "properties": ["city": ["type": "string"]], "required": ["city"]]],
                                  "required": ["name", "arguments"]]
        let time: JSONValue = ["type": "object",
                               "properties": ["name": ["const": "get_time"], "arguments": ["type": "object", "additionalProperties": false]],
                               "required": ["name", "arguments"]]
        var b = GrammarBuilder()
        let call = try b.addJSONSchema(["anyOf": [weather, time]])
        let tagged = GrammarBuilder.literal("<tool_call>\n") + [.rule(call)] + GrammarBuilder.literal("\n</tool_call>")
        let more = b.star("calls", GrammarBuilder.literal("\n") + tagged)
        let start = b.add("start", [tagged + [.rule(more)]])
        let g = try b.buildReportingSchemaErrors(start: start)
        let m = GrammarMatcher(grammar: g)
        let one = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>"
        let two = one + "\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>"
        #expect(m.matches(one) && m.matches(two))
        #expect(!m.matches("<tool_call>\n{\"name\": \"get_news\", \"arguments\": {}}\n</tool_call>"))
        #expect(!m.matches("<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"x\": 1}}\n</tool_call>"))
        var bad = GrammarBuilder()
        #expect(throws: GrammarError.self) { _ = try bad.addJSONSchema(["type": "string", "pattern": "(?<=a)b"]) }
    }
}

@Suite("Grammar cache and pathological rules")
struct GrammarCacheTests {
    @Test("a repeated schema compiles once and keeps its grammar's identity")
    func cache() throws {
        let cache = GrammarCache(capacity: 2)
        let a = try cache.grammar(for: ["type": "integer"])
        let b = try cache.grammar(for: ["type": "integer"])
        #expect(a.grammar === b.grammar)
        _ = try cache.grammar(for: ["type": "string"])
        _ = try cache.grammar(for: ["type": "boolean"])
        #expect(cache.count == 2)
        #expect(try cache.grammar(for: ["type": "integer"]).grammar !== a.grammar)  // evicted, recompiled
        #expect(throws: GrammarError.self) { try cache.grammar(for: ["not": true]) }
    }

    @Test("many empty paths to the same stack stay cheap")
    func nullableRepetition() throws {
        let g = try JSONSchemaGrammar(schema: ["type": "string", "pattern": "(a?|b?){0,40}c"])
        let clock = ContinuousClock()
        var ok = false
        let elapsed = clock.measure { ok = g.makeMatcher().matches("\"" + String(repeating: "ab", count: 20) + "c\"") }
        #expect(ok)
        #expect(elapsed < .seconds(5))
        #expect(!g.makeMatcher().matches("\"" + String(repeating: "a", count: 41) + "c\""))
    }
}

@Suite("Large enums")
struct GrammarEnumTests {
    @Test("an enum of 3000 strings with shared prefixes (compiled as a prefix tree) is matched exactly")
    func bigEnum() throws {
        var rng = GrammarRNG(seed: 3)
        var words = Set<String>()
        let stems = ["get_", "get_user_", "set_", "list_", "delete_item_"]
        while words.count < 3000 {
            let stem = stems[Int.random(in: 0..<stems.count, using: &rng)]
            words.insert(stem + String((0..<Int.random(in: 0...6, using: &rng)).map { _ in "abcxyz_"[Int.random(in: 0..<7, using: &rng)] }))
        }
        let list = Array(words)
        let g = try JSONSchemaGrammar.oneOf(strings: list)
        for w in list.prefix(300) { #expect(g.makeMatcher().matches("\"\(w)\"")) }
        #expect(!g.makeMatcher().matches("\"get\"") && !g.makeMatcher().matches("\"zzz\""))
        var m = g.makeMatcher()
        let advanced = m.accept(bytes: Array("\"get_user_".utf8))
        #expect(advanced)
        let (vocab, eog) = testVocabulary()
        let builder = TokenMaskBuilder(vocabulary: vocab, eogTokens: [eog])
        let mask = builder.mask(for: m)
        for (id, bytes) in vocab.enumerated() where id != eog && !bytes.isEmpty {
            var copy = m
            #expect(mask.isAllowed(id) == copy.accept(bytes: bytes))
        }
    }
}

extension String {
    fileprivate subscript(_ i: Int) -> Character { self[index(startIndex, offsetBy: i)] }
}
