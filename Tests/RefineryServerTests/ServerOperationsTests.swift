import RefineryCore
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Refinery
import RefineryServer
import RefineryTesting
import Testing

@Suite("Access log and start-up errors")
struct ServerOperationsTests {
    @Test("each request logs one info line: method, path, model, status, tokens, milliseconds")
    func accessLog() async throws {
        let store = CapturingLogHandler.Store()
        let logger = Logger(label: "test.access") { _ in CapturingLogHandler(store: store) }
        let model = ScriptedModel(replies: [.init("Hi there", chunks: ["Hi", " there"]), .init("a b", chunks: ["a", " b"])])
        let server = OpenAICompatibleServer(configuration: ServerConfiguration(host: "127.0.0.1", port: 0),
                                            models: [ServedModel(model)], agents: [ReasoningAgent()], logger: logger)
        try await server.application().test(.live) { client in
            let http = RawHTTP(port: client.port!)
            _ = try await http.send("POST", "/v1/chat/completions", body: chatBody())
            _ = try await http.send("POST", "/v1/chat/completions", body: chatBody(model: "agent:thinker", #""stream": true"#))
            _ = try await http.send("POST", "/v1/completions", body: #"{"model": "scripted", "prompt": "x"}"#)
            _ = try await http.send("POST", "/v1/chat/completions", body: chatBody(model: "missing"))
            _ = try await http.send("GET", "/health")
        }
        let lines = store.all.filter { $0.0 == .info && $0.1.contains(" status=") }.map(\.1)
        #expect(lines.count == 5)
        let pattern = /^(GET|POST) (\S+) model=(\S+) status=(\d+)( prompt_tokens=\d+ completion_tokens=\d+)? ms=\d+$/
        #expect(lines.allSatisfy { $0.wholeMatch(of: pattern) != nil }, "\(lines)")
        let first = try #require(lines.first)
        #expect(first.hasPrefix("POST /v1/chat/completions model=scripted status=200 prompt_tokens="))
        #expect(first.contains(" completion_tokens=2 "))
        #expect(lines.contains { $0.hasPrefix("POST /v1/chat/completions model=agent:thinker status=200 prompt_tokens=30 completion_tokens=12 ") })
        #expect(lines.contains { $0.hasPrefix("POST /v1/completions model=scripted status=200 prompt_tokens=") })
        #expect(lines.contains { $0.hasPrefix("POST /v1/chat/completions model=missing status=404 ms=") })
        #expect(lines.contains { $0.hasPrefix("GET /health model=- status=200 ms=") })
    }

    @Test("a port already in use is an error naming the host and the port")
    func bindError() async throws {
        let first = OpenAICompatibleServer(configuration: ServerConfiguration(host: "127.0.0.1", port: 0), models: [])
        try await first.application().test(.live) { client in
            let port = try #require(client.port)
            var logger = Logger(label: "test.second")
            logger.logLevel = .critical
            let second = OpenAICompatibleServer(configuration: ServerConfiguration(host: "127.0.0.1", port: port), models: [],
                                                logger: logger)
            let attempt = Task { try await second.run { _ in Issue.record("the second server must not listen") } }
            // Should the bind succeed after all, the test ends instead of serving forever.
            let watchdog = Task {
                try await Task.sleep(for: .seconds(10))
                attempt.cancel()
            }
            let result = await attempt.result
            watchdog.cancel()
            let error: ServerStartError?
            switch result {
            case .success: error = nil
            case .failure(let failure): error = failure as? ServerStartError
            }
            #expect(error?.isAddressInUse == true, "\(result)")
            #expect(error?.host == "127.0.0.1")
            #expect(error?.port == port)
            #expect(error?.description == "cannot listen on 127.0.0.1:\(port): the address is already in use (is another server running there? choose another port)")
        }
    }
}
