import RefineryCore
import Foundation
import Refinery
import RefineryServer
import RefineryTesting
import Testing

@Suite("POST /v1/completions (legacy text completion)")
struct TextCompletionTests {
    @Test("a prompt is completed as is: text, finish reason and usage; the sampling fields reach the model")
    func completion() async throws {
        let model = ScriptedModel(replies: [.init(" blue.", chunks: [" bl", "ue."])])
        try await ServerHarness(models: [ServedModel(model)]).run { http, _ in
            let reply = try await http.send("POST", "/v1/completions", body: #"{"model": "scripted", "prompt": "The sky is", "max_tokens": 8, "temperature": 0.2, "stop": ["\n"], "seed": 3}"#)
            #expect(reply.status == 200)
            let j = try json(reply)
            #expect(j["object"] == "text_completion")
            #expect(j["id"]?.stringValue?.hasPrefix("cmpl-") == true)
            #expect(j["model"] == "scripted")
            #expect(j["choices"]?[0]?["text"] == " blue.")
            #expect(j["choices"]?[0]?["index"]?.intValue == 0)
            #expect(j["choices"]?[0]?["logprobs"] == .null)
            #expect(j["choices"]?[0]?["finish_reason"] == "stop")
            #expect(j["usage"]?["completion_tokens"]?.intValue == 2)
            let request = try #require(model.requests.first)
            #expect(request.prompt == .raw("The sky is"))
            #expect(request.maxTokens == 8)
            #expect(request.sampling.temperature == 0.2)
            #expect(request.sampling.seed == 3)
            #expect(request.stop == ["\n"])
            #expect(j["usage"]?["prompt_tokens"]?.intValue == ScriptedModel.promptTokens(request))
        }
    }

    @Test("max_tokens defaults to 16, as OpenAI's; a cut completion finishes with length")
    func defaults() async throws {
        let words = (0..<20).map { "w\($0) " }
        let model = ScriptedModel(replies: [.init(words.joined(), chunks: words)])
        try await ServerHarness(models: [ServedModel(model)]).run { http, _ in
            let j = try json(try await http.send("POST", "/v1/completions", body: #"{"model": "scripted", "prompt": "Count:"}"#))
            #expect(model.requests.first?.maxTokens == 16)
            #expect(j["choices"]?[0]?["finish_reason"] == "length")
            #expect(j["usage"]?["completion_tokens"]?.intValue == 16)
        }
    }

    @Test("an array of prompts gets n choices each, numbered prompt × n + choice; echo prefixes the prompt")
    func promptsAndEcho() async throws {
        let model = ScriptedModel(replies: (0..<4).map { .init(" c\($0)") })
        try await ServerHarness(models: [ServedModel(model)]).run { http, _ in
            let j = try json(try await http.send("POST", "/v1/completions",
                                                 body: #"{"model": "scripted", "prompt": ["A", "B"], "n": 2, "echo": true}"#))
            let choices = try #require(j["choices"]?.arrayValue)
            #expect(choices.map { $0["index"]?.intValue } == [0, 1, 2, 3])
            #expect(choices.allSatisfy { ($0["text"]?.stringValue ?? "").hasPrefix($0["index"]!.intValue! < 2 ? "A c" : "B c") })
            #expect(Set(model.requests.map(\.prompt)) == [.raw("A"), .raw("B")])
            #expect(j["usage"]?["completion_tokens"]?.intValue == 4)
        }
    }

    @Test("streamed: text_completion chunks, a finish_reason per choice, a usage chunk on request, then [DONE]")
    func streaming() async throws {
        let model = ScriptedModel(replies: [.init("one two", chunks: ["one", " two"])])
        try await ServerHarness(models: [ServedModel(model)]).run { http, _ in
            let reply = try await http.send("POST", "/v1/completions",
                                            body: #"{"model": "scripted", "prompt": "Say:", "stream": true, "stream_options": {"include_usage": true}}"#)
            #expect(reply.header("content-type") == "text/event-stream")
            let data = events(reply.body)
            #expect(data.last == "[DONE]")
            let chunks = try data.dropLast().map { try JSONValue(parsing: $0) }
            #expect(chunks.allSatisfy { $0["object"] == "text_completion" })
            #expect(chunks.compactMap { $0["choices"]?[0]?["text"]?.stringValue }.joined() == "one two")
            #expect(chunks.compactMap { $0["choices"]?[0]?["finish_reason"]?.stringValue } == ["stop"])
            let usage = try #require(chunks.last)
            #expect(usage["choices"] == [])
            #expect(usage["usage"]?["completion_tokens"]?.intValue == 2)
        }
    }

    @Test("mistakes are 4xx naming the field: no prompt, token arrays, a suffix, an agent, an unknown model")
    func refusals() async throws {
        try await ServerHarness(models: [ServedModel(ScriptedModel(texts: ["x"]))], agents: [FakeAgent()]).run { http, _ in
            let cases: [(String, Int, String)] = [
                (#"{"model": "scripted"}"#, 400, "prompt"),
                (#"{"model": "scripted", "prompt": [[1, 2, 3]]}"#, 400, "prompt[0]"),
                (#"{"model": "scripted", "prompt": "x", "suffix": "y"}"#, 400, "suffix"),
                (#"{"model": "scripted", "prompt": "x", "logprobs": 2}"#, 400, "logprobs"),
                (#"{"model": "scripted", "prompt": "x", "temperature": 9}"#, 400, "temperature"),
                (#"{"model": "agent:fake", "prompt": "x"}"#, 400, "model"),
                (#"{"model": "nope", "prompt": "x"}"#, 404, "model"),
            ]
            for (body, status, param) in cases {
                let reply = try await http.send("POST", "/v1/completions", body: body)
                #expect(reply.status == status, "\(body)")
                #expect(try json(reply)["error"]?["param"]?.stringValue == param, "\(body)")
            }
        }
    }
}
