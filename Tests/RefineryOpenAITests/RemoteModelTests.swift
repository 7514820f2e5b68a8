import RefineryCore
import Foundation
import Refinery
import RefineryOpenAI
import Testing

/// Tests against the loopback server. They run one at a time: some measure timing, and the
/// leak check reads process-wide figures (file descriptors, threads, active transfers).
/// "Ends by the deadline" allows 200–250 ms of slack for a loaded CI machine; the cancel
/// latency itself (cancel request to the handle's removal, on the transport's thread) is held
/// to 50 ms.
@Suite("Remote model over loopback", .serialized, .timeLimit(.minutes(3)))
struct RemoteModelTests {
    static let fast = RetryPolicy(maxAttempts: 4, initialBackoff: .milliseconds(20), maxBackoff: .milliseconds(100))

    func model(_ baseURL: String, streaming: Bool = true, retry: RetryPolicy = fast, key: String? = nil) -> OpenAICompatibleModel {
        OpenAICompatibleModel(configuration: RemoteModelConfiguration(
            baseURL: baseURL, model: "scripted", apiKey: key.map(APIKey.init), streaming: streaming, retryPolicy: retry))
    }

    func ask(deadline: Duration = .seconds(10)) -> GenerationRequest {
        .chat([.system("You are terse."), .user("Say hello.")], maxTokens: 16, deadline: .after(deadline))
    }

    var server: TestServer { get throws { try TestServer.scripted.get() } }
    var proxy: TestServer { get throws { try TestServer.proxy.get() } }
}

// MARK: - Replies

extension RemoteModelTests {
    @Test("streaming: text deltas in order, then usage as stats", arguments: [true, false])
    func plain(streaming: Bool) async throws {
        let r = await collect(model(try server.scenario("ok"), streaming: streaming), ask())
        #expect(r.error == nil, "\(String(describing: r.error))")
        #expect(r.text == "Hello, world!")
        #expect(r.events == (streaming ? 4 : 2))
        let stats = try #require(r.stats)
        #expect(stats.finishReason == .stop)
        #expect(stats.promptTokens == 12 && stats.generatedTokens == 4 && stats.cachedTokens == 3)
        #expect(stats.prefillTime >= .zero && stats.decodeTime >= .zero)
    }

    @Test("the request on the wire: model, messages, tools, strict json_schema, stream options, auth")
    func wire() async throws {
        var request = ask()
        request.tools = [ToolDefinition(name: "get_weather", description: "Weather by city", parameters: [
            "type": "object", "properties": ["city": ["type": "string"]], "required": ["city"],
        ])]
        request.constraint = .jsonSchema(["type": "object", "properties": ["answer": ["type": "string"]]])
        let r = await collect(model(try server.scenario("echo"), key: "sk-test-key"), request)
        #expect(r.error == nil)
        let sent = try JSONValue(parsing: r.text)
        #expect(sent["model"] == "scripted")
        #expect(sent["messages"] == [["role": "system", "content": "You are terse."], ["role": "user", "content": "Say hello."]])
        #expect(sent["tools"]?.arrayValue?.first?["function"]?["name"] == "get_weather")
        #expect(sent["tool_choice"] == "auto")
        #expect(sent["response_format"]?["json_schema"]?["strict"] == true)
        #expect(sent["stream"] == true && sent["stream_options"] == ["include_usage": true] && sent["max_tokens"] == 16)
    }

    @Test("parallel tool calls: streamed deltas and whole replies assemble to the same calls", arguments: [true, false])
    func tools(streaming: Bool) async throws {
        let r = await collect(model(try server.scenario("tools"), streaming: streaming), ask())
        #expect(r.error == nil)
        #expect(r.stats?.finishReason == .toolCalls)
        #expect(try r.toolCalls() == [
            ToolCall(id: "call_a", name: "get_weather", arguments: ["city": "Paris"]),
            ToolCall(id: "call_b", name: "get_time", arguments: ["tz": "CET"]),
        ])
    }

    @Test("unknown fields are ignored; CRLF, comments and one-byte chunks parse")
    func tolerant() async throws {
        #expect(await collect(model(try server.scenario("unknown-fields")), ask()).text == "Hello, world!")
        #expect(await collect(model(try server.scenario("unknown-fields"), streaming: false), ask()).text == "Hello, world!")
        let crlf = await collect(model(try server.scenario("crlf")), ask())
        #expect(crlf.error == nil && crlf.text == "Hello" && crlf.stats?.finishReason == .stop)
    }
}

