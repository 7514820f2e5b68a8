import RefineryCore
import Foundation
import Refinery
import RefineryServer
import RefineryTesting
import Testing

@Suite("POST /v1/chat/completions on a model")
struct ChatCompletionTests {
    @Test("a non-streaming reply carries the text, finish reason and usage, and the request reaches the model translated")
    func nonStreaming() async throws {
        let model = ScriptedModel(replies: [.init("Hi there", chunks: ["Hi", " there"])])
        try await ServerHarness(models: [ServedModel(id: "scripted", aliases: ["scripted.gguf"], model: model)]).run { http, _ in
            let body = chatBody(model: "scripted.gguf", #""temperature": 0.5, "top_p": 0.9, "seed": 42, "stop": ["END"], "max_tokens": 16, "top_k": 7, "min_p": 0.1, "repeat_penalty": 1.1, "user": "conv-1""#)
            let reply = try await http.send("POST", "/v1/chat/completions", body: body)
            #expect(reply.status == 200)
            #expect(reply.header("content-type") == "application/json")
            #expect(reply.header("connection") == "close")
            let j = try json(reply)
            #expect(j["object"] == "chat.completion")
            #expect(j["model"] == "scripted")
            #expect(j["id"]?.stringValue?.hasPrefix("chatcmpl-") == true)
            #expect(j["choices"]?[0]?["message"]?["content"] == "Hi there")
            #expect(j["choices"]?[0]?["message"]?["role"] == "assistant")
            #expect(j["choices"]?[0]?["finish_reason"] == "stop")
            #expect(j["usage"]?["completion_tokens"]?.intValue == 2)

            let request = try #require(model.requests.first)
            #expect(request.prompt == .messages([.user("Hello")]))
            #expect(request.sampling.temperature == 0.5)
            #expect(request.sampling.topP == 0.9)
            #expect(request.sampling.seed == 42)
            #expect(request.sampling.topK == 7)
            #expect(request.sampling.minP == Float(0.1))
            #expect(request.sampling.repetitionPenalty == Float(1.1))
            #expect(request.stop == ["END"])
            #expect(request.maxTokens == 16)
            #expect(request.sessionKey == "conv-1")
            #expect(request.deadline == nil)
        }
    }

    @Test("max_tokens cuts the reply with finish_reason length")
    func length() async throws {
        let model = ScriptedModel(replies: [.init("a b c", chunks: ["a", " b", " c"])])
        try await ServerHarness(models: [ServedModel(model)]).run { http, _ in
            let j = try json(try await http.send("POST", "/v1/chat/completions", body: chatBody(#""max_tokens": 2"#)))
            #expect(j["choices"]?[0]?["message"]?["content"] == "a b")
            #expect(j["choices"]?[0]?["finish_reason"] == "length")
        }
    }

    @Test("n choices run concurrently, each with its own seed")
    func multipleChoices() async throws {
        // Each reply takes 3 × 150 ms; three in sequence would take 1.35 s.
        let model = ScriptedModel(replies: [
            .init("one", chunks: ["o", "n", "e"], delayPerChunk: .milliseconds(150)),
            .init("two", chunks: ["t", "w", "o"], delayPerChunk: .milliseconds(150)),
            .init("six", chunks: ["s", "i", "x"], delayPerChunk: .milliseconds(150)),
        ])
        try await ServerHarness(models: [ServedModel(model)]).run { http, _ in
            let start = ContinuousClock.now
            let j = try json(try await http.send("POST", "/v1/chat/completions", body: chatBody(#""n": 3, "seed": 10"#)))
            let elapsed = start.duration(to: .now)
            let texts = Set((0..<3).compactMap { j["choices"]?[$0]?["message"]?["content"]?.stringValue })
            #expect(texts == ["one", "two", "six"])
            #expect((0..<3).map { j["choices"]?[$0]?["index"]?.intValue } == [0, 1, 2])
            #expect(Set(model.requests.map(\.sampling.seed)) == [10, 11, 12])
            #expect(elapsed < .milliseconds(1200), "choices ran one after another: \(elapsed)")
            #expect(j["usage"]?["completion_tokens"]?.intValue == 9)
        }
    }

    @Test("streaming sends a role chunk, text deltas, the finish reason, usage when asked, then [DONE]")
    func streaming() async throws {
        let model = ScriptedModel(replies: [.init("Hello world", chunks: ["Hello", " wor", "ld"])])
        try await ServerHarness(models: [ServedModel(model)]).run { http, _ in
            let reply = try await http.send("POST", "/v1/chat/completions",
                                            body: chatBody(#""stream": true, "stream_options": {"include_usage": true}"#))
            #expect(reply.status == 200)
            #expect(reply.header("content-type") == "text/event-stream")
            let data = events(reply.body)
            #expect(data.last == "[DONE]")
            let chunks = try data.dropLast().map { try JSONValue(parsing: $0) }
            #expect(chunks.allSatisfy { $0["object"] == "chat.completion.chunk" })
            #expect(Set(chunks.compactMap { $0["id"]?.stringValue }).count == 1)
            #expect(chunks.first?["choices"]?[0]?["delta"]?["role"] == "assistant")
            let text = chunks.compactMap { $0["choices"]?[0]?["delta"]?["content"]?.stringValue }.joined()
            #expect(text == "Hello world")
            #expect(chunks.compactMap { $0["choices"]?[0]?["finish_reason"]?.stringValue } == ["stop"])
            let usage = try #require(chunks.last?["usage"])
            #expect(usage["completion_tokens"]?.intValue == 3)
            #expect(chunks.last?["choices"]?.arrayValue?.isEmpty == true)
        }
    }

    @Test("tools reach the model; its tool calls come back as tool_calls with finish_reason tool_calls")
    func toolCalls() async throws {
        let call = ToolCall(id: "call_7", name: "get_weather", arguments: ["city": "Paris"])
        let model = ScriptedModel(replies: [.init("", toolCalls: [call]), .init("", toolCalls: [call])])
        try await ServerHarness(models: [ServedModel(model)]).run { http, _ in
            let tools = #""tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather now", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}], "tool_choice": {"type": "function", "function": {"name": "get_weather"}}"#
            let j = try json(try await http.send("POST", "/v1/chat/completions", body: chatBody(tools)))
            let message = try #require(j["choices"]?[0]?["message"])
            #expect(message["content"] == .null)
            // The server's own id replaces the model's numbering (see toolCallIDs below).
            #expect(message["tool_calls"]?[0]?["id"]?.stringValue?.hasPrefix("call_") == true)
            #expect(message["tool_calls"]?[0]?["id"] != "call_7")
            #expect(message["tool_calls"]?[0]?["type"] == "function")
            #expect(message["tool_calls"]?[0]?["function"]?["name"] == "get_weather")
            let arguments = try JSONValue(parsing: try #require(message["tool_calls"]?[0]?["function"]?["arguments"]?.stringValue))
            #expect(arguments == ["city": "Paris"])
            #expect(j["choices"]?[0]?["finish_reason"] == "tool_calls")
            let request = try #require(model.requests.first)
            #expect(request.tools.map(\.name) == ["get_weather"])
            #expect(request.tools.first?.description == "Weather now")
            #expect(request.tools.first?.parameters["required"] == ["city"])
            #expect(request.toolChoice == .named("get_weather"))

            let streamed = try await http.send("POST", "/v1/chat/completions", body: chatBody(tools + #", "stream": true"#))
            let chunks = try events(streamed.body).dropLast().map { try JSONValue(parsing: $0) }
            let deltas = chunks.compactMap { $0["choices"]?[0]?["delta"]?["tool_calls"]?[0] }
            #expect(deltas.first?["id"]?.stringValue?.hasPrefix("call_") == true)
            #expect(deltas.first?["function"]?["name"] == "get_weather")
            #expect(deltas.compactMap { $0["function"]?["arguments"]?.stringValue }.joined() == #"{"city":"Paris"}"#)
            #expect(chunks.compactMap { $0["choices"]?[0]?["finish_reason"]?.stringValue } == ["tool_calls"])
        }
    }

    @Test("tool-call ids differ within a reply and across replies, streamed or whole, whatever the model numbered them")
    func toolCallIDs() async throws {
        // Models number their calls from 0 in every reply.
        let calls = [ToolCall(id: "call_0", name: "get_weather", arguments: ["city": "Paris"]),
                     ToolCall(id: "call_1", name: "get_weather", arguments: ["city": "Rome"])]
        let model = ScriptedModel(replies: Array(repeating: .init("", toolCalls: calls), count: 4))
        try await ServerHarness(models: [ServedModel(model)]).run { http, _ in
            let tools = #""tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]"#
            var ids: [String] = []
            for _ in 0..<2 {
                let j = try json(try await http.send("POST", "/v1/chat/completions", body: chatBody(tools)))
                let replyIDs = (j["choices"]?[0]?["message"]?["tool_calls"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
                #expect(replyIDs.count == 2)
                ids += replyIDs
            }
            for _ in 0..<2 {
                let streamed = try await http.send("POST", "/v1/chat/completions", body: chatBody(tools + #", "stream": true"#))
                let chunks = try events(streamed.body).dropLast().map { try JSONValue(parsing: $0) }
                let deltas = chunks.flatMap { $0["choices"]?[0]?["delta"]?["tool_calls"]?.arrayValue ?? [] }
                // Each call's id comes once, in its first delta.
                let replyIDs = deltas.compactMap { $0["id"]?.stringValue }
                #expect(replyIDs.count == 2)
                #expect(Set(deltas.compactMap { $0["index"]?.intValue }) == [0, 1])
                ids += replyIDs
            }
            #expect(ids.count == 8)
            #expect(Set(ids).count == 8)
            #expect(ids.allSatisfy { $0.hasPrefix("call_") && $0.count == 29 })
        }
    }

    @Test("a conversation with an earlier tool call and its result reaches the model as turns")
    func toolTurns() async throws {
        let model = ScriptedModel(texts: ["It is sunny."])
        try await ServerHarness(models: [ServedModel(model)]).run { http, _ in
            let body = #"{"model": "scripted", "messages": [{"role": "developer", "content": "Be brief."}, {"role": "user", "content": "Weather?"}, {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]}, {"role": "tool", "tool_call_id": "c1", "content": "sunny"}]}"#
            let reply = try await http.send("POST", "/v1/chat/completions", body: body)
            #expect(reply.status == 200)
            let request = try #require(model.requests.first)
            #expect(request.prompt == .messages([
                .system("Be brief."), .user("Weather?"),
                .assistant("", toolCalls: [ToolCall(id: "c1", name: "get_weather", arguments: ["city": "Paris"])]),
                .tool("sunny", callID: "c1", name: nil),
            ]))
        }
    }

    @Test("response_format json_schema and json_object become the request's output constraint")
    func responseFormat() async throws {
        let capable = ModelCapabilities(constrainedDecoding: true, prefixCache: false, batching: false, toolCalls: true, contextLength: 8192)
        let model = ScriptedModel(replies: [.init(#"{"a":1}"#)], capabilities: capable)
        try await ServerHarness(models: [ServedModel(model)]).run { http, _ in
            let schema = #"{"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}"#
            let j = try json(try await http.send("POST", "/v1/chat/completions",
                body: chatBody(#""response_format": {"type": "json_schema", "json_schema": {"name": "thing", "schema": \#(schema), "strict": true}}"#)))
            #expect(j["choices"]?[0]?["message"]?["content"] == #"{"a":1}"#)
            #expect(model.requests.first?.constraint == .jsonSchema(try JSONValue(parsing: schema)))
            _ = try await http.send("POST", "/v1/chat/completions", body: chatBody(#""response_format": {"type": "json_object"}"#))
            #expect(model.requests.last?.constraint == .anyJSON)
        }
    }

    @Test("a model that cannot constrain its output refuses response_format with 400 naming the field")
    func responseFormatUnsupported() async throws {
        let model = ScriptedModel(texts: ["x"])  // constrainedDecoding: false
        try await ServerHarness(models: [ServedModel(model)]).run { http, _ in
            let reply = try await http.send("POST", "/v1/chat/completions", body: chatBody(#""response_format": {"type": "json_object"}"#))
            #expect(reply.status == 400)
            #expect(try json(reply)["error"]?["param"] == "response_format")
            #expect(model.requests.isEmpty)
        }
    }

    @Test("a deadline header reaches a model request as an absolute deadline")
    func modelDeadline() async throws {
        let model = ScriptedModel(texts: ["ok"])
        try await ServerHarness(models: [ServedModel(model)]).run { http, _ in
            let before = ContinuousClock.now
            let reply = try await http.send("POST", "/v1/chat/completions", headers: [("X-Refinery-Deadline-Ms", "1500")], body: chatBody())
            let after = ContinuousClock.now
            #expect(reply.status == 200)
            let deadline = try #require(model.requests.first?.deadline)
            // Measured from the request's arrival, which lies between `before` and `after`.
            #expect(deadline.instant >= before.advanced(by: .milliseconds(1500)))
            #expect(deadline.instant <= after.advanced(by: .milliseconds(1500)))
            #expect(try json(reply)["refinery"]?["finish_reasons"] == ["stop"])
        }
    }

    @Test("a model failure before any output is a 500 in OpenAI's error format")
    func modelFailure() async throws {
        let model = ScriptedModel(replies: [.failure(Boom())])
        try await ServerHarness(models: [ServedModel(model)]).run { http, _ in
            let reply = try await http.send("POST", "/v1/chat/completions", body: chatBody())
            #expect(reply.status == 500)
            let error = try #require(try json(reply)["error"])
            #expect(error["type"] == "server_error")
            #expect(error["message"]?.stringValue?.contains("boom") == true)
        }
    }
}
