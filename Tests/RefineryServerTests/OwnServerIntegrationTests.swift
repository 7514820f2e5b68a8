import RefineryCore
import RefineryInference
import Foundation
import Refinery
import RefineryOpenAI
import RefineryServer
import RefineryTesting
import Testing

/// `OpenAICompatibleModel` (the remote backend, over libcurl) against Refinery's own server,
/// started in process on a free loopback port with SmolLM2: the same model answers directly and
/// through HTTP, so the remote path is checked against the local engine's own output.
/// Skipped, with the reason printed, when SmolLM2 is not installed.
@Suite("OpenAICompatibleModel against Refinery's server on SmolLM2", .serialized, .timeLimit(.minutes(5)))
struct OwnServerIntegrationTests {
    static let modelID = "smollm2-135m-instruct"

    /// SmolLM2 on the engine, loaded once for the suite (nil, with the reason printed, when absent).
    static let local: LocalModel? = {
        guard let path = TestModels.path(TestModels.smolLM2) else {
            print("skipped: \(TestModels.missingReason(TestModels.smolLM2))")
            return nil
        }
        return try? LocalModel(path: path, options: .init(contextLength: 2048, maxSequences: 8))
    }()

    /// Runs `test` with a remote model pointing at a server over `local` on a free port.
    func withServer(_ test: @Sendable (_ remote: @Sendable (_ streaming: Bool) -> OpenAICompatibleModel, _ http: RawHTTP) async throws -> Void)
        async throws
    {
        guard let local = Self.local else { return }
        let harness = ServerHarness(models: [ServedModel(id: Self.modelID, model: local)])
        try await harness.run { http, _ in
            let port = http.port
            try await test({ streaming in
                var configuration = RemoteModelConfiguration(baseURL: "http://127.0.0.1:\(port)/v1", model: Self.modelID)
                configuration.streaming = streaming
                configuration.retryPolicy = .none
                return OpenAICompatibleModel(configuration: configuration)
            }, http)
        }
    }

    func request(_ prompt: String, maxTokens: Int = 32, deadline: Duration = .seconds(120)) -> GenerationRequest {
        var request = GenerationRequest.chat([.user(prompt)], maxTokens: maxTokens, deadline: .after(deadline))
        request.sampling = .greedy
        return request
    }

