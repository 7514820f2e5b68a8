import RefineryCore
import Foundation
import Refinery
import RefineryAgents
import RefineryTesting
import Testing

/// The ready agents' logic on the scripted model: what code checks, and how the checks steer
/// the refinement.
@Suite("ready agents' logic", .timeLimit(.minutes(1)))
struct ReadyAgentLogicTests {
    /// Costs that let the planner fit every step it wants in a few seconds of manual clock.
    static func fastCosts(_ name: String = "m") -> CostBook {
        CostBook([CostModel(model: name, prefillTokensPerSecond: 1e9, decodeTokensPerSecond: 1000, observations: 1)])
    }

    /// The user turn the model received (the last message's text).
    static func lastMessage(_ request: GenerationRequest) -> String {
        guard case .messages(let messages) = request.prompt else { return "" }
        return messages.last?.content ?? ""
    }

    @Test("the registry lists every ready agent once, each with a summary")
    func registry() {
        #expect(ReadyAgents.all.map(\.name) == ["writer", "math", "extractor", "summarizer", "coder", "assistant"])
        #expect(ReadyAgents.all.allSatisfy { !$0.summary.isEmpty && !$0.summary.contains("\n") })
        #expect(ReadyAgents.named("coder")?.name == "coder")
        #expect(ReadyAgents.named("nope") == nil)
    }