// MARK: - Typed errors

extension RemoteModelTests {
    func expectError(
        _ scenario: String, _ code: RemoteModelError.Code, streaming: Bool = true, retry: RetryPolicy = fast, key: String? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Collected {
        let r = await collect(model(try server.scenario(scenario), streaming: streaming, retry: retry, key: key), ask())
        #expect(r.remoteError?.code == code, "\(scenario): \(String(describing: r.error))", sourceLocation: sourceLocation)
        #expect(r.stats == nil, sourceLocation: sourceLocation)
        if let excerpt = r.remoteError?.excerpt {
            #expect(excerpt.utf8.count <= RemoteModelError.excerptLimit + 3, sourceLocation: sourceLocation)
        }
        return r
    }

    @Test("an error object mid-stream is a providerError carrying the provider's message and code")
    func midStreamError() async throws {
        let r = try await expectError("mid-error", .providerError)
        #expect(r.text == "partial ")
        #expect(r.remoteError?.message == "The model is overloaded" && r.remoteError?.providerCode == "overloaded")
    }

    @Test("malformed JSON, HTML pages and non-JSON bodies are invalidResponse with a bounded excerpt")
    func malformed() async throws {
        let m = try await expectError("malformed", .invalidResponse)
        #expect(m.remoteError?.excerpt?.hasPrefix("{\"choices\"") == true)
        let html = try await expectError("html200", .invalidResponse, streaming: false)
        #expect(html.remoteError?.message.contains("HTML") == true)
        let streamedHTML = try await expectError("html200", .invalidResponse)
        #expect(streamedHTML.remoteError?.httpStatus == 200)
        _ = try await expectError("badjson", .invalidResponse, streaming: false)
    }

    @Test("an HTML 502 page is a serverError with the status, retried up to the policy's attempts")
    func htmlGateway() async throws {
        let key = UUID().uuidString
        let r = await collect(model(try server.scenario("html", key: key)), ask())
        let e = try #require(r.remoteError)
        #expect(e.code == .serverError && e.httpStatus == 502 && e.attempts == 4)
        #expect(e.message.contains("HTML"))
        #expect(e.excerpt?.hasPrefix("<html><head><title>502 Bad Gateway") == true)
        #expect(e.excerpt?.hasSuffix("…") == true && (e.excerpt?.utf8.count ?? 0) <= RemoteModelError.excerptLimit + 3)
        #expect(try await server.stats(key: key).attempts == 4)
    }

    @Test("a 400 validation error is never retried and names the parameter")
    func validationError() async throws {
        let key = UUID().uuidString
        let r = await collect(model(try server.scenario("status400", key: key)), ask())
        let e = try #require(r.remoteError)
        #expect(e.code == .requestRejected && e.httpStatus == 400 && e.attempts == 1 && e.param == "messages")
        #expect(e.providerType == "invalid_request_error" && e.message == "Invalid 'messages': empty array")
        #expect(try await server.stats(key: key).attempts == 1)
    }

    @Test("a 401 is authenticationFailed and the key the server echoes is redacted everywhere")
    func authentication() async throws {
        let r = try await expectError("auth", .authenticationFailed, key: "sk-test-SECRET-4242")
        let e = try #require(r.remoteError)
        #expect(e.attempts == 1)
        for text in [e.message, e.excerpt ?? "", e.description, String(describing: r.error!)] {
            #expect(!text.contains("SECRET-4242"), "\(text)")
        }
        #expect(e.message.contains("[REDACTED]"))
    }

    @Test("excerpts stay bounded and keep no piece of the key, wherever the cut falls")
    func excerptRedaction() async throws {
        let key = "sk-0123456789abcdef"
        for padding in stride(from: 480, through: 520, by: 4) {
            let r = await collect(model(try server.scenario("auth-padded:\(padding)"), key: key), ask())
            let e = try #require(r.remoteError)
            let excerpt = e.excerpt ?? ""
            #expect(e.code == .authenticationFailed && excerpt.utf8.count <= RemoteModelError.excerptLimit + 3)
            #expect(!excerpt.contains("sk-0123") && !excerpt.contains("abcdef"), "padding \(padding): \(excerpt.suffix(40))")
        }
    }

    @Test("a stream cut short, cleanly or mid-event, is truncatedStream after the text it had")
    func truncated() async throws {
        #expect(try await expectError("truncate", .truncatedStream).text == "Hello")
        #expect(try await expectError("truncate-mid-event", .truncatedStream).text == "Hel")
    }

    @Test("a connection dropped mid-stream after output is connectionFailed, not retried")
    func droppedMidStream() async throws {
        let key = UUID().uuidString
        let r = await collect(model(try server.scenario("drop-mid", key: key)), ask())
        #expect(r.remoteError?.code == .connectionFailed && r.text == "Hel")
        #expect(try await server.stats(key: key).attempts == 1)
    }

    @Test("raw prompts are refused before anything is sent")
    func rawPrompt() async throws {
        let r = await collect(model(try server.scenario("ok")), GenerationRequest(prompt: .raw("<|im_start|>")))
        #expect(r.remoteError?.code == .unsupportedRequest)
    }
}

// MARK: - Retries

extension RemoteModelTests {
    @Test("500s, then success: retried with backoff", arguments: ["flaky:500:2:-", "flaky:503:3:-", "drop:2"])
    func retriedUntilSuccess(scenario: String) async throws {
        let key = UUID().uuidString
        let r = await collect(model(try server.scenario(scenario, key: key)), ask())
        #expect(r.error == nil, "\(String(describing: r.error))")
        #expect(r.text == "Hello, world!")
        let expected = Int(scenario.split(separator: ":")[scenario.hasPrefix("drop") ? 1 : 2])! + 1
        #expect(try await server.stats(key: key).attempts == expected)
    }

