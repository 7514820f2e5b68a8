import RefineryInference
import RefineryCore
import Foundation
import Refinery
import Testing

@Suite("Tool-call formats")
struct ToolFormatTests {
    static let book = AnyTool(BookingTool()).definition
    static let calc = AnyTool(CalculatorTool()).definition

    @Test("Hermes/Qwen: tagged calls, text around them, an unclosed last call, a malformed one")
    func hermes() throws {
        let format = HermesToolCallFormat()
        let output = """
            Let me check.
            <tool_call>
            {"name": "calculator", "arguments": {"expression": "1+1"}}
            </tool_call>
            <tool_call>
            {"name": "book", "arguments": {"city": "Oslo", "nights": 2, "room": "single"}}
            """
        let parsed = format.parse(output)
        #expect(parsed.content == "Let me check.")
        #expect(parsed.calls == [
            ToolCall(id: "call_0", name: "calculator", arguments: ["expression": "1+1"]),
            ToolCall(id: "call_1", name: "book", arguments: ["city": "Oslo", "nights": 2, "room": "single"]),
        ])
        #expect(parsed.malformed.isEmpty)

        let broken = format.parse("<tool_call>\n{\"name\": \"calculator\", \"arguments\": {\"expression\": }\n</tool_call>")
        #expect(broken.calls.isEmpty && broken.malformed.count == 1)
        let trailing = format.parse("<tool_call>{\"name\": \"calculator\", \"arguments\": {}} and more</tool_call>")
        #expect(trailing.calls.isEmpty && trailing.malformed == ["{\"name\": \"calculator\", \"arguments\": {}} and more"])
        #expect(format.parse("no calls here").calls.isEmpty)

        let calls = parsed.calls
        #expect(format.parse(format.render(calls)).calls == calls)
        #expect(format.render([calls[0]]) == "<tool_call>\n{\"name\": \"calculator\", \"arguments\": {\"expression\": \"1+1\"}}\n</tool_call>")
    }

    @Test("Llama 3: JSON calls with parameters, several separated by ';', after <|python_tag|>")
    func llama3() {
        let format = Llama3ToolCallFormat()
        let parsed = format.parse(#"<|python_tag|>{"name": "calculator", "parameters": {"expression": "2*3"}}; {"name": "book", "parameters": {"city": "Rome", "nights": 1, "room": "double"}}"#)
        #expect(parsed.calls.map(\.name) == ["calculator", "book"])
        #expect(parsed.calls[0].arguments == ["expression": "2*3"])
        #expect(format.parse("The answer is 6.").calls.isEmpty)
        #expect(format.parse("The answer is 6.").content == "The answer is 6.")
        let broken = format.parse(#"{"name": "calculator", "parameters": {"expression": "2*3"}"#)
        #expect(broken.calls.isEmpty && broken.malformed.count == 1)
        let notACall = format.parse(#"{"answer": 6}"#)
        #expect(notACall.calls.isEmpty && notACall.malformed == [#"{"answer": 6}"#])
        let call = ToolCall(id: "call_0", name: "calculator", arguments: ["expression": "2*3"])
        #expect(format.parse(format.render([call, call])).calls.count == 2)
    }

    @Test("Mistral: [TOOL_CALLS] with a JSON list, or name[ARGS]{…} per call")
    func mistral() {
        let format = MistralToolCallFormat()
        let list = format.parse(#"[TOOL_CALLS] [{"name": "calculator", "arguments": {"expression": "9/3"}}, {"name": "book", "arguments": {"city": "Oslo", "nights": 1, "room": "single"}}]"#)
        #expect(list.calls.map(\.name) == ["calculator", "book"])
        let args = format.parse(#"[TOOL_CALLS]calculator[ARGS]{"expression": "9/3"}[TOOL_CALLS]book[ARGS]{"city": "Oslo", "nights": 1, "room": "single"}"#)
        #expect(args.calls.map(\.name) == ["calculator", "book"])
        #expect(args.calls[0].arguments == ["expression": "9/3"])
        let broken = format.parse(#"[TOOL_CALLS] [{"name": "calculator", "arguments": {"expression": "9/3"}"#)
        #expect(broken.calls.isEmpty && broken.malformed.count == 1)
        #expect(format.parse("plain answer").content == "plain answer")
        let call = ToolCall(id: "call_0", name: "calculator", arguments: ["expression": "9/3"])
        #expect(format.parse(format.render([call])).calls == [call])
    }

    @Test("the prompted format describes the tools and parses its tags")
    func prompted() {
        let format = PromptedToolCallFormat()
        let prompt = format.systemPrompt(for: [Self.calc, Self.book])
        #expect(prompt.contains("- calculator: Evaluates an arithmetic expression"))
        #expect(prompt.contains(#""nights": {"type": "integer", "description": "Nights", "minimum": 1, "maximum": 30}"#))
        let call = ToolCall(id: "call_0", name: "book", arguments: ["city": "Oslo", "nights": 2, "room": "double"])
        #expect(format.parse("Sure. " + format.render([call])).calls == [call])
        #expect(format.parse("Sure. " + format.render([call])).content == "Sure.")
    }

    @Test("the format is detected from the chat template's source", arguments: [
        ("qwen2.5-coder-0.5b-instruct.jinja", "hermes"), ("hermes-tool-use-vllm.jinja", "hermes"), ("qwen3-style.jinja", "hermes"),
        ("llama3.1.jinja", "llama3"), ("llama3.2.jinja", "llama3"), ("mistral-v0.3.jinja", "mistral"),
        ("smollm2-135m-instruct.jinja", "prompted"), ("phi-3.5-mini.jinja", "prompted"),
    ])
    func detection(file: String, expected: String) throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("RefineryInferenceTests/Fixtures/templates/\(file)")
        let source = try String(contentsOf: url, encoding: .utf8)
        #expect(ToolCallFormats.detect(templateSource: source).name == expected)
    }

    @Test("the call schema compiles into a grammar that accepts exactly the set's calls")
    func callSchemaGrammar() throws {
        let tools = [Self.calc, Self.book]
        let grammar = try JSONSchemaGrammar(schema: ToolCallSchema.call(for: tools))
        let matcher = grammar.makeMatcher()
        #expect(matcher.matches(#"{"name": "calculator", "arguments": {"expression": "1+1"}}"#))
        #expect(matcher.matches(#"{"name": "book", "arguments": {"city": "Oslo", "nights": 2, "room": "single"}}"#))
        #expect(!matcher.matches(#"{"name": "weather", "arguments": {"city": "Oslo"}}"#))
        #expect(!matcher.matches(#"{"name": "book", "arguments": {"city": "Oslo", "nights": 0, "room": "single"}}"#))
        #expect(!matcher.matches(#"{"name": "book", "arguments": {"expression": "1+1"}}"#))
        #expect(!matcher.matches(#"{"name": "calculator", "arguments": {"expression": "1+1"}, "extra": 1}"#))

        // Every format's rendered call is accepted by its own schema once the opening is consumed.
        let call = ToolCall(id: "call_0", name: "book", arguments: ["city": "Oslo", "nights": 2, "room": "single"])
        for format in [HermesToolCallFormat(), MistralToolCallFormat(), PromptedToolCallFormat()] as [any ToolCallFormat] {
            let rendered = format.render([call])
            let inner = rendered.dropFirst(format.callOpening.count).dropLast(format.callClosing.count)
            let m = try JSONSchemaGrammar(schema: format.callSchema(for: tools)).makeMatcher()
            #expect(m.matches(String(inner)), "\(format.name): \(inner)")
        }
        let llama = try JSONSchemaGrammar(schema: Llama3ToolCallFormat().callSchema(for: tools)).makeMatcher()
        #expect(llama.matches(Llama3ToolCallFormat().render([call])))

        // The schema also validates (key order free) with the validator.
        let validator = JSONSchemaValidator(schema: ToolCallSchema.call(for: tools))
        #expect(validator.isValid(try JSONValue(parsing: #"{"arguments": {"expression": "1"}, "name": "calculator"}"#)))
        #expect(!validator.isValid(try JSONValue(parsing: #"{"arguments": {"expression": "1"}, "name": "book"}"#)))
        #expect(ToolCallSchema.call(for: []) == false)
    }

    @Test("lenient parsing finds calls in fences, bare JSON, other families' tags and OpenAI's shape")
    func lenient() {
        let names: Set<String> = ["calculator", "book"]
        let hermes = HermesToolCallFormat()
        let fenced = ToolCallFormats.parseLeniently(
            "I'll compute it.\n```json\n{\"name\": \"calculator\", \"arguments\": {\"expression\": \"3*3\"}}\n```", format: hermes, toolNames: names)
        #expect(fenced.calls == [ToolCall(id: "call_0", name: "calculator", arguments: ["expression": "3*3"])])
        #expect(fenced.content == "I'll compute it.")
        let bare = ToolCallFormats.parseLeniently(
            #"Calling {"name": "calculator", "parameters": {"expression": "1"}} then {"name": "book", "arguments": {"city": "A", "nights": 1, "room": "single"}}"#,
            format: hermes, toolNames: names)
        #expect(bare.calls.map(\.name) == ["calculator", "book"])
        #expect(bare.calls.map(\.id) == ["call_0", "call_1"])
        let openAI = ToolCallFormats.parseLeniently(
            #"[{"type": "function", "function": {"name": "calculator", "arguments": "{\"expression\": \"5\"}"}}]"#, format: hermes, toolNames: names)
        #expect(openAI.calls == [ToolCall(id: "call_0", name: "calculator", arguments: ["expression": "5"])])
        let mistralTags = ToolCallFormats.parseLeniently(
            #"[TOOL_CALLS][{"name": "calculator", "arguments": {"expression": "5"}}]"#, format: Llama3ToolCallFormat(), toolNames: names)
        #expect(mistralTags.calls.map(\.name) == ["calculator"])
        let unknown = ToolCallFormats.parseLeniently(#"{"name": "weather", "arguments": {}}"#, format: hermes, toolNames: names)
        #expect(unknown.calls.isEmpty)
        let data = ToolCallFormats.parseLeniently(#"The result is {"total": 3}."#, format: hermes, toolNames: names)
        #expect(data.calls.isEmpty && data.content == #"The result is {"total": 3}."#)
        // Qwen2.5-Coder-0.5B, asked for two calls: the first tagged, the second bare before a closing tag.
        let tagThenBare = ToolCallFormats.parseLeniently(
            "<tool_call>\n {\"name\": \"calculator\", \"arguments\": {\"expression\": \"1\"}}\n </tool_call>\n  "
                + "{\"name\": \"calculator\", \"arguments\": {\"expression\": \"2\"}}\n</tool_call>",
            format: hermes, toolNames: names)
        #expect(tagThenBare.calls.map(\.arguments) == [["expression": "1"], ["expression": "2"]])
        #expect(Set(tagThenBare.calls.map(\.id)).count == 2)
        #expect(tagThenBare.content.isEmpty)
    }
}

@Suite("Tool prompting for templates without tools")
struct ToolPromptingTests {
    @Test("instructions join the system prompt; calls become text, results user turns")
    func plainMessages() {
        let tools = [AnyTool(CalculatorTool()).definition]
        let call = ToolCall(id: "c1", name: "calculator", arguments: ["expression": "1+1"])
        let messages: [ChatMessage] = [
            .system("Be brief."), .user("1+1 and 2+2?"), .assistant("", toolCalls: [call, call]),
            .tool("2", callID: "c1", name: "calculator"), .tool("4", callID: "c2", name: "calculator"),
        ]
        let plain = ToolPrompting.plainMessages(messages, tools: tools, format: PromptedToolCallFormat())
        #expect(plain.map(\.role) == [.system, .user, .assistant, .user])
        #expect(plain[0].content.hasPrefix("Be brief.\n\nYou can call these tools."))
        #expect(plain[2].content == PromptedToolCallFormat().render([call, call]))
        #expect(plain[2].toolCalls.isEmpty)
        #expect(plain[3].content == "<tool_response>\ncalculator: 2\n</tool_response>\n<tool_response>\ncalculator: 4\n</tool_response>")
        let noSystem = ToolPrompting.plainMessages([.user("hi")], tools: tools, format: HermesToolCallFormat())
        #expect(noSystem.map(\.role) == [.system, .user])
        #expect(noSystem[0].content.hasPrefix("# Tools"))
    }
}

@Suite("Tool-call constraints")
struct ToolCallConstraintTests {
    @Test("the constraint follows the tool choice")
    func choice() throws {
        let tools: [any Tool] = [CalculatorTool(), BookingTool()]
        #expect(ToolCallConstraint(tools: try ToolSet(tools, choice: .none), format: HermesToolCallFormat()) == nil)
        let auto = try #require(ToolCallConstraint(tools: try ToolSet(tools), format: HermesToolCallFormat()))
        #expect(!auto.mustCall && auto.opening == "<tool_call>\n" && auto.closing == "\n</tool_call>")
        #expect(auto.schema["anyOf"]?.arrayValue?.count == 2)
        let named = try #require(ToolCallConstraint(tools: try ToolSet(tools, choice: .named("book")), format: MistralToolCallFormat()))
        #expect(named.mustCall)
        let m = try JSONSchemaGrammar(schema: named.schema).makeMatcher()
        #expect(m.matches(#"[{"name": "book", "arguments": {"city": "Oslo", "nights": 1, "room": "single"}}]"#))
        #expect(!m.matches(#"[{"name": "calculator", "arguments": {"expression": "1"}}]"#))
    }
}
