import RefineryCore
import Refinery
import RefineryOpenAI
import Testing

@Suite("OpenAI wire types")
struct WireTypesTests {
    static let requestText = """
        {"model":"m","messages":[{"role":"system","content":"be brief"},\
        {"role":"user","content":[{"type":"text","text":"Hi "},{"type":"text","text":"there"}]},\
        {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\\"x\\":1}"}}]},\
        {"role":"tool","content":"42","tool_call_id":"c1"}],\
        "tools":[{"type":"function","function":{"name":"f","description":"adds","parameters":{"type":"object","properties":{"x":{"type":"integer"}},"required":["x"]}}}],\
        "tool_choice":{"type":"function","function":{"name":"f"}},\
        "response_format":{"type":"json_schema","json_schema":{"name":"out","schema":{"type":"object"},"strict":true}},\
        "temperature":0.5,"max_tokens":64,"stop":"END","stream":true,"stream_options":{"include_usage":true},"seed":7,\
        "top_k":40,"min_p":0.05}
        """

    @Test("a request reads field by field and keeps unknown fields in order")
    func request() throws {
        let r = try ChatCompletionRequest(json: JSONValue(parsing: Self.requestText))
        #expect(r.model == "m")
        #expect(r.messages.count == 4)
        #expect(r.messages[1].content == "Hi there")
        #expect(r.messages[2].content == nil)
        #expect(r.messages[2].toolCalls == [ChatCompletionToolCall(id: "c1", name: "f", arguments: "{\"x\":1}")])
        #expect(r.messages[3].toolCallID == "c1")
        #expect(r.tools?.first?.name == "f")
        #expect(r.tools?.first?.parameters?["required"] == ["x"])
        #expect(r.toolChoice == .function("f"))
        #expect(r.responseFormat == .jsonSchema(name: "out", schema: ["type": "object"], strict: true))
        #expect(r.temperature == 0.5 && r.maxTokens == 64 && r.stop == ["END"] && r.stream == true)
        #expect(r.streamIncludeUsage == true && r.seed == 7)
        #expect(r.extra.map(\.key) == ["top_k", "min_p"])
        // Written back and read again, nothing changes.
        #expect(try ChatCompletionRequest(json: r.json) == r)
    }

    @Test("malformed requests name the offending field")
    func requestErrors() throws {
        func error(_ text: String) -> WireDecodingError? {
            do {
                _ = try ChatCompletionRequest(json: JSONValue(parsing: text))
                return nil
            } catch let e as WireDecodingError {
                return e
            } catch {
                return nil
            }
        }
        #expect(error(#"{"messages":[]}"#)?.field == "model")
        #expect(error(#"{"model":"m"}"#)?.code == .missingField)
        #expect(error(#"{"model":"m","messages":[{"content":"x"}]}"#)?.field == "messages[0].role")
        #expect(error(#"{"model":"m","messages":[],"temperature":"hot"}"#)?.code == .wrongType)
        #expect(error(#"{"model":"m","messages":[],"tool_choice":"sometimes"}"#)?.field == "tool_choice")
        #expect(error(#"{"model":"m","messages":[],"stop":[1]}"#)?.field == "stop[0]")
        #expect(error(#"{"model":"m","messages":[],"response_format":{"type":"yaml"}}"#)?.field == "response_format.type")
    }

    @Test("responses and chunks read with unknown fields ignored")
    func responses() throws {
        let response = try ChatCompletionResponse(json: JSONValue(parsing: """
            {"id":"r","object":"chat.completion","created":1,"model":"m","x_new":{"a":[1]},"choices":[{"index":0,\
            "message":{"role":"assistant","content":"hi","refusal":null,"annotations":[]},"finish_reason":"stop","logprobs":null}],\
            "usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7,"prompt_tokens_details":{"cached_tokens":4}}}
            """))
        #expect(response.choices.first?.message.content == "hi")
        #expect(response.usage == ChatCompletionUsage(promptTokens: 5, completionTokens: 2, cachedTokens: 4))
        #expect(try ChatCompletionResponse(json: response.json) == response)
        let chunk = try ChatCompletionChunk(json: JSONValue(parsing: """
            {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":\
            [{"index":1,"id":"call_1","type":"function","function":{"name":"f","arguments":"{\\"a\\""}}]},"finish_reason":null}]}
            """))
        #expect(chunk.choices.first?.delta.toolCalls?.first == .init(index: 1, id: "call_1", type: "function", name: "f", arguments: "{\"a\""))
        #expect(try ChatCompletionChunk(json: chunk.json) == chunk)
    }

