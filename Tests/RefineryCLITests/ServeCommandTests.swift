import RefineryCore
import Foundation
import RefineryTesting
import Testing

/// `refinery serve` as a user starts it: the default model, the access log, a busy port.
@Suite("refinery serve", .serialized, .timeLimit(.minutes(5)))
struct ServeCommandTests {
    /// A runner whose store holds SmolLM2 (linked) as the catalog's default model.
    static func runnerWithDefaultModel(_ model: String) throws -> CLIRunner {
        let cli = try CLIRunner()
        let models = "\(cli.home)/models"
        try FileManager.default.createDirectory(atPath: models, withIntermediateDirectories: true)
        for suffix in ["", ".verified"] where FileManager.default.fileExists(atPath: model + suffix) {
            try FileManager.default.createSymbolicLink(atPath: "\(models)/\(TestModels.defaultModel).gguf\(suffix)", withDestinationPath: model + suffix)
        }
        return cli
    }

    /// The port a started server prints once it listens.
    static func listeningPort(_ stderrPath: String) async throws -> Int? {
        var port: Int?
        try await Scratch.waitUntil("the server listens") {
            let text = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
            guard let range = text.range(of: "listening on http://127.0.0.1:") else { return false }
            port = Int(text[range.upperBound...].prefix { $0.isNumber })
            return true
        }
        return port
    }

    /// POSTs `body` to `path` with Python's urllib; returns the status.
    static func post(port: Int, path: String, body: String) async throws -> Int32 {
        let script = """
            import sys, urllib.request
            r = urllib.request.Request(sys.argv[1], data=sys.argv[2].encode(), headers={"Content-Type": "application/json"})
            urllib.request.urlopen(r, timeout=60).read()
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, "http://127.0.0.1:\(port)\(path)", body]
        try process.run()
        return try await ChatCommandTests.offPool {
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    @Test("without --model it serves the default model, logs one line per request, and a busy port is an error naming it")
    func defaultModelAccessLogAndBusyPort() async throws {
        guard let model = TestModels.pathOrSkip(TestModels.defaultModel) else { return }
        let cli = try Self.runnerWithDefaultModel(model)
        let server = try cli.start(["serve", "--port", "0"])
        defer { if server.0.isRunning { server.0.terminate() } }
        let port = try #require(try await Self.listeningPort(server.stderr))
        let body = #"{"model": "qwen2.5-coder-0.5b-instruct", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 4}"#
        #expect(try await Self.post(port: port, path: "/v1/chat/completions", body: body) == 0)
        #expect(try await Self.post(port: port, path: "/v1/completions",
                                    body: #"{"model": "qwen2.5-coder-0.5b-instruct", "prompt": "The sky is", "max_tokens": 3}"#) == 0)

        let second = try await cli.run(["serve", "--port", "\(port)"])
        #expect(second.status == 1)
        #expect(second.stderr.contains("cannot listen on 127.0.0.1:\(port): the address is already in use"), "\(second.stderr)")

        server.0.interrupt()
        let result = cli.finish(server)
        #expect(result.stderr.contains("(qwen2.5-coder-0.5b-instruct, agent:writer"), "\(result.stderr)")
        let access = result.stderr.split(separator: "\n").filter { $0.contains(" status=") }
        #expect(access.count == 2, "\(result.stderr)")
        #expect(access.first?.contains("POST /v1/chat/completions model=qwen2.5-coder-0.5b-instruct status=200 prompt_tokens=") == true)
        #expect(access.last?.contains("POST /v1/completions model=qwen2.5-coder-0.5b-instruct status=200 prompt_tokens=") == true)
        #expect(access.allSatisfy { $0.contains(" completion_tokens=") && $0.contains(" ms=") })
    }

    @Test("--log-level debug shows run's plans and steps on standard error")
    func debugRun() async throws {
        guard let model = TestModels.pathOrSkip(TestModels.smolLM2) else { return }
        let cli = try CLIRunner()
        let result = try await cli.run(["--log-level", "debug", "run", "writer", "Something about rain.", "--model", model, "--deadline", "3s"])
        #expect(result.status == 3, "\(result.stderr)")  // answered; nothing to check by code
        let lines = result.stderr.split(separator: "\n").filter { $0.contains("refinery.run") }
        #expect(lines.contains { $0.contains("plan start: ") }, "\(result.stderr)")
        #expect(lines.contains { $0.contains("step draft ") })
    }
}
