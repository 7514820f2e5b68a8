import RefineryCore
import Foundation
import Refinery
import RefineryTesting
import Testing

@Suite("Tool execution")
struct ToolInvokerTests {
    @Test("the calls of one turn run concurrently and come back in call order")
    func parallel() async throws {
        // Each call waits until all three have started: run one after another, the first would
        // wait in vain and report it. (A barrier, not a stopwatch, so a busy machine cannot fail it.)
        let barrier = StartBarrier(parties: 3)
        let tools = try ToolSet(["a", "b", "c"].map { AnyTool(BarrierTool(name: $0, barrier: barrier)) })
        let calls = ["c", "a", "b"].enumerated().map { ToolCall(id: "id\($0.offset)", name: $0.element, arguments: ["label": .string($0.element)]) }
        let results = await ToolInvoker(callTimeout: .seconds(60)).execute(calls, in: tools)
        #expect(results.map(\.content) == ["all started c", "all started a", "all started b"])
        #expect(results.map(\.call.id) == ["id0", "id1", "id2"])
        #expect(results.map(\.message.role) == [.tool, .tool, .tool])
        #expect(results[0].message.toolCallID == "id0")
    }

    @Test("a call past its timeout is stopped and reported, without waiting for it")
    func timeout() async throws {
        let slow = SleepTool(name: "slow", delay: .seconds(120))
        let stubborn = SleepTool(name: "stubborn", delay: .seconds(90), ignoresCancellation: true)
        let quick = SleepTool(name: "quick", delay: .milliseconds(10))
        let tools = try ToolSet([slow, stubborn, quick])
        let calls = ["slow", "stubborn", "quick"].map { ToolCall(id: $0, name: $0, arguments: ["label": "x"]) }
        let results = await ToolInvoker(callTimeout: .milliseconds(300)).execute(calls, in: tools)
        #expect(results[0].error?.isTimeout == true)
        #expect(results[1].error?.isTimeout == true)
        // The turn did not wait for the tool that ignores cancellation: it is still running.
        #expect(stubborn.finished.value == 0)
        #expect(results[0].content.hasPrefix("error: tool 'slow' did not finish within 0.3 s"))
        #expect(results[2].content == "done x")
    }

    @Test("the timeout derives from the deadline when that is sooner")
    func deadlineTimeout() async throws {
        let tools = try ToolSet([SleepTool(name: "slow", delay: .seconds(120))])
        let results = await ToolInvoker(callTimeout: .seconds(60))
            .execute([ToolCall(id: "1", name: "slow", arguments: ["label": "x"])], in: tools, deadline: .after(.milliseconds(200)))
        #expect(results[0].error?.isTimeout == true)
        #expect(results[0].content.contains("within 0."), "\(results[0].content)")
    }

    @Test("a throwing tool becomes an error result for the model")
    func throwing() async throws {
        let tools = try ToolSet([ThrowingTool()])
        let results = await ToolInvoker().execute([ToolCall(id: "1", name: "explode", arguments: [:])], in: tools)
        #expect(results[0].content == "error: tool 'explode' failed: disk on fire")
        #expect(!results[0].succeeded)
    }

