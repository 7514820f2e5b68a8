import RefineryCore
import Dispatch
import Foundation
import RefineryTesting
import Testing

/// `refinery serve` on SmolLM2 driven by the official `openai` Python client from PyPI:
/// `scripts/test-server-openai` starts the built server with an API key and runs
/// `scripts/server_openai_e2e.py` (non-streaming, streaming, `n`, tool calls, json_schema, an
/// agent model with a deadline header, auth failure, an oversized body, malformed JSON, an
/// unknown model, /health and /metrics, graceful SIGTERM). The client is installed on first use
/// into `$REFINERY_HOME/test-venvs/openai` by `scripts/openai-client-venv`.
@Suite("openai client end to end", .serialized, .timeLimit(.minutes(5)))
struct ServerOpenAIClientTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test("the official openai client passes every check against refinery serve")
    func openAIClient() async throws {
        guard let model = TestModels.path(TestModels.smolLM2) else {
            print("skipped: \(TestModels.missingReason(TestModels.smolLM2))")
            return
        }
        let script = Self.repository.appendingPathComponent("scripts/test-server-openai").path
        let environment = [
            "REFINERY_BIN": CLIRunner.executable,
            "REFINERY_TEST_MODELS_DIR": URL(fileURLWithPath: model).deletingLastPathComponent().path,
        ]
        let result = try await Self.run("/bin/bash", [script], environment: environment)
        print(result.output)
        #expect(result.status == 0, "scripts/test-server-openai failed:\n\(result.output)")
        let summary = result.output.split(separator: "\n").first { $0.hasSuffix(" failed") && $0.contains(" passed, ") }
        #expect(summary?.hasSuffix(" 0 failed") == true, "\(String(describing: summary))")
        #expect(result.output.contains("server stopped on SIGTERM"))
    }

    /// Runs a program to its end on a Dispatch thread; standard output and error together.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String]) async throws
        -> (status: Int32, output: String)
    {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(
                    with: Result {
                        let folder = try Scratch.folder("openai-e2e")
                        defer { try? FileManager.default.removeItem(atPath: folder) }
                        let process = Process()
                        process.executableURL = URL(fileURLWithPath: executable)
                        process.arguments = arguments
                        var env = ProcessInfo.processInfo.environment
                        for (key, value) in environment { env[key] = value }
                        process.environment = env
                        let log = folder + "/output"
                        _ = FileManager.default.createFile(atPath: log, contents: nil)
                        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
                        process.standardOutput = handle
                        process.standardError = handle
                        process.standardInput = FileHandle.nullDevice
                        try process.run()
                        process.waitUntilExit()
                        try handle.close()
                        return (process.terminationStatus, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
                    })
            }
        }
    }
}