    @Test("a 429 with Retry-After: 1 waits at least a second, then succeeds")
    func retryAfter() async throws {
        let r = await collect(model(try server.scenario("flaky:429:1:1")), ask())
        #expect(r.error == nil && r.text == "Hello, world!")
        #expect(r.elapsed >= .seconds(1) && r.elapsed < .seconds(3))
    }

    @Test("a Retry-After beyond the deadline ends at once with rateLimited")
    func retryAfterPastDeadline() async throws {
        let key = UUID().uuidString
        let r = await collect(model(try server.scenario("flaky:429:5:30", key: key)), ask(deadline: .seconds(2)))
        let e = try #require(r.remoteError)
        #expect(e.code == .rateLimited && e.httpStatus == 429 && e.retryAfter == .seconds(30) && e.attempts == 1)
        #expect(r.elapsed < .milliseconds(500))
    }

    @Test("persistent 503s end by the deadline with serverError, after several attempts")
    func persistentFailure() async throws {
        let slow = RetryPolicy(maxAttempts: 50, initialBackoff: .milliseconds(100), maxBackoff: .milliseconds(400))
        let r = await collect(model(try server.scenario("flaky:503:1000:-"), retry: slow), ask(deadline: .milliseconds(1500)))
        let e = try #require(r.remoteError)
        #expect(e.code == .serverError && e.attempts >= 3)
        #expect(r.elapsed <= .milliseconds(1800))
    }

    @Test("connection refused is connectionFailed by the deadline")
    func refused() async throws {
        // A port that was just free: bind, read it, close.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        close(fd)
        let port = Int(UInt16(bigEndian: addr.sin_port))
        let r = await collect(model("http://127.0.0.1:\(port)/v1"), ask(deadline: .seconds(1)))
        let e = try #require(r.remoteError)
        #expect(e.code == .connectionFailed && e.attempts >= 2)
        #expect(r.elapsed <= .milliseconds(1300))
    }
}

// MARK: - Deadlines and cancellation

extension RemoteModelTests {
    @Test("no response head before the deadline: deadlineExceeded, on time")
    func stallBeforeHead() async throws {
        let key = UUID().uuidString
        let r = await collect(model(try server.scenario("stall-head", key: key)), ask(deadline: .milliseconds(300)))
        #expect(r.remoteError?.code == .deadlineExceeded)
        #expect(r.elapsed >= .milliseconds(290) && r.elapsed < .milliseconds(600), "\(r.elapsed)")
        try await waitFor { try await server.stats(key: key).disconnects == 1 }
    }

