import RefineryCore
import Foundation
import Testing
import Refinery
@testable import RefineryInference
import RefineryTesting

/// `LocalModel` end to end on SmolLM2: chat template, tokenizer, engine and streaming, against
/// llama.cpp's greedy answer (scripts/reference/engine_reference.py, third chat prompt).
@Suite("LocalModel on SmolLM2", .serialized)
struct LocalModelTests {
    static func model() throws -> LocalModel? {
        guard let path = TestModels.path(TestModels.smolLM2) else {
            print("skipping LocalModel tests: \(TestModels.missingReason(TestModels.smolLM2))")
            return nil
        }
        return try LocalModel(path: path, options: .init(contextLength: 1024))
    }

    static func greedy(_ messages: [ChatMessage], maxTokens: Int, stop: [String] = []) -> GenerationRequest {
        GenerationRequest(prompt: .messages(messages), sampling: .greedy, stop: stop, maxTokens: maxTokens)
    }

    static func collect(_ stream: AsyncThrowingStream<GenerationEvent, any Error>) async throws -> (String, [Int32], GenerationStats?) {
        var text = ""
        var tokens: [Int32] = []
        var stats: GenerationStats?
        for try await event in stream {
            switch event {
            case .text(let delta, let ids):
                text += delta
                tokens += ids
            case .finished(let s): stats = s
            case .toolCallDelta: break
            }
        }
        return (text, tokens, stats)
    }

    /// The text, the tool calls (assembled from their events) and the stats of a generation.
    static func collectCalls(_ stream: AsyncThrowingStream<GenerationEvent, any Error>) async throws
        -> (text: String, calls: [ToolCall], stats: GenerationStats?) {
        var text = ""
        var calls: [Int: (name: String, arguments: String)] = [:]
        var stats: GenerationStats?
        for try await event in stream {
            switch event {
            case .text(let delta, _): text += delta
            case .toolCallDelta(let d):
                var call = calls[d.index] ?? ("", "")
                if let name = d.name { call.name += name }
                call.arguments += d.argumentsFragment
                calls[d.index] = call
            case .finished(let s): stats = s
            }
        }
        let assembled = try calls.keys.sorted().map { index in
            ToolCall(id: "call_\(index)", name: calls[index]!.name, arguments: try JSONValue(parsing: calls[index]!.arguments))
        }
        return (text, assembled, stats)
    }

    @Test("a chat request renders the template and decodes llama.cpp's greedy tokens and text")
    func chatMatchesReference() async throws {
        guard let model = try Self.model() else { return }
        let (text, tokens, stats) = try await Self.collect(model.generate(Self.greedy([.user("Explain in two sentences why the sky is blue.")], maxTokens: 16)))
        #expect(tokens == [504, 6376, 314, 4461, 975, 282, 253, 980, 1217, 13739, 43464, 24484, 28, 837, 1420, 13242])
        #expect(text.hasPrefix("The sky is blue because of a process called Rayleigh scattering, where"))
        let s = try #require(stats)
        #expect(s.finishReason == .length && s.generatedTokens == 16)
        #expect(s.promptTokens == 40)
    }

    @Test("prompt-lookup speculation gives the same greedy text and tokens as plain decoding")
    func speculationKeepsGreedyOutput() async throws {
        guard let model = try Self.model() else { return }
        let draft = "The sea is a vast and restless blue expanse, and the sky above it changes with every hour of the day."
        var request = Self.greedy(
            [.user("Rewrite this sentence, changing only the word \"restless\" to \"calm\":\n\(draft)")], maxTokens: 40)
        let (plainText, plainTokens, _) = try await Self.collect(model.generate(request))
        request.speculation = .promptLookup()
        let (text, tokens, stats) = try await Self.collect(model.generate(request))
        #expect(tokens == plainTokens)
        #expect(text == plainText)
        #expect(stats?.generatedTokens == plainTokens.count)
    }