    @Test("plain and streaming replies equal the local engine's greedy text, with the same token counts")
    func plainAndStreaming() async throws {
        guard let local = Self.local else { return }
        let prompt = request("What is the capital of France? Answer in one sentence.")
        let direct = await collectEvents(local, prompt)
        try await withServer { remote, _ in
            let plain = await collectEvents(remote(false), prompt)
            let streamed = await collectEvents(remote(true), prompt)
            #expect(direct.error == nil && plain.error == nil && streamed.error == nil,
                    "\(String(describing: direct.error)) \(String(describing: plain.error)) \(String(describing: streamed.error))")
            print("own server: engine \(direct.text.debugDescription); plain in \(plain.elapsed), streaming \(streamed.events - 1) deltas in \(streamed.elapsed)")
            #expect(!direct.text.isEmpty)
            #expect(plain.text == direct.text)
            #expect(streamed.text == direct.text)
            #expect(streamed.events > 3, "streamed as it was generated")
            for remoteStats in [plain.stats, streamed.stats] {
                #expect(remoteStats?.promptTokens == direct.stats?.promptTokens)
                #expect(remoteStats?.generatedTokens == direct.stats?.generatedTokens)
                #expect(remoteStats?.finishReason == direct.stats?.finishReason)
            }
        }
    }

    @Test("a named tool is called with arguments that parse, and reaches the client as tool_calls", arguments: [true, false])
    func toolCall(streaming: Bool) async throws {
        guard let local = Self.local else { return }
        var r = request("What is the weather in Paris today?", maxTokens: 64)
        r.tools = [ToolDefinition(name: "get_weather", description: "Current weather for a city", parameters: [
            "type": "object", "properties": ["city": ["type": "string"]], "required": ["city"],
        ])]
        r.toolChoice = .named("get_weather")
        let direct = await collectEvents(local, r)
        let sent = r
        try await withServer { remote, _ in
            let out = await collectEvents(remote(streaming), sent)
            #expect(out.error == nil, "\(String(describing: out.error))")
            let calls = try out.toolCalls()
            let directCalls = try direct.toolCalls()
            print("own server tool call (streaming \(streaming)): \(calls.map { "\($0.name)(\($0.arguments))" }) text \(out.text.debugDescription)")
            // The server passes the engine's tool calls through unchanged: the same calls, or the same text.
            #expect(calls.map(\.name) == directCalls.map(\.name))
            #expect(calls.map(\.arguments) == directCalls.map(\.arguments))
            #expect(out.text == direct.text)
            // The engine constrains the call and LocalModel reports it as a tool call, which the
            // server sends as OpenAI tool_calls (whole, or as streamed deltas).
            #expect(calls.count == 1 && calls.first?.name == "get_weather", "\(out.text)")
            #expect(calls.first?.arguments["city"]?.stringValue != nil)
            if out.stats?.finishReason != .length { #expect(out.stats?.finishReason == .toolCalls) }
        }
    }

    @Test("a JSON-schema constraint yields a valid document, or a 400 naming response_format where the engine cannot constrain",
          arguments: [true, false])
    func jsonSchema(streaming: Bool) async throws {
        guard let local = Self.local else { return }
        var r = request("Invent a person. Reply in JSON.", maxTokens: 80)
        r.constraint = .jsonSchema([
            "type": "object",
            "properties": ["name": ["type": "string"], "age": ["type": "integer"]],
            "required": ["name", "age"],
        ])
        let sent = r
        try await withServer { remote, _ in
            let out = await collectEvents(remote(streaming), sent)
            if local.capabilities.constrainedDecoding {
                #expect(out.error == nil, "\(String(describing: out.error))")
                print("own server json_schema (streaming \(streaming)): \(out.text)")
                let doc = try JSONValue(parsing: out.text)
                #expect(doc["name"]?.stringValue != nil)
                if case .int? = doc["age"] {} else { Issue.record("age is not an integer: \(out.text)") }
            } else {
                let error = try #require(out.error as? RemoteModelError)
                #expect(error.httpStatus == 400 && error.code == .requestRejected, "\(error)")
                #expect(error.param == "response_format", "\(error)")
            }
        }
    }

    @Test("a deadline ends the remote stream on time, and the server's generation stops with it")
    func deadline() async throws {
        try await withServer { remote, http in
            let out = await collectEvents(remote(true), request("Write a long story about a dragon.", maxTokens: 1500, deadline: .milliseconds(800)))
            #expect(out.elapsed < .milliseconds(950), "\(out.elapsed)")
            #expect(out.stats?.finishReason == .deadline || (out.error as? RemoteModelError)?.code == .deadlineExceeded,
                    "\(String(describing: out.stats)) \(String(describing: out.error))")
            // The server sees the hang-up and cancels the generation: no request stays active.
            var active = -1
            for _ in 0..<100 {
                let health = try JSONValue(parsing: try await http.send("GET", "/health").body)
                active = health["active_requests"]?.intValue ?? -1
                if active == 0 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(active == 0)
            let metrics = try await http.send("GET", "/metrics").body
            #expect(metric(metrics, "refinery_client_disconnects_total") >= 1)
        }
    }
}

/// What a generation produced, for comparing the remote path with the engine.
struct CollectedEvents: Sendable {
    var text = ""
    var toolDeltas: [ToolCallDelta] = []
    var stats: GenerationStats?
    var error: (any Error)?
    var elapsed: Duration = .zero
    var events = 0

    func toolCalls() throws -> [ToolCall] {
        var assembler = ToolCallAssembler()
        for d in toolDeltas { assembler.add(d) }
        return try assembler.toolCalls()
    }
}

/// Runs a generation to its end, collecting its events and the error it ended with.
func collectEvents(_ model: some LanguageModel, _ request: GenerationRequest) async -> CollectedEvents {
    var out = CollectedEvents()
    let start = ContinuousClock.now
    do {
        for try await event in model.generate(request) {
            out.events += 1
            switch event {
            case .text(let t, _): out.text += t
            case .toolCallDelta(let d): out.toolDeltas.append(d)
            case .finished(let s): out.stats = s
            }
        }
    } catch {
        out.error = error
    }
    out.elapsed = start.duration(to: .now)
    return out
}
