import RefineryCore
import Testing
import RefineryInference

@Suite("ChatTemplate API")
struct TemplateAPITests {
    /// The fixture case `name`, with its context split back into the convenience arguments.
    static func fixture(_ name: String) throws -> TemplateFixtures.Case {
        guard let c = try TemplateFixtures.cases("cases.json").first(where: { $0.name == name }) else {
            throw TemplateFixtures.FixtureError(message: "no fixture \(name)")
        }
        return c
    }

    @Test("render(messages:tools:addGenerationPrompt:bosToken:eosToken:) equals the reference for Qwen2.5 with tool calls")
    func convenienceMatchesReference() throws {
        for name in ["qwen2.5-coder-0.5b-instruct/tool_call_and_result/gen", "qwen2.5-coder-0.5b-instruct/tools/nogen",
                     "llama3.1/tool_call_and_result/gen", "mistral-v0.3/tool_call_and_result/nogen",
                     "smollm2-135m-instruct/multi_turn/gen"] {
            let c = try Self.fixture(name)
            let template = try ChatTemplate(source: c.source)
            let rendered = try template.render(
                messages: c.context["messages"]?.arrayValue ?? [],
                tools: c.context["tools"]?.arrayValue,
                addGenerationPrompt: c.context["add_generation_prompt"] == .bool(true),
                bosToken: c.context["bos_token"]?.stringValue,
                eosToken: c.context["eos_token"]?.stringValue,
                clock: TemplateFixtures.clock)
            #expect(rendered == c.expected, "\(name)")
        }
    }

    @Test("a [String: JSONValue] context renders like a JSON object context")
    func dictionaryContext() throws {
        let template = try ChatTemplate(source: "{{ a }}-{{ b|tojson }}")
        let object: JSONValue = ["a": 1, "b": ["z": true, "y": nil]]
        #expect(try template.render(context: object) == #"1-{"z": true, "y": null}"#)
        #expect(try template.render(context: ["a": 1, "b": ["z": true, "y": nil]]) == #"1-{"z": true, "y": null}"#)
        #expect(throws: TemplateError.self) { try template.render(context: JSONValue.array([])) }
    }

    @Test("a JSON object with a repeated key acts as a Python dict: first position, last value")
    func duplicateKeys() throws {
        let template = try ChatTemplate(source: "{{ d|tojson }}")
        let small: JSONValue = .object([("a", 1), ("b", 2), ("a", 3)])
        #expect(try template.render(context: ["d": small]) == #"{"a": 3, "b": 2}"#)
        var pairs: [(key: String, value: JSONValue)] = (0..<10).map { ("k\($0)", .int(Int64($0))) }
        pairs.append(("k0", "last"))
        let large = try template.render(context: ["d": .object(pairs)])
        #expect(large.hasPrefix(#"{"k0": "last", "k1": 1"#) && large.hasSuffix(#""k9": 9}"#))
    }

    @Test("tools default to none and extra variables override")
    func defaults() throws {
        let template = try ChatTemplate(source: "{{ tools is none }}|{{ tools is defined }}|{{ documents is none }}|{{ add_generation_prompt }}|{{ custom }}|{{ bos_token is defined }}")
        #expect(try template.render(messages: []) == "True|True|True|False||False")
        #expect(try template.render(messages: [], tools: [], addGenerationPrompt: true, bosToken: "<s>",
                                    extraVariables: ["custom": "x", "tools": 5]) == "False|True|True|True|x|True")
    }

    @Test("strftime_now formats the given clock (local offset applied)")
    func strftimeNow() throws {
        let template = try ChatTemplate(source: #"{{ strftime_now("%d %b %Y %H:%M") }}"#)
        let clock = TemplateClock(secondsSinceEpoch: 1_772_874_302, utcOffsetSeconds: 2 * 3600)
        #expect(try template.render(context: [:], clock: clock) == "07 Mar 2026 11:05")
        // The default clock is "now": four-digit year at least.
        #expect(try ChatTemplate(source: #"{{ strftime_now("%Y") }}"#).render(context: [:]).count == 4)
    }

    @Test("a template is parsed once and rendered concurrently")
    func sendable() async throws {
        let template = try ChatTemplate(source: "{% for m in messages %}{{ m.content }}{% endfor %}")
        try await withThrowingTaskGroup(of: String.self) { group in
            for i in 0..<8 {
                group.addTask { try template.render(messages: [["role": "user", "content": .string("m\(i)")]]) }
            }
            var outputs: Set<String> = []
            for try await output in group { outputs.insert(output) }
            #expect(outputs == Set((0..<8).map { "m\($0)" }))
        }
    }
}
