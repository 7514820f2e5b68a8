import RefineryCore
import Foundation
import Refinery
import RefineryOpenAI
import Testing

/// Integration tests against llama.cpp's OpenAI server (llama-cpp-python's, with SmolLM2),
/// run by `scripts/test-remote-llamacpp`, which starts the server and sets
/// `REFINERY_LLAMACPP_SERVER_URL` (its base URL, ending in /v1). Skipped without it.
@Suite("llama.cpp server integration", .serialized, .timeLimit(.minutes(5)))
struct LlamaCppServerTests {
    static let baseURL = ProcessInfo.processInfo.environment["REFINERY_LLAMACPP_SERVER_URL"]

    func model(streaming: Bool = true, baseURL: String? = nil) -> OpenAICompatibleModel? {
        guard let url = baseURL ?? Self.baseURL else {
            print("skipped: REFINERY_LLAMACPP_SERVER_URL is not set (scripts/test-remote-llamacpp sets it)")
            return nil
        }
        // The llamacpp preset (extended sampling, json_object + schema) at the server's URL.
        guard var config = try? RemoteModelConfiguration(preset: .llamacpp, model: "smollm2", baseURL: url, environment: [:]) else {
            return nil
        }
        config.streaming = streaming
        return OpenAICompatibleModel(configuration: config)
    }

    func request(_ prompt: String, maxTokens: Int = 48, deadline: Duration = .seconds(60)) -> GenerationRequest {
        var r = GenerationRequest.chat([.user(prompt)], maxTokens: maxTokens, deadline: .after(deadline))
        r.sampling = .greedy
        return r
    }

    @Test("plain and streaming replies agree token for token (greedy), with usage")
    func plainAndStreaming() async throws {
        guard let plain = model(streaming: false), let streaming = model() else { return }
        let prompt = request("What is the capital of France? Answer in one sentence.")
        let a = await collect(plain, prompt)
        let b = await collect(streaming, prompt)
        #expect(a.error == nil && b.error == nil, "\(String(describing: a.error)) \(String(describing: b.error))")
        print("llama.cpp plain: \(a.text.debugDescription) in \(a.elapsed); streaming \(b.events - 1) deltas in \(b.elapsed)")
        #expect(!a.text.isEmpty && a.text == b.text)
        #expect(b.events > 3)
        #expect((a.stats?.promptTokens ?? 0) > 5 && (a.stats?.generatedTokens ?? 0) > 0)
        #expect([FinishReason.stop, .length].contains(a.stats?.finishReason ?? .cancelled))
    }

    @Test("a named tool is called with arguments that parse", arguments: [true, false])
    func toolCall(streaming: Bool) async throws {
        guard let m = model(streaming: streaming) else { return }
        var r = request("What is the weather in Paris today?", maxTokens: 64)
        r.tools = [ToolDefinition(name: "get_weather", description: "Current weather for a city", parameters: [
            "type": "object", "properties": ["city": ["type": "string"]], "required": ["city"],
        ])]
        r.toolChoice = .named("get_weather")
        let out = await collect(m, r)
        #expect(out.error == nil, "\(String(describing: out.error))")
        let calls = try out.toolCalls()
        print("llama.cpp tool call (streaming \(streaming)): \(calls.map { "\($0.name)(\($0.arguments))" })")
        #expect(calls.count == 1 && calls.first?.name == "get_weather")
        #expect(calls.first?.arguments["city"]?.stringValue != nil)
        #expect(out.stats?.finishReason == .toolCalls)
    }

    @Test("a JSON-schema constraint yields a document with the required fields", arguments: [true, false])
    func jsonSchema(streaming: Bool) async throws {
        guard let m = model(streaming: streaming) else { return }
        var r = request("Invent a person. Reply in JSON.", maxTokens: 80)
        r.constraint = .jsonSchema([
            "type": "object",
            "properties": ["name": ["type": "string"], "age": ["type": "integer"]],
            "required": ["name", "age"],
        ])
        let out = await collect(m, r)
        #expect(out.error == nil, "\(String(describing: out.error))")
        print("llama.cpp json_schema (streaming \(streaming)): \(out.text)")
        let doc = try JSONValue(parsing: out.text)
        #expect(doc["name"]?.stringValue != nil)
        if case .int? = doc["age"] {} else { Issue.record("age is not an integer: \(out.text)") }
    }

    @Test("a deadline mid-generation ends the stream on time; cancelling aborts at once")
    func deadlineAndCancel() async throws {
        guard let m = model() else { return }
        let out = await collect(m, request("Write a long story about a dragon.", maxTokens: 2000, deadline: .milliseconds(700)))
        #expect(out.elapsed < .milliseconds(850), "\(out.elapsed)")
        #expect(out.stats?.finishReason == .deadline || out.remoteError?.code == .deadlineExceeded)
        let before = OpenAICompatibleModel.transportStatistics.cancelledTransfers
        let started = AsyncStream<Void>.makeStream()
        let task = Task {
            for try await _ in m.generate(request("Count from one to one thousand.", maxTokens: 2000)) { started.continuation.yield() }
        }
        for await _ in started.stream { break }
        let t0 = ContinuousClock.now
        task.cancel()
        _ = await task.result
        try await waitFor { OpenAICompatibleModel.transportStatistics.cancelledTransfers > before }
        print("llama.cpp cancel: consumer released after \(t0.duration(to: .now)), transfer removed after \(OpenAICompatibleModel.transportStatistics.lastCancelLatency)")
        #expect(OpenAICompatibleModel.transportStatistics.lastCancelLatency < .milliseconds(50))
    }

    @Test("through the fault-injecting proxy: 503 then success, a cut stream, a stall to the deadline")
    func throughProxy() async throws {
        guard let url = Self.baseURL else {
            print("skipped: REFINERY_LLAMACPP_SERVER_URL is not set")
            return
        }
        let upstream = url.hasSuffix("/v1") ? String(url.dropLast(3)) : url
        let proxy = try TestServer(upstream: upstream)
        guard let recovered = model(baseURL: proxy.fault("status:503:2:-") + "/v1") else { return }
        let ok = await collect(recovered, request("Say hi.", maxTokens: 8))
        #expect(ok.error == nil && !ok.text.isEmpty, "\(String(describing: ok.error))")
        let cut = await collect(model(baseURL: proxy.fault("cut:600") + "/v1")!, request("Tell a story.", maxTokens: 200))
        #expect(cut.remoteError?.code == .connectionFailed)
        let stall = await collect(model(baseURL: proxy.fault("stall:600") + "/v1")!, request("Tell a story.", maxTokens: 200, deadline: .seconds(2)))
        #expect(stall.stats?.finishReason == .deadline && stall.elapsed < .milliseconds(2150), "\(stall.elapsed)")
    }
}
