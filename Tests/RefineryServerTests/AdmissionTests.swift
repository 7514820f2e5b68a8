import RefineryCore
import Foundation
import Hummingbird
import Logging
import Refinery
import RefineryServer
import RefineryTesting
import ServiceLifecycle
import Testing

@Suite("Queue, disconnects and shutdown")
struct AdmissionTests {
    @Test("a full queue answers 429 with Retry-After; the next request after it drains succeeds")
    func queueFull() async throws {
        let model = ScriptedModel(replies: [.init("slow", chunks: ["s", "l", "o", "w"], delayPerChunk: .milliseconds(200))])
        var harness = ServerHarness(models: [ServedModel(model)])
        harness.configuration.maxConcurrentRequests = 1
        harness.configuration.maxQueuedRequests = 1
        harness.configuration.retryAfterSeconds = 2
        try await harness.run { http, _ in
            async let first = http.send("POST", "/v1/chat/completions", body: chatBody())
            try await Task.sleep(for: .milliseconds(150))
            async let second = http.send("POST", "/v1/chat/completions", body: chatBody())
            try await Task.sleep(for: .milliseconds(150))
            let third = try await http.send("POST", "/v1/chat/completions", body: chatBody())
            #expect(third.status == 429)
            #expect(third.header("retry-after") == "2")
            #expect(try json(third)["error"]?["type"] == "rate_limit_error")
            #expect(try await first.status == 200)
            #expect(try await second.status == 200)
            #expect(try await http.send("POST", "/v1/chat/completions", body: chatBody()).status == 200)
            let metrics = try await http.send("GET", "/metrics").body
            #expect(metric(metrics, "refinery_rejected_requests_total") == 1)
            #expect(metric(metrics, "refinery_queue_depth") == 0)
        }
    }

    @Test("a client that hangs up mid-stream cancels its generation at once")
    func disconnectStreaming() async throws {
        let model = EndlessModel()
        try await ServerHarness(models: [ServedModel(model)]).run { http, _ in
            _ = try await http.sendAndHangUp("POST", "/v1/chat/completions", body: chatBody(model: "endless", #""stream": true"#),
                                             after: "first")
            let hungUp = ContinuousClock.now
            try await waitUntil { !model.terminations.isEmpty }
            let terminated = try #require(model.terminations.first)
            #expect(hungUp.duration(to: terminated) < .milliseconds(500))
            try await waitUntil { (try? await http.send("GET", "/health")).flatMap { try? json($0)["active_requests"]?.intValue } == 0 }
            #expect(metric(try await http.send("GET", "/metrics").body, "refinery_client_disconnects_total") == 1)
        }
    }

    @Test("a client that hangs up while waiting for a whole reply cancels its generation at once")
    func disconnectNonStreaming() async throws {
        let model = EndlessModel()
        try await ServerHarness(models: [ServedModel(model)]).run { http, _ in
            _ = try await http.sendAndHangUp("POST", "/v1/chat/completions", body: chatBody(model: "endless"), after: nil,
                                             when: { model.started == 1 })
            let hungUp = ContinuousClock.now
            #expect(model.started == 1)
            try await waitUntil { !model.terminations.isEmpty }
            let terminated = try #require(model.terminations.first)
            #expect(hungUp.duration(to: terminated) < .milliseconds(500))
        }
    }

    @Test("graceful shutdown lets an in-flight request finish")
    func gracefulShutdown() async throws {
        let model = ScriptedModel(replies: [.init("done", chunks: ["d", "o", "n", "e"], delayPerChunk: .milliseconds(150))])
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let server = OpenAICompatibleServer(configuration: ServerConfiguration(port: 0), models: [ServedModel(model)], logger: logger)
        let (portStream, portContinuation) = AsyncStream<Int>.makeStream()
        let group = ServiceGroup(configuration: .init(
            services: [server.application { channel in portContinuation.yield(channel.localAddress?.port ?? 0) }], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var ports = portStream.makeAsyncIterator()
            let port = try #require(await ports.next())
            let http = RawHTTP(port: port)
            async let reply = http.send("POST", "/v1/chat/completions", body: chatBody())
            try await Task.sleep(for: .milliseconds(200))
            await group.triggerGracefulShutdown()
            let r = try await reply
            #expect(r.status == 200)
            #expect(try json(r)["choices"]?[0]?["message"]?["content"] == "done")
            try await tasks.waitForAll()
        }
    }
}

/// Polls `condition` every 10 ms for up to 5 s.
func waitUntil(_ condition: @Sendable () async -> Bool) async throws {
    let limit = ContinuousClock.now.advanced(by: .seconds(5))
    while !(await condition()) {
        guard ContinuousClock.now < limit else {
            Issue.record("condition not met within 5 s")
            return
        }
        try await Task.sleep(for: .milliseconds(10))
    }
}