    @Test("a stall mid-stream ends at the deadline with the text so far and finish reason deadline")
    func stallMidStream() async throws {
        let key = UUID().uuidString
        let r = await collect(model(try server.scenario("stall", key: key)), ask(deadline: .milliseconds(400)))
        #expect(r.error == nil)
        #expect(r.text == "Hel" && r.stats?.finishReason == .deadline)
        #expect(r.elapsed >= .milliseconds(390) && r.elapsed < .milliseconds(650), "\(r.elapsed)")
        try await waitFor { try await server.stats(key: key).disconnects == 1 }
    }

    @Test("a server that keeps the stream open after [DONE] does not hold the generation; the transfer is released")
    func doneThenOpen() async throws {
        let key = UUID().uuidString
        let r = await collect(model(try server.scenario("done-open", key: key)), ask())
        #expect(r.error == nil && r.text == "Hello" && r.stats?.finishReason == .stop)
        #expect(r.elapsed < .milliseconds(400), "\(r.elapsed)")
        try await waitFor { OpenAICompatibleModel.transportStatistics.activeTransfers == 0 }
        try await waitFor { try await server.stats(key: key).disconnects == 1 }
    }

    @Test("cancelling the consuming task aborts the transfer within 50 ms")
    func cancel() async throws {
        let key = UUID().uuidString
        let m = model(try server.scenario("slow", key: key))
        let firstEvent = AsyncStream<Void>.makeStream()
        let task = Task {
            var n = 0
            for try await _ in m.generate(ask(deadline: .seconds(30))) {
                n += 1
                if n == 1 { firstEvent.continuation.yield() }
            }
            return n
        }
        for await _ in firstEvent.stream { break }
        let before = OpenAICompatibleModel.transportStatistics.cancelledTransfers
        let cancelledAt = ContinuousClock.now
        task.cancel()
        _ = await task.result
        let consumerLatency = cancelledAt.duration(to: .now)
        try await waitFor { OpenAICompatibleModel.transportStatistics.cancelledTransfers == before + 1 }
        let stats = OpenAICompatibleModel.transportStatistics
        print("cancel: consumer released after \(consumerLatency), transfer removed \(stats.lastCancelLatency) after the cancel")
        #expect(consumerLatency < .milliseconds(100))
        #expect(stats.lastCancelLatency < .milliseconds(50))
        #expect(stats.activeTransfers == 0)
        try await waitFor { try await server.stats(key: key).disconnects == 1 }
    }

    @Test("dropping the stream early (break) cancels the transfer too")
    func dropStream() async throws {
        let key = UUID().uuidString
        let m = model(try server.scenario("slow", key: key))
        do {
            for try await _ in m.generate(ask()) { break }
        }
        try await waitFor { OpenAICompatibleModel.transportStatistics.activeTransfers == 0 }
        try await waitFor { try await server.stats(key: key).disconnects == 1 }
    }

    @Test("a slow consumer pauses the transfer (bounded buffering) and still gets every byte")
    func backpressure() async throws {
        var config = RemoteModelConfiguration(baseURL: try server.scenario("big:4000"), model: "m", retryPolicy: Self.fast)
        config.streamBufferBytes = 16 << 10
        let m = OpenAICompatibleModel(configuration: config)
        let pausesBefore = OpenAICompatibleModel.transportStatistics.pauses
        var text = 0
        var finished: GenerationStats?
        var first = true
        for try await event in m.generate(ask(deadline: .seconds(30))) {
            switch event {
            case .text(let t, _): text += t.utf8.count
            case .finished(let s): finished = s
            case .toolCallDelta: break
            }
            if first {
                first = false
                try await Task.sleep(for: .milliseconds(300))
            }
        }
        #expect(text == 4000 * 100)
        #expect(finished?.finishReason == .length)
        #expect(OpenAICompatibleModel.transportStatistics.pauses > pausesBefore)
    }