    @Test("math: the calculator checks the stated result")
    func mathCheck() async {
        let far = Deadline.after(.seconds(10))
        #expect(await MathSolver.check("Expression: 12 * (3 + 4)\nAnswer: 84", deadline: far) == .pass)
        // Markdown, thousands separators and currency signs are read as the model meant them.
        #expect(await MathSolver.check("**Expression:** 1,000 / 8\n**Answer:** $125.", deadline: far) == .pass)
        #expect(
            await MathSolver.check("Expression: 391\nAnswer: 391", deadline: far).failures.first?.hasPrefix(
                "the expression 391 computes nothing") == true)
        let wrong = await MathSolver.check("Expression: 12 * (3 + 4)\nAnswer: 80 apples", deadline: far)
        #expect(wrong.failures == ["the expression 12 * (3 + 4) evaluates to 84, but the answer says 80"])
        #expect(
            await MathSolver.check("Answer: 3", deadline: far).failures == ["no line starting with \"Expression:\""])
        #expect(
            await MathSolver.check("Expression: 2 +\nAnswer: 2", deadline: far).failures.first?.hasPrefix(
                "the calculator could not evaluate") == true)
    }

    @Test("math: the answer states the calculator's value of the model's expression, not the model's arithmetic")
    func mathStatesCalculatorValue() async {
        let clock = ManualClock()
        let model = ScriptedModel(name: "m", clock: clock) { _, _ in
            .init("12 boxes of 7 balls.\nExpression: 12 * (3 + 4)\nAnswer: 82")
        }
        let agent = MathSolver.agent(model: model, costs: Self.fastCosts(), clock: clock)
        let result = await agent.run(
            "12 boxes of 3 red and 4 blue balls: how many balls?", deadline: .after(.seconds(3), on: clock))
        #expect(result.answer == "12 boxes of 7 balls.\nExpression: 12 * (3 + 4)\nAnswer: 84")
        #expect(result.outcome == .complete)
        #expect(result.stopReason == .verified)
        #expect(MathSolver.stateResult(of: "no expression here") == "no expression here")
    }

    @Test("math: an answer without an expression is refined with the calculator's verdict")
    func mathRefines() async {
        let clock = ManualClock()
        let model = ScriptedModel(name: "m", clock: clock) { request, _ in
            Self.lastMessage(request).contains("Expression:")
                ? .init("Expression: 12 * (3 + 4)") : .init("The answer is 84.")
        }
        let agent = MathSolver.agent(model: model, costs: Self.fastCosts(), clock: clock)
        let result = await agent.run(
            "12 boxes of 3 red and 4 blue balls: how many balls?", deadline: .after(.seconds(3), on: clock))
        #expect(result.answer == "Expression: 12 * (3 + 4)\nAnswer: 84")
        #expect(result.outcome == .complete)
        #expect(result.steps.contains { $0.kind == .refine })
    }

    @Test("extractor: JSON, schema and grounding in the text are checked by code")
    func extractorCheck() {
        let text = "Ada Lovelace met Charles Babbage in London on 5 June 1833; the engine cost £17,000."
        let good = """
            ```json
            {"people": ["Ada Lovelace", "Charles Babbage"], "organizations": [], "places": ["London"], "dates": ["5 June 1833"], "amounts": ["£17,000"]}
            ```
            """
        #expect(Extractor.check(good, source: text).passed)
        #expect(Extractor.record(from: good)?.people == ["Ada Lovelace", "Charles Babbage"])
        let invented = #"{"people": ["Alan Turing"], "organizations": [], "places": [], "dates": [], "amounts": []}"#
        #expect(
            Extractor.check(invented, source: text).failures == [
                "\"Alan Turing\" in people does not appear in the text",
                "the text states the amount \"£17,000\", but amounts leaves it out",
                "the text names \"Ada Lovelace\", which no field holds",
                "the text names \"Charles Babbage\", which no field holds",
                "the text names \"London\", which no field holds",
            ])
        #expect(Extractor.check(#"{"people": "Ada"}"#, source: text).passed == false)
        #expect(Extractor.check("Ada and Charles", source: text).failures == ["the reply is not one valid JSON object"])
        #expect(Extractor.record(from: "not json") == nil)
    }

    @Test("extractor: an invalid reply is refined into valid JSON")
    func extractorRefines() async throws {
        let clock = ManualClock()
        let valid =
            #"{"people": ["Grace Hopper"], "organizations": ["Navy"], "places": [], "dates": ["1944"], "amounts": []}"#
        let model = ScriptedModel(name: "m", clock: clock) { request, index in
            index == 0 ? .init("Grace Hopper joined the Navy in 1944.") : .init(valid)
        }
        let text = "Grace Hopper joined the Navy in 1944."
        let result = await Extractor.agent(for: text, model: model, costs: Self.fastCosts(), clock: clock)
            .run(text, deadline: .after(.seconds(3), on: clock))
        #expect(try JSONValue(parsing: result.answer) == JSONValue(parsing: valid))
        #expect(result.outcome == .complete)
        #expect(Extractor.record(from: result.answer)?.organizations == ["Navy"])
        // Every request decodes under the record's schema.
        #expect(model.requests.allSatisfy { $0.constraint == .jsonSchema(Extractor.schema) })
    }

    @Test("extractor: a record that leaves out a name the text states is refined, and never complete as it is")
    func extractorRefinesMissingNames() async throws {
        let text = "On 2 May, Ana Costa of Lisbon sold 300 shares of Galp to Banco BPI for €4,500."
        let partial =
            #"{"people": ["Ana Costa"], "organizations": [], "places": ["BPI"], "dates": ["2 May"], "amounts": ["€4,500"]}"#
        let full =
            #"{"people": ["Ana Costa"], "organizations": ["Galp", "Banco BPI"], "places": ["Lisbon"], "dates": ["2 May"], "amounts": ["€4,500"]}"#
        let clock = ManualClock()
        let model = ScriptedModel(name: "m", clock: clock) { request, _ in
            Self.lastMessage(request).contains(#"the text names "Galp", which no field holds"#) ? .init(full) : .init(partial)
        }
        let result = await Extractor.agent(for: text, model: model, costs: Self.fastCosts(), clock: clock)
            .run(text, deadline: .after(.seconds(3), on: clock))
        #expect(try JSONValue(parsing: result.answer) == JSONValue(parsing: full))
        #expect(result.outcome == .complete)
        // A model that never adds them: the answer is not called complete.
        let stuckClock = ManualClock()
        let stuckModel = ScriptedModel(name: "m", clock: stuckClock) { _, _ in .init(partial) }
        let stuck = await Extractor.agent(for: text, model: stuckModel, costs: Self.fastCosts(), clock: stuckClock)
            .run(text, deadline: .after(.seconds(3), on: stuckClock))
        #expect(stuck.outcome != .complete)
    }

    @Test("extractor: values absent from the text are taken out, so nothing invented survives")
    func extractorGrounds() throws {
        let text = "Grace Hopper joined the Navy in 1944."
        let invented = #"{"people": ["Grace Hopper", "Alan Turing", "grace hopper"], "organizations": ["Navy"], "places": ["London"], "dates": ["1944"], "amounts": ["$0"]}"#
        let grounded = try JSONValue(parsing: Extractor.grounded(invented, source: text))
        #expect(grounded == [
            "people": ["Grace Hopper"], "organizations": ["Navy"], "places": [], "dates": ["1944"], "amounts": [],
        ])
        #expect(Extractor.grounded("not json", source: text) == "not json")
    }

    @Test("summarizer: the word limit and key terms come from the text")
    func summarizerTerms() {
        let text = String(
            repeating:
                "The harbor opened in spring. Fishing boats crowd the harbor while tourists visit the lighthouse and the harbor market. ",
            count: 3)
        #expect(Summarizer.keyTerms(of: text, count: 3) == ["harbor", "opened", "spring"])
        #expect(Summarizer.wordLimit(for: text) == 19)
        #expect(Summarizer.wordLimit(for: "short") == 10)
    }

    @Test("summarizer: a summary missing key terms is refined until they appear")
    func summarizerRefines() async {
        let clock = ManualClock()
        let text = String(
            repeating:
                "The harbor opened in spring. Fishing boats crowd the harbor while tourists visit the lighthouse and the harbor market. ",
            count: 3)
        let model = ScriptedModel(name: "m", clock: clock) { request, _ in
            Self.lastMessage(request).contains("does not contain")
                ? .init("The harbor opened in spring.") : .init("Boats and tourists.")
        }
        let result = await Summarizer.agent(for: text, model: model, costs: Self.fastCosts(), clock: clock)
            .run(text, deadline: .after(.seconds(3), on: clock))
        #expect(result.answer == "The harbor opened in spring.")
        #expect(result.outcome == .complete)
    }

    static let prompt = """
        def add(a, b):
            \"\"\"Return the sum of a and b.
            >>> add(2, 3)
            5
            >>> add(-1, 1)
            0
            \"\"\"
        """

    @Test("coder: docstring examples become doctest source")
    func coderExamples() {
        #expect(Coder.examples(in: Self.prompt) == ">>> add(2, 3)\n5\n>>> add(-1, 1)\n0")
        #expect(
            Coder.code(in: "Here:\n```python\ndef f():\n    return 1\n```\nDone.", prompt: "")
                == "def f():\n    return 1\n")
        #expect(Coder.code(in: "    return a + b", prompt: Self.prompt).hasPrefix("def add(a, b):"))
        #expect(
            Coder.code(in: "def f():\n    return 1\n```\nIt returns one.", prompt: "") == "def f():\n    return 1\n")
    }

    @Test("coder: examples stated as f(args) == value (or ➞, =>, ==>, ->) become equality checks; prose and names do not")
    func coderStatedExamples() async {
        let prompt = #"""
            def fly(q, w):
                """Whether q flies.
                Example:
                fly([1, 2], 5) ➞ False
                fly([3, 2, 3], 9) ==> true
                * fly([3], 5) => True  # a comment
                fly((1, 2), 0.5) -> {'a': [1, "x]"]}
                fly(q, 5) == True
                fly(3, 5) -> 19 - 5 - 6 = 8
                fly(3, 4) = 1
                fly("a) ==", 1) == None
                """
            """#
        let stated = Coder.statedExamples(in: prompt, function: "fly")
        #expect(stated == [
            ">>> fly([1, 2], 5) == (False)\nTrue",
            ">>> fly([3, 2, 3], 9) == (True)\nTrue",
            ">>> fly([3], 5) == (True)\nTrue",
            ">>> fly((1, 2), 0.5) == ({'a': [1, \"x]\"]})\nTrue",
            ">>> fly(\"a) ==\", 1) == (None)\nTrue",
        ])
        #expect(Coder.examples(in: prompt) == stated.joined(separator: "\n"))
        // A right function passes every stated example; a wrong one fails some.
        let examples = Coder.statedExamples(in: prompt, function: "fly").prefix(3).joined(separator: "\n")
        let right = await Coder.test(
            "def fly(q, w):\n    return sum(q) <= w and list(q) == list(q)[::-1]\n", examples: examples, sandbox: PythonSandbox())
        #expect(right == VerificationResult(passed: true, failures: [], checks: 3, passedChecks: 3))
        let wrong = await Coder.test("def fly(q, w):\n    return True\n", examples: examples, sandbox: PythonSandbox())
        #expect(wrong.passedChecks == 2 && wrong.failures.count == 1)
    }

    @Test("coder: the sandbox runs the examples against the code")
    func coderTests() async {
        let examples = Coder.examples(in: Self.prompt)
        let right = await Coder.test("def add(a, b):\n    return a + b\n", examples: examples, sandbox: PythonSandbox())
        #expect(right == VerificationResult(passed: true, failures: [], checks: 2, passedChecks: 2))
        let wrong = await Coder.test(
            "def add(a, b):\n    return abs(a) + b\n", examples: examples, sandbox: PythonSandbox())
        #expect(wrong.passed == false)
        #expect(wrong.passedChecks == 1)
        #expect(wrong.failures.count == 1)
        #expect(wrong.failures == ["add(-1, 1): expected 0, got 2"])
        let broken = await Coder.test("def add(a, b) return", examples: examples, sandbox: PythonSandbox())
        #expect(broken.passed == false)
        #expect(broken.failures.first?.hasPrefix("the code did not run") == true)
    }

    @Test("coder: candidates are compared by what they return on the model's test calls")
    func coderBehaviour() async {
        #expect(Coder.functionName(in: "def helper(x):\n    pass\n\ndef add_all(a, b):\n    \"\"\"Adds.\"\"\"\n") == "add_all")
        #expect(Coder.functionName(in: "no function here") == nil)
        let codes = [
            "def add(a, b):\n    return a + b\n",
            "def add(a, b):\n    return b + a\n",
            "def add(a, b):\n    return abs(a) + b\n",
            "def add(a, b) return",
            "def add(a, b):\n    print('noise' * 10000)\n    return a + b + 0.0000000001\n",
            // Last, so its timed-out calls cannot use up the others' share of the time limit.
            "def add(a, b):\n    while True:\n        pass\n",
        ]
        // The model's lines: noise, a print, two asserts (one wrong), a wrong arity, a docstring example.
        let tests =
            "Here are the tests:\nprint(add(2, 3))\nassert add(-1, 1) == 0\nassert add(1, 1) == 3\nadd(1)\n>>> add(-5, 2)\nadd(x for x in 'a')(\n"
        let found = await Coder.behaviour(of: codes, function: "add", tests: tests, sandbox: PythonSandbox())
        #expect(found.count == 6)
        let digests = found.map { $0?.signature }
        #expect(digests[0] != nil && digests[0] == digests[1])
        #expect(digests[2] != nil && digests[2] != digests[0])  // differs on add(-1, 1) and add(-5, 2)
        #expect(digests[3] == nil)  // does not run
        #expect(digests[4] == digests[0])  // floats compared to 6 places; its printing is ignored
        #expect(digests[5] != nil && digests[5] != digests[0])  // every call times out
        // Asserts compare exactly: the float answer fails `add(-1, 1) == 0`; nobody passes `== 3`.
        #expect(found.map { $0?.passedChecks } == [1, 1, 0, nil, 0, 0])
        let none = await Coder.behaviour(of: codes, function: "add", tests: "no calls at all", sandbox: PythonSandbox())
        #expect(none == [BestOfN.Agreement.Behaviour?](repeating: nil, count: 6))
    }

    @Test("coder: failing code is refined on the test failures")
    func coderRefines() async {
        let clock = ManualClock()
        let model = ScriptedModel(name: "m", clock: clock) { request, _ in
            Self.lastMessage(request).contains("add(2, 3): expected 5, got 6")
                ? .init("```python\ndef add(a, b):\n    return a + b\n```")
                : .init("```python\ndef add(a, b):\n    return a * b\n```")
        }
        let result = await Coder.agent(for: Self.prompt, model: model, costs: Self.fastCosts(), clock: clock)
            .run(Self.prompt, deadline: .after(.seconds(5), on: clock))
        #expect(result.answer.contains("return a + b"))
        #expect(result.outcome == .complete)
        #expect(result.steps.contains { $0.kind == .verify && $0.verification?.passed == true })
    }

    @Test("assistant: the model's tool calls run through the built-in tools")
    func assistantUsesTools() async {
        let clock = ManualClock()
        let model = ScriptedModel(name: "m", clock: clock) { request, index in
            if Self.lastMessage(request).hasPrefix("Task:") {  // the critique
                return .init(#"{"score": 9, "issues": [], "acceptable": true}"#)
            }
            if index == 0 {
                return .init(
                    "", toolCalls: [ToolCall(id: "1", name: "calculator", arguments: ["expression": "17 * 23"])])
            }
            guard case .messages(let messages) = request.prompt, let tool = messages.last(where: { $0.role == .tool })
            else {
                return .init("no tool result")
            }
            return .init("17 × 23 = \(tool.content)")
        }
        let result = await Assistant.agent(model: model, costs: Self.fastCosts(), clock: clock).run(
            "What is 17 * 23?", deadline: .after(.seconds(5), on: clock))
        #expect(result.steps.first?.kind == .toolLoop)
        #expect(result.steps.first?.output == "17 × 23 = 391")
        #expect(result.answer == "17 × 23 = 391")
        #expect(result.outcome == .complete)
    }
}