    @Test("invalid arguments are refused before the tool runs", arguments: [
        (#"{"city": "Oslo", "nights": "two", "room": "single"}"#, "/nights: expected an integer, got a string"),
        (#"{"city": "Oslo", "room": "single"}"#, "missing required property 'nights'"),
        (#"{"city": "Oslo", "nights": 0, "room": "single"}"#, "0 is less than the minimum 1"),
        (#"{"city": "Oslo", "nights": 2, "room": "suite"}"#, #""suite" is not one of "single", "double""#),
        (#"{"city": "Oslo", "nights": 2, "room": "single", "pets": true}"#, "unexpected property 'pets'"),
        (#"{"city": "", "nights": 2, "room": "single"}"#, "expected at least 1 characters"),
        (#"["Oslo", 2]"#, "arguments must be a JSON object, got an array"),
    ])
    func invalidArguments(json: String, expected: String) async throws {
        let book = BookingTool()
        let tools = try ToolSet([book])
        let call = ToolCall(id: "1", name: "book", arguments: try JSONValue(parsing: json))
        let results = await ToolInvoker().execute([call], in: tools)
        #expect(results[0].error?.isInvalidArguments == true)
        #expect(results[0].content.contains(expected), "\(results[0].content)")
        // Also through AnyTool directly.
        await #expect(throws: ToolError.self) { try await tools["book"]!.invoke(call.arguments) }
        #expect(book.counter.value == 0)
    }

    @Test("valid arguments, keys in any order, reach the typed tool")
    func validArguments() async throws {
        let book = BookingTool()
        let tools = try ToolSet([book])
        let call = ToolCall(id: "1", name: "book", arguments: try JSONValue(parsing: #"{"room": "double", "nights": 3, "city": "Oslo", "breakfast": true}"#))
        let results = await ToolInvoker().execute([call], in: tools)
        #expect(results[0].content == #"{"city":"Oslo","nights":3}"#)
        #expect(book.counter.value == 1)
    }

    @Test("an unknown tool is an error result")
    func unknownTool() async throws {
        let tools = try ToolSet([ThrowingTool()])
        let results = await ToolInvoker().execute([ToolCall(id: "1", name: "nope", arguments: [:])], in: tools)
        #expect(results[0].error?.isUnknownTool == true)
        #expect(results[0].content == "error: unknown tool 'nope'; available tools: explode")
    }

    @Test("tool choice: none offers nothing and refuses calls; named offers one; required offers all")
    func toolChoice() async throws {
        let tools: [any Tool] = [BookingTool(), ThrowingTool()]
        let auto = try ToolSet(tools)
        #expect(auto.definitions.map(\.name) == ["book", "explode"])
        let required = try ToolSet(tools, choice: .required)
        var request = GenerationRequest.chat([.user("hi")])
        required.apply(to: &request)
        #expect(request.toolChoice == .required && request.tools.map(\.name) == ["book", "explode"])

        let named = try ToolSet(tools, choice: .named("explode"))
        named.apply(to: &request)
        #expect(request.tools.map(\.name) == ["explode"] && request.toolChoice == .named("explode"))
        let refused = await ToolInvoker().execute([ToolCall(id: "1", name: "book", arguments: ["city": "a", "nights": 1, "room": "single"])], in: named)
        #expect(refused[0].error?.isUnknownTool == true)

        let none = try ToolSet(tools, choice: .none)
        #expect(none.definitions.isEmpty)
        let blocked = await ToolInvoker().execute([ToolCall(id: "1", name: "explode", arguments: [:])], in: none)
        #expect(blocked[0].content == "error: tool 'explode' refused: tool calls are disabled for this request")

        #expect(throws: ToolError.self) { try ToolSet(tools, choice: .named("missing")) }
        #expect(throws: ToolError.self) { try ToolSet([BookingTool(), BookingTool()] as [any Tool]) }
    }

    @Test("a tool loop feeds results back, and stops calling tools at the round cap")
    func roundCap() async throws {
        let call = ToolCall(id: "c1", name: "calculator", arguments: ["expression": "6*7"])
        let model = ScriptedModel(replies: [
            .init("", toolCalls: [call]), .init("", toolCalls: [call]), .init("The answer is 42."),
        ])
        let runner = ToolRunner(tools: try ToolSet([CalculatorTool()], maxRounds: 2))
        let outcome = try await runner.run([.user("6 times 7?")], on: model)
        #expect(outcome.rounds == 2)
        #expect(outcome.answer == "The answer is 42.")
        #expect(outcome.results.map(\.content) == ["42", "42"])
        let requests = model.requests
        #expect(requests.count == 3)
        #expect(requests[0].tools.map(\.name) == ["calculator"])
        #expect(requests[2].tools.isEmpty && requests[2].toolChoice == .none)
        guard case .messages(let last) = requests[2].prompt else { Issue.record("no messages"); return }
        #expect(last.map(\.role) == [.user, .assistant, .tool, .assistant, .tool])

        // A model that goes on calling with tools switched off ends the run with a typed error.
        let stubborn = ScriptedModel(replies: [.init("", toolCalls: [call])])
        await #expect(throws: ToolError.tooManyRounds(2)) { try await runner.run([.user("6 times 7?")], on: stubborn) }
    }

    @Test("invalid arguments from a remote model go back to it as a tool result")
    func remoteInvalidArguments() async throws {
        let book = BookingTool()
        let model = ScriptedModel(replies: [
            .init("", toolCalls: [ToolCall(id: "r1", name: "book", arguments: ["city": "Oslo", "nights": 99, "room": "single"])]),
            .init("Sorry, at most 30 nights."),
        ])
        let outcome = try await ToolRunner(tools: try ToolSet([book])).run([.user("Book 99 nights in Oslo")], on: model)
        #expect(book.counter.value == 0)
        #expect(outcome.results.first?.content.contains("99 is greater than the maximum 30") == true)
        #expect(outcome.messages[2].role == .tool && outcome.messages[2].toolCallID == "r1")
        #expect(outcome.answer == "Sorry, at most 30 nights.")
    }

    @Test("text calls are parsed with the model's format, malformed ones reported back")
    func textCalls() async throws {
        let model = ScriptedModel(texts: [
            "<tool_call>\n{\"name\": \"calculator\", \"arguments\": {\"expression\": \"2^10\"}}\n</tool_call>",
            "<tool_call>\n{\"name\": \"calculator\", \"arguments\": {\"expression\": \n</tool_call>",
            "1024",
        ])
        let runner = ToolRunner(tools: try ToolSet([CalculatorTool()]), format: HermesToolCallFormat())
        let outcome = try await runner.run([.user("2^10?")], on: model)
        #expect(outcome.results.map(\.content) == ["1024"])
        #expect(outcome.answer == "1024")
        #expect(outcome.messages.contains { $0.role == .user && $0.content.hasPrefix("error: this tool call could not be read") })
    }
}

/// A model that streams tool-call deltas as a remote endpoint does, arguments in pieces.
struct DeltaModel: LanguageModel {
    let deltas: [[ToolCallDelta]]
    let answer: String
    let turn = CallCounter()
    var name: String { "deltas" }
    var capabilities: ModelCapabilities {
        ModelCapabilities(constrainedDecoding: false, prefixCache: false, batching: false, toolCalls: true, contextLength: 4096)
    }
    func generate(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationEvent, any Error> {
        let index = turn.value
        turn.increment()
        let deltas = index < self.deltas.count ? self.deltas[index] : []
        let answer = self.answer
        return AsyncThrowingStream { continuation in
            if deltas.isEmpty { continuation.yield(.text(answer, tokens: [])) }
            for d in deltas { continuation.yield(.toolCallDelta(d)) }
            continuation.yield(.finished(GenerationStats(finishReason: deltas.isEmpty ? .stop : .toolCalls, promptTokens: 0,
                                                         generatedTokens: 1, prefillTime: .zero, decodeTime: .zero)))
            continuation.finish()
        }
    }
}

@Suite("Tool calls streamed by a remote model")
struct ToolDeltaTests {
    @Test("parallel streamed calls are assembled; arguments that are not JSON get an error result, never a crash")
    func streamed() async throws {
        let book = BookingTool()
        let model = DeltaModel(deltas: [[
            ToolCallDelta(index: 0, id: "a", name: "calculator", argumentsFragment: "{\"expres"),
            ToolCallDelta(index: 1, id: "b", name: "book", argumentsFragment: "{\"city\": \"Oslo\", "),
            ToolCallDelta(index: 0, argumentsFragment: "sion\": \"3*3\"}"),
            ToolCallDelta(index: 1, argumentsFragment: "\"nights\": 2, \"room\": \"single\""),
        ]], answer: "done")
        let outcome = try await ToolRunner(tools: try ToolSet([CalculatorTool(), book] as [any Tool])).run([.user("go")], on: model)
        #expect(outcome.results.map(\.call.id) == ["a", "b"])
        #expect(outcome.results[0].content == "9")
        #expect(outcome.results[1].content.hasPrefix("error: invalid arguments for 'book': the arguments are not valid JSON"))
        #expect(book.counter.value == 0)
        #expect(outcome.answer == "done")
    }

    @Test("a tool's own timeout overrides the executor's")
    func perToolTimeout() async throws {
        let tools = try ToolSet([AnyTool(SleepTool(name: "slow", delay: .seconds(120))).withTimeout(.milliseconds(100))])
        let results = await ToolInvoker(callTimeout: .seconds(60)).execute([ToolCall(id: "1", name: "slow", arguments: ["label": "x"])], in: tools)
        #expect(results[0].error?.isTimeout == true)
        #expect(results[0].content.contains("within 0.1 s"), "the executor's 60 s applied instead: \(results[0].content)")
    }
}

@Suite("Tool cancellation")
struct ToolCancellationTests {
    @Test("cancelling the turn stops its calls at once")
    func cancelTurn() async throws {
        // Semantic checks rather than a stopwatch: under a busy test run the cooperative pool can
        // stall for many seconds, but a call that was not stopped would report "done", not this.
        let tools = try ToolSet([SleepTool(name: "slow", delay: .seconds(120))])
        let task = Task { await ToolInvoker().execute([ToolCall(id: "1", name: "slow", arguments: ["label": "x"])], in: tools) }
        try await Task.sleep(for: .milliseconds(100))
        task.cancel()
        let results = await task.value
        #expect(results[0].content == "error: tool 'slow' was cancelled")
    }

    @Test("cancelling a sandboxed run kills the child")
    func cancelSandbox() async throws {
        let task = Task { try await PythonSandbox(limits: SandboxLimits(wallClock: .seconds(120))).run("import time\ntime.sleep(120)") }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        let run = try await task.value
        #expect(run.stop == .cancelled)
        #expect(run.signal == SIGKILL)
    }
}

@Suite("Tool sets in the agents' tool loop")
struct ToolSetLoopTests {
    @Test("a ToolSet is the ToolExecutor a ToolLoop runs calls through")
    func conformance() async throws {
        let executor: any ToolExecutor = try ToolSet([CalculatorTool(), BookingTool()] as [any Tool])
        #expect(executor.definitions.map(\.name) == ["calculator", "book"])
        #expect(await executor.execute(ToolCall(id: "1", name: "calculator", arguments: ["expression": "7*6"]), deadline: .after(.seconds(30))) == "42")
        let refused = await executor.execute(ToolCall(id: "2", name: "book", arguments: ["city": "Oslo"]), deadline: .after(.seconds(30)))
        #expect(refused.hasPrefix("error: invalid arguments for 'book'"))
    }
}