    @Test("a stop string ends the text before it")
    func stopString() async throws {
        guard let model = try Self.model() else { return }
        let (text, _, stats) = try await Self.collect(model.generate(Self.greedy([.user("Explain in two sentences why the sky is blue.")], maxTokens: 40, stop: [" Rayleigh"])))
        #expect(text == "The sky is blue because of a process called")
        #expect(stats?.finishReason == .stop)
    }

    @Test("avoided words: their tokens are found in any case and never sampled, and nothing else changes")
    func avoidWords() async throws {
        guard let model = try Self.model() else { return }
        let tokenizer = model.model.tokenizer
        let banned = tokenizer.tokens(startingWord: "Water")
        let spelled = Set(banned.map { String(decoding: tokenizer.piece($0), as: UTF8.self) })
        #expect(spelled.contains(" water") && spelled.contains("Water"), "\(spelled)")
        #expect(spelled.allSatisfy { $0.trimmingCharacters(in: .whitespaces).lowercased().contains("water") })
        #expect(tokenizer.tokens(startingWord: "").isEmpty)
        #expect(!banned.contains { tokenizer.isEndOfGeneration($0) })
        // The model would say it: a prompt that asks for the word, greedy.
        let ask: [ChatMessage] = [.user("Repeat this sentence exactly: The water in the lake is cold and the water is clear.")]
        let (plain, _, _) = try await Self.collect(model.generate(Self.greedy(ask, maxTokens: 24)))
        #expect(plain.lowercased().contains("water"), "\(plain)")
        var request = Self.greedy(ask, maxTokens: 24)
        request.avoidWords = ["water", " ", "LAKE"]
        let (avoided, tokens, _) = try await Self.collect(model.generate(request))
        #expect(!avoided.lowercased().contains("water") && !avoided.lowercased().contains("lake"), "\(avoided)")
        #expect(!tokens.isEmpty)
        // The same with speculation, which verifies drafted tokens through the same sampler.
        request.speculation = .promptLookup()
        let (speculated, _, _) = try await Self.collect(model.generate(request))
        #expect(speculated == avoided)
    }

    @Test("a raw prompt is fed as is, special tokens parsed")
    func raw() async throws {
        guard let model = try Self.model() else { return }
        let prompt = "<|im_start|>user\nExplain in two sentences why the sky is blue.<|im_end|>\n<|im_start|>assistant\n"
        let request = GenerationRequest(prompt: .raw(prompt), sampling: .greedy, maxTokens: 4)
        let (_, tokens, stats) = try await Self.collect(model.generate(request))
        #expect(tokens.count == 4)
        #expect(stats?.promptTokens == 19)
    }

    @Test("cancelling the consumer stops the generation promptly")
    func cancellation() async throws {
        guard let model = try Self.model() else { return }
        let task = Task {
            var count = 0
            for try await event in model.generate(Self.greedy([.user("Count from 1 to 1000.")], maxTokens: 900)) {
                if case .text = event { count += 1 }
                if count == 3 { break }
            }
            return count
        }
        #expect(try await task.value == 3)
        // The engine is free again at once: a new request is served.
        let (_, tokens, _) = try await Self.collect(model.generate(Self.greedy([.user("Hi")], maxTokens: 2)))
        #expect(tokens.count == 2)
    }