    @Test("2000 cancelled requests leak no threads, descriptors or transfers")
    func noLeaks() async throws {
        let m = model(try server.scenario("slow", key: "leak"))
        func cancelOne() async throws -> Duration {
            let before = OpenAICompatibleModel.transportStatistics.cancelledTransfers
            let request = ask(deadline: .seconds(30))
            let task = Task {
                for try await _ in m.generate(request) {}
            }
            // Let the transfer start and events flow.
            try await waitFor(interval: .milliseconds(1)) { OpenAICompatibleModel.transportStatistics.activeTransfers == 1 }
            try await Task.sleep(for: .milliseconds(2))
            task.cancel()
            _ = await task.result
            try await waitFor(interval: .microseconds(200)) {
                OpenAICompatibleModel.transportStatistics.cancelledTransfers == before + 1
                    && OpenAICompatibleModel.transportStatistics.activeTransfers == 0
            }
            return OpenAICompatibleModel.transportStatistics.lastCancelLatency
        }
        for _ in 0..<50 { _ = try await cancelOne() }  // warm up: driver thread, connection cache
        try await Task.sleep(for: .milliseconds(200))
        let start = processResources()
        var latencies: [Duration] = []
        for _ in 0..<2000 { latencies.append(try await cancelOne()) }
        try await Task.sleep(for: .milliseconds(300))
        let end = processResources()
        latencies.sort()
        let p50 = latencies[latencies.count / 2], p99 = latencies[latencies.count * 99 / 100], max = latencies.last!
        print("leak check: 2000 cancels; cancel-to-removal p50 \(p50), p99 \(p99), max \(max); "
            + "fds \(start.map { "\($0.fds)" } ?? "?") -> \(end.map { "\($0.fds)" } ?? "?"), "
            + "threads \(start.map { "\($0.threads)" } ?? "?") -> \(end.map { "\($0.threads)" } ?? "?")")
        #expect(p99 < .milliseconds(50))
        #expect(OpenAICompatibleModel.transportStatistics.activeTransfers == 0)
        if let start, let end {
            #expect(end.fds - start.fds < 8)
            #expect(end.threads - start.threads < 4)
        }
    }
}

// MARK: - The fault-injecting proxy

extension RemoteModelTests {
    @Test("through the proxy: clean, dropped connections and injected 500s/429s end in success")
    func proxyRecovers() async throws {
        for fault in ["pass", "drop:1", "status:500:2:-", "status:429:1:1"] {
            let key = UUID().uuidString
            for streaming in [true, false] {
                let r = await collect(model(try proxy.fault(fault, key: key + "\(streaming)"), streaming: streaming), ask())
                #expect(r.error == nil, "\(fault): \(String(describing: r.error))")
                #expect(r.text == "Hello, world!", "\(fault)")
                if fault.hasPrefix("status:429") { #expect(r.elapsed >= .seconds(1)) }
            }
        }
    }

    @Test("through the proxy: stalls, cuts and truncations end by the deadline with the right outcome")
    func proxyFaults() async throws {
        let deadline = Duration.milliseconds(600)
        // Nothing forwarded before the stall: no text, so the deadline is an error.
        let stallEarly = await collect(model(try proxy.fault("stall:1")), ask(deadline: deadline))
        #expect(stallEarly.remoteError?.code == .deadlineExceeded)
        // Stalled after the first events: the text so far, finish reason deadline.
        let stallLate = await collect(model(try proxy.fault("stall:400")), ask(deadline: deadline))
        #expect(stallLate.error == nil && stallLate.stats?.finishReason == .deadline && stallLate.text.hasPrefix("Hello"))
        // Connection cut after some events: connectionFailed with the text so far.
        let cut = await collect(model(try proxy.fault("cut:400")), ask(deadline: deadline))
        #expect(cut.remoteError?.code == .connectionFailed && !cut.text.isEmpty)
        // The stream ends cleanly but early: truncatedStream.
        let truncated = await collect(model(try proxy.fault("truncate:400")), ask(deadline: deadline))
        #expect(truncated.remoteError?.code == .truncatedStream)
        // Persistent 503s from the proxy: serverError by the deadline.
        let failing = await collect(model(try proxy.fault("status:503:1000:-")), ask(deadline: deadline))
        #expect(failing.remoteError?.code == .serverError)
        for r in [stallEarly, stallLate, cut, truncated, failing] {
            #expect(r.elapsed <= deadline + .milliseconds(250), "\(r.elapsed)")
        }
    }
}

/// Polls `condition` until it holds (or fails the test after `timeout`).
func waitFor(
    timeout: Duration = .seconds(2), interval: Duration = .milliseconds(5), sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () async throws -> Bool
) async throws {
    let end = ContinuousClock.now + timeout
    while ContinuousClock.now < end {
        if try await condition() { return }
        try await Task.sleep(for: interval)
    }
    Issue.record("condition not met within \(timeout)", sourceLocation: sourceLocation)
}
