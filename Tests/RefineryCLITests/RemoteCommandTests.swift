import RefineryCore
import Foundation
import RefineryInference
import Testing

/// `refinery run` and `refinery generate` with `--remote`, against the scripted loopback
/// OpenAI-compatible server of the remote backend's tests.
@Suite("refinery run and generate --remote", .serialized, .timeLimit(.minutes(3)))
struct RemoteCommandTests {
    /// Runs `body` with the base URL of a scripted server answering every request with scenario `scenario`.
    static func withScriptedServer(_ scenario: String, _ body: (String) async throws -> Void) async throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("RefineryOpenAITests/Fixtures/openai_test_server.py").path
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["python3", script]
        let stdout = Pipe(), stdin = Pipe()
        server.standardOutput = stdout
        server.standardInput = stdin
        try server.run()
        defer {
            try? stdin.fileHandleForWriting.close()
            server.waitUntilExit()
        }
        let first = String(decoding: stdout.fileHandleForReading.availableData, as: UTF8.self)
        let port = try #require(
            first.split(separator: "\n").first.flatMap { $0.hasPrefix("PORT ") ? Int($0.dropFirst(5)) : nil })
        try await body("http://127.0.0.1:\(port)/s/\(scenario)/cli-\(UUID().uuidString)/v1")
    }

    @Test("run AGENT --remote URL --remote-model NAME runs the agent on the remote model alone")
    func runRemote() async throws {
        try await Self.withScriptedServer("ok") { url in
            let result = try await ProgramRunner.run(
                "refinery", ["run", "writer", "--remote", url, "--remote-model", "test", "--deadline", "10s", "--json", "Say hello."])
            // Nothing in "Say hello." can be checked by code: answered, unverified, exit status 3.
            #expect(result.status == 3, "\(result.stderr)")
            let json = try JSONValue(parsing: result.stdout)
            #expect(json["answer"]?.stringValue?.isEmpty == false)
            #expect(["unverified", "draft_only"].contains(json["outcome"]?.stringValue ?? ""))
            guard case .array(let steps)? = json["steps"] else {
                Issue.record("no steps: \(result.stdout)")
                return
            }
            #expect(!steps.isEmpty)
        }
    }

    @Test("generate --remote streams the remote completion; --json gives its figures")
    func generateRemote() async throws {
        try await Self.withScriptedServer("ok") { url in
            let plain = try await ProgramRunner.run("refinery", ["generate", "--remote", url, "--remote-model", "test", "Hi"])
            #expect(plain.status == 0, "\(plain.stderr)")
            #expect(!plain.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
            #expect(plain.stderr.contains("[test: "))
            let json = try await ProgramRunner.run(
                "refinery", ["generate", "--remote", url, "--remote-model", "test", "--greedy", "--json", "Hi"])
            #expect(json.status == 0, "\(json.stderr)")
            let value = try JSONValue(parsing: json.stdout)
            #expect(value["text"]?.stringValue == plain.stdout.trimmingCharacters(in: .newlines))
            #expect(value["finish_reason"]?.stringValue == "stop")
        }
    }

    @Test("remote options are checked before anything runs, naming the option")
    func refusals() async throws {
        // (Without --model or --remote, `generate` runs on the catalog's default model, as `run` does.)
        let noName = try await ProgramRunner.run("refinery", ["run", "writer", "--remote", "http://127.0.0.1:9/v1", "x"])
        #expect(noName.status != 0 && noName.stderr.contains("--remote needs --remote-model"), "\(noName.stderr)")
        let both = try await ProgramRunner.run(
            "refinery", ["generate", "--model", "m", "--remote", "vllm", "--remote-model", "x", "Hi"])
        #expect(both.status != 0 && both.stderr.contains("not both"), "\(both.stderr)")
        let unknown = try await ProgramRunner.run("refinery", ["run", "writer", "--remote", "nowhere", "--remote-model", "x", "Hi"])
        #expect(unknown.status != 0 && unknown.stderr.contains("neither a preset"), "\(unknown.stderr)")
        let keyless = try await ProgramRunner.run(
            "refinery", ["generate", "--remote", "groq", "--remote-model", "x", "Hi"], removing: ["GROQ_API_KEY"])
        #expect(keyless.status != 0 && keyless.stderr.contains("GROQ_API_KEY"), "\(keyless.stderr)")
    }
}