    @Test("error bodies in OpenAI's shape and the looser shapes other servers send")
    func errors() throws {
        let e = try #require(OpenAIErrorBody(json: JSONValue(parsing:
            #"{"error":{"message":"bad","type":"invalid_request_error","param":"messages","code":400}}"#)))
        #expect(e == OpenAIErrorBody(message: "bad", type: "invalid_request_error", param: "messages", code: "400"))
        #expect(OpenAIErrorBody(json: e.json) == e)
        #expect(OpenAIErrorBody(json: ["error": "plain"])?.message == "plain")
        #expect(OpenAIErrorBody(json: ["detail": "Not Found"])?.message == "Not Found")
        #expect(OpenAIErrorBody(json: ["choices": []]) == nil)
    }

    @Test("a generation request maps to the wire: tools, tool choice, strict json_schema, sampling")
    func mapping() throws {
        var request = GenerationRequest.chat([
            .system("s"), .user("u"),
            .assistant("", toolCalls: [ToolCall(id: "c1", name: "f", arguments: ["b": 1, "a": [true]])]),
            .tool("done", callID: "c1", name: "f"),
        ], maxTokens: 32)
        request.tools = [ToolDefinition(name: "f", description: "does f", parameters: ["type": "object"])]
        request.toolChoice = .required
        request.constraint = .jsonSchema(["type": "object", "properties": ["z": ["type": "string"], "a": ["type": "number"]]])
        request.sampling = SamplingParameters(temperature: 0.7, topK: 20, topP: 0.9, minP: 0.1, seed: 3)
        request.stop = ["\n\n"]
        let config = RemoteModelConfiguration(baseURL: "http://x/v1", model: "m", extendedSampling: true)
        let wire = try ChatCompletionRequest(request, configuration: config, stream: true)
        let json = wire.json.serialized()
        #expect(json.contains(#""tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"b\":1,\"a\":[true]}"}}]"#))
        #expect(json.contains(#"{"role":"tool","content":"done","tool_call_id":"c1"}"#))
        #expect(json.contains(#""tool_choice":"required""#))
        #expect(json.contains(#""response_format":{"type":"json_schema","json_schema":{"name":"response","schema":{"type":"object","properties":{"z":{"type":"string"},"a":{"type":"number"}}},"strict":true}}"#))
        #expect(json.contains(#""stream":true,"stream_options":{"include_usage":true},"seed":3"#))
        #expect(json.contains(#""top_k":20"#) && json.contains(#""max_tokens":32"#) && json.contains(#""stop":["\n\n"]"#))
        #expect(wire.messages[2].content == nil)
        // Providers without llama.cpp's fields never see them.
        let plain = try ChatCompletionRequest(request, configuration: RemoteModelConfiguration(baseURL: "http://x/v1", model: "m"), stream: false)
        #expect(plain.extra.isEmpty && plain.stream == nil)
        // llama.cpp's servers take the schema as json_object + schema.
        var llama = config
        llama.schemaStyle = .jsonObjectSchema
        let l = try ChatCompletionRequest(request, configuration: llama, stream: false)
        #expect(l.json["response_format"] == ["type": "json_object", "schema": ["type": "object", "properties": ["z": ["type": "string"], "a": ["type": "number"]]]])
        #expect(try ChatCompletionRequest(json: l.json).responseFormat == l.responseFormat)
        #expect(try RemoteModelConfiguration(preset: .llamacpp, model: "m", environment: [:]).schemaStyle == .jsonObjectSchema)
        // Raw prompts have no chat completions form.
        #expect(throws: RemoteModelError.self) {
            try ChatCompletionRequest(GenerationRequest(prompt: .raw("x")), configuration: config, stream: false)
        }
    }
}
