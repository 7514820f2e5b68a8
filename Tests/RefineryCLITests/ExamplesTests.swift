import RefineryCore
import Foundation
import RefineryTesting
import Testing

/// Every example, built and run as a user would.
@Suite("examples", .serialized, .timeLimit(.minutes(5)))
struct ExamplesTests {
    static var modelEnvironment: [String: String]? {
        TestModels.path(TestModels.smolLM2).map { ["REFINERY_MODEL": $0] }
    }

    @Test("hello-agent answers with the writer agent within its deadline")
    func helloAgent() async throws {
        guard let environment = Self.modelEnvironment else {
            print("skipped: \(TestModels.missingReason(TestModels.smolLM2))")
            return
        }
        let result = try await ProgramRunner.run("hello-agent", [], environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        let last = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.hasPrefix("["))
        #expect(last.contains(" ms, "))
        let ms = Int(last.split(separator: " ")[2]) ?? .max
        #expect(ms <= 3000 + Int(RunCommandTests.slackMS))
        #expect(lines(of: "Examples/hello-agent/main.swift") <= 25)
    }

    @Test("typed-extraction prints a decoded value or says why there is none")
    func typedExtraction() async throws {
        guard let environment = Self.modelEnvironment else {
            print("skipped: \(TestModels.missingReason(TestModels.smolLM2))")
            return
        }
        let result = try await ProgramRunner.run("typed-extraction", [], environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("title: ") || result.stdout.hasPrefix("no valid Meeting by the deadline"))
    }

    @Test("custom-tool runs a valid call and refuses an invalid one before the tool sees it")
    func customTool() async throws {
        let result = try await ProgramRunner.run("custom-tool", [], removing: ["REFINERY_MODEL"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.contains("\"celsius\"") == true)
        #expect(lines.contains("1: 212"))
        #expect(lines.contains { $0.hasPrefix("2: error: ") })
    }

    @Test("remote-model says which variables to set when none are")
    func remoteModelWithoutEnvironment() async throws {
        let result = try await ProgramRunner.run(
            "remote-model", [], removing: ["REFINERY_REMOTE", "REFINERY_REMOTE_MODEL"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("REFINERY_REMOTE is not set"))
    }

    @Test("remote-model runs the writer agent against a loopback OpenAI-compatible server")
    func remoteModelLoopback() async throws {
        try await RemoteCommandTests.withScriptedServer("ok") { base in
            let result = try await ProgramRunner.run(
                "remote-model", ["Say hello."], environment: ["REFINERY_REMOTE": base, "REFINERY_REMOTE_MODEL": "test"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.split(separator: "\n").last?.hasPrefix("[") == true)
        }
    }

    func lines(of path: String) -> Int {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let text = (try? String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)) ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: false).count - (text.hasSuffix("\n") ? 1 : 0)
    }
}
