import RefineryCore
import Foundation
import Refinery
import RefineryServer
import RefineryTesting
import Synchronization
import Testing

@Suite("GET routes")
struct RouteTests {
    @Test("/v1/models lists the loaded models and every agent as agent:<name>")
    func models() async throws {
        let harness = ServerHarness(models: [ServedModel(id: "smollm2-135m-instruct", model: ScriptedModel(texts: ["x"]))],
                                    agents: [FakeAgent(name: "writer"), FakeAgent(name: "coder")])
        try await harness.run { http, _ in
            let j = try json(try await http.send("GET", "/v1/models"))
            #expect(j["object"] == "list")
            let ids = (j["data"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
            #expect(ids == ["smollm2-135m-instruct", "agent:writer", "agent:coder"])
            #expect(j["data"]?[0]?["object"] == "model")
            let one = try await http.send("GET", "/v1/models/agent:writer")
            #expect(try json(one)["id"] == "agent:writer")
            #expect(try await http.send("GET", "/v1/models/nope").status == 404)
        }
    }

    @Test("/health reports ok and the load")
    func health() async throws {
        try await ServerHarness(models: [ServedModel(ScriptedModel(texts: ["x"]))]).run { http, _ in
            let j = try json(try await http.send("GET", "/health"))
            #expect(j["status"] == "ok")
            #expect(j["models"]?.intValue == 1)
            #expect(j["active_requests"]?.intValue == 0)
        }
    }

    @Test("/metrics counts requests, errors, tokens, latencies and cache hits in Prometheus text")
    func metrics() async throws {
        let model = CachedModel()
        try await ServerHarness(models: [ServedModel(model)]).run { http, _ in
            #expect(try await http.send("POST", "/v1/chat/completions", body: chatBody(model: "cached")).status == 200)
            #expect(try await http.send("POST", "/v1/chat/completions", body: chatBody(model: "cached")).status == 200)
            #expect(try await http.send("POST", "/v1/chat/completions", body: chatBody(model: "missing")).status == 404)
            let reply = try await http.send("GET", "/metrics")
            #expect(reply.status == 200)
            #expect(reply.header("content-type")?.hasPrefix("text/plain") == true)
            let text = reply.body
            #expect(metric(text, "refinery_requests_total", labels: #"route="chat_completions",status="200""#) == 2)
            #expect(metric(text, "refinery_errors_total", labels: #"status="404""#) == 1)
            #expect(metric(text, "refinery_prompt_tokens_total") == 20)
            #expect(metric(text, "refinery_completion_tokens_total") == 6)
            #expect(metric(text, "refinery_prompt_cached_tokens_total") == 8)
            #expect(metric(text, "refinery_prefix_cache_hits_total") == 1)
            #expect(metric(text, "refinery_request_duration_seconds_count", labels: #"route="chat_completions""#) == 3)
            #expect(metric(text, "refinery_time_to_first_token_seconds_count") == 2)
            #expect(text.contains("# TYPE refinery_queue_depth gauge"))
        }
    }
}

/// A model whose second request finds 8 of its 10 prompt tokens in the prefix cache.
final class CachedModel: LanguageModel {
    let name = "cached"
    let capabilities = ModelCapabilities(constrainedDecoding: false, prefixCache: true, batching: true, toolCalls: false, contextLength: 4096)
    private let calls = Mutex(0)

    func generate(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationEvent, any Error> {
        let call = calls.withLock { c in
            c += 1
            return c
        }
        return AsyncThrowingStream { continuation in
            continuation.yield(.text("a b c", tokens: [1, 2, 3]))
            continuation.yield(.finished(GenerationStats(finishReason: .stop, promptTokens: 10, cachedTokens: call == 2 ? 8 : 0,
                                                         generatedTokens: 3, prefillTime: .zero, decodeTime: .zero)))
            continuation.finish()
        }
    }
}