    @Test("a schema constraint gives exactly one valid document, and generation stops when it closes")
    func schemaConstraint() async throws {
        guard let model = try Self.model() else { return }
        #expect(model.capabilities.constrainedDecoding)
        let schema: JSONValue = try JSONValue(parsing: #"{"type":"object","properties":{"city":{"type":"string","maxLength":20},"days":{"type":"integer","minimum":1,"maximum":7},"units":{"enum":["C","F"]}},"required":["city","days","units"],"additionalProperties":false}"#)
        for seed in [1, 2, 3] as [UInt64] {
            var request = GenerationRequest(prompt: .messages([.user("Weather for Paris for three days, in JSON.")]),
                                            constraint: .jsonSchema(schema), sampling: SamplingParameters(temperature: 1, topK: 0, topP: 1, minP: 0, seed: seed),
                                            maxTokens: 64)
            request.stop = []
            let (text, tokens, stats) = try await Self.collect(model.generate(request))
            let value = try JSONValue(parsing: text)
            #expect(JSONSchemaValidator(schema: schema).isValid(value), "\(text)")
            let s = try #require(stats)
            #expect(s.finishReason == .stop && s.generatedTokens == tokens.count, "\(text)")
        }
    }

    @Test("a tiny token budget still closes the document (budget-aware masks)")
    func budgetCloses() async throws {
        guard let model = try Self.model() else { return }
        let schema: JSONValue = try JSONValue(parsing: #"{"type":"object","properties":{"story":{"type":"string"},"tags":{"type":"array","items":{"type":"string"}}},"required":["story","tags"]}"#)
        let request = GenerationRequest(prompt: .messages([.user("Write a long story about a dragon, as JSON.")]),
                                        constraint: .jsonSchema(schema), sampling: .greedy, maxTokens: 24)
        let (text, tokens, stats) = try await Self.collect(model.generate(request))
        #expect(tokens.count <= 24)
        #expect(JSONSchemaValidator(schema: schema).isValid(try JSONValue(parsing: text)), "\(text)")
        #expect(stats?.finishReason == .stop)
    }

    @Test("any-JSON constraint and an unsupported keyword (a GrammarError naming keyword and path)")
    func anyJSONAndErrors() async throws {
        guard let model = try Self.model() else { return }
        var request = Self.greedy([.user("Give me a JSON object describing a cat.")], maxTokens: 48)
        request.constraint = .anyJSON
        let (text, _, stats) = try await Self.collect(model.generate(request))
        if stats?.finishReason == .stop { _ = try JSONValue(parsing: text) }
        request.constraint = .jsonSchema(try JSONValue(parsing: #"{"type":"object","properties":{"a":{"not":{"pattern":"^x"}}},"required":["a"]}"#))
        do {
            _ = try await Self.collect(model.generate(request))
            Issue.record("an unsupported keyword was accepted")
        } catch let error as GrammarError {
            #expect(error.keyword == "not" && error.path == "/properties/a")
        }
    }

    @Test("tool calls are constrained: with tool choice required every call parses and names an offered tool")
    func toolCallsConstrained() async throws {
        guard let model = try Self.model() else { return }
        let tools = [
            ToolDefinition(name: "get_weather", description: "Weather for a city",
                           parameters: try JSONValue(parsing: #"{"type":"object","properties":{"city":{"type":"string","maxLength":30}},"required":["city"]}"#)),
            ToolDefinition(name: "add", description: "Adds two integers",
                           parameters: try JSONValue(parsing: #"{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"}},"required":["a","b"]}"#)),
        ]
        let format = model.toolCallFormat
        for seed in [4, 5, 6] as [UInt64] {
            let request = GenerationRequest(prompt: .messages([.system(format.systemPrompt(for: tools)), .user("What's the weather in Oslo?")]),
                                            tools: tools, toolChoice: .required,
                                            sampling: SamplingParameters(temperature: 1, topK: 0, topP: 1, minP: 0, seed: seed), maxTokens: 80)
            let (text, calls, stats) = try await Self.collectCalls(model.generate(request))
            // The calls come as tool-call events (arguments that parse), not as text. A call cut
            // off by the token cap stays text.
            #expect(!calls.isEmpty || stats?.finishReason == .length, "\(text)")
            if !calls.isEmpty && stats?.finishReason != .length { #expect(stats?.finishReason == .toolCalls) }
            #expect(!text.contains(format.callOpening.trimmingCharacters(in: .whitespacesAndNewlines)) || calls.isEmpty, "\(text)")
            for call in calls {
                let tool = try #require(tools.first { $0.name == call.name }, "\(text)")
                #expect(JSONSchemaValidator(schema: tool.parameters).isValid(call.arguments), "\(text)")
            }
        }
    }
}

/// Qwen 2.5 writes Hermes calls (`<tool_call>` is one token of its vocabulary): with tool choice
/// `auto` the constraint waits for the opening, then holds the call to the offered tools.
@Suite("LocalModel tool calls on Qwen2.5-Coder-0.5B", .serialized)
struct LocalModelQwenToolTests {
    @Test("auto tool choice: the model opens a call by itself, and the call parses and names an offered tool")
    func hermesCalls() async throws {
        guard let path = TestModels.path(TestModels.qwen05) else {
            print("skipping Qwen tool-call test: \(TestModels.missingReason(TestModels.qwen05))")
            return
        }
        let model = try LocalModel(path: path, options: .init(contextLength: 1024))
        #expect(model.toolCallFormat.name == "hermes")
        let tools = [
            ToolDefinition(name: "get_weather", description: "Current weather for a city",
                           parameters: try JSONValue(parsing: #"{"type":"object","properties":{"city":{"type":"string"},"unit":{"enum":["celsius","fahrenheit"]}},"required":["city","unit"]}"#)),
            ToolDefinition(name: "get_time", description: "Current time in a time zone",
                           parameters: try JSONValue(parsing: #"{"type":"object","properties":{"zone":{"type":"string"}},"required":["zone"]}"#)),
        ]
        // Auto: whether to call is the model's choice. This small model mostly leaves out the
        // <tool_call> tags and writes the call's JSON bare or in a ```json fence: the bare
        // `{"name":` opening and the ```json fence trigger the constraint too, so every call parses
        // and validates, and arrives as a tool-call event.
        let names = Set(tools.map(\.name))
        for seed in 1...6 as ClosedRange<UInt64> {
            let question = seed % 2 == 0 ? "What time is it in Tokyo?" : "What's the weather in Oslo in celsius?"
            let request = GenerationRequest(prompt: .messages([.user(question)]), tools: tools, toolChoice: .auto,
                                            sampling: SamplingParameters(temperature: 1, topK: 0, topP: 1, minP: 0, seed: seed), maxTokens: 96)
            let (text, calls, stats) = try await LocalModelTests.collectCalls(model.generate(request))
            // Every call the model opened became a tool-call event; none is left in the text.
            if stats?.finishReason != .length {
                #expect(!text.contains("<tool_call>") && !text.contains(#"{"name":"#), "\(text)")
            }
            for call in calls {
                let tool = try #require(tools.first { $0.name == call.name }, "\(text)")
                #expect(names.contains(call.name))
                #expect(JSONSchemaValidator(schema: tool.parameters).isValid(call.arguments), "\(text)")
            }
        }
        // Required: the output opens with a call.
        let request = GenerationRequest(prompt: .messages([.user("What's the weather in Paris?")]), tools: tools, toolChoice: .required,
                                        sampling: SamplingParameters(temperature: 1, topK: 0, topP: 1, minP: 0, seed: 9), maxTokens: 96)
        let (text, calls, stats) = try await LocalModelTests.collectCalls(model.generate(request))
        let call = try #require(calls.first, "\(text)")
        #expect(tools.contains { $0.name == call.name })
        #expect(stats?.finishReason == .toolCalls)
    }

    @Test("several calls in one reply: each is its own tool-call event and none is left in the text")
    func severalCalls() async throws {
        guard let path = TestModels.path(TestModels.qwen05) else { return }
        let model = try LocalModel(path: path, options: .init(contextLength: 1024))
        let tools = [
            ToolDefinition(name: "get_weather", description: "Current weather in a city",
                           parameters: try JSONValue(parsing: #"{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"#))
        ]
        // Greedy, this model tags its first call and writes the second bare, before a closing tag.
        let request = GenerationRequest(
            prompt: .messages([.user("What is the weather in Paris and in Rome? Call get_weather once for each city.")]),
            tools: tools, toolChoice: .required, sampling: .greedy, maxTokens: 160)
        let (text, calls, stats) = try await LocalModelTests.collectCalls(model.generate(request))
        #expect(calls.map(\.arguments) == [["city": "Paris"], ["city": "Rome"]], "\(text)")
        #expect(text.isEmpty, "\(text)")
        #expect(stats?.finishReason == .toolCalls)
    }
}
