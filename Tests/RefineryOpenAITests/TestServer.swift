import RefineryCore
import Foundation
import Refinery
import RefineryOpenAI
import Testing

/// The loopback server of `Fixtures/openai_test_server.py`, started once per test process:
/// scripted OpenAI replies, and a fault-injecting proxy in front of them.
final class TestServer: @unchecked Sendable {
    let port: Int
    private let process: Process
    private let stdin: Pipe

    /// Scripted replies.
    static let scripted = Result { try TestServer(upstream: nil) }
    /// The fault-injecting proxy in front of the scripted server.
    static let proxy = Result { try TestServer(upstream: "http://127.0.0.1:\(try scripted.get().port)/s/ok/upstream") }

    init(upstream: String?) throws {
        guard let script = Bundle.module.url(forResource: "openai_test_server", withExtension: "py", subdirectory: "Fixtures") else {
            throw TestServerError(message: "Fixtures/openai_test_server.py is missing from the test bundle")
        }
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path] + (upstream.map { ["--upstream", $0] } ?? [])
        stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        // The first line is "PORT <n>".
        var line = Data()
        while !line.contains(0x0A) {
            let data = stdout.fileHandleForReading.availableData
            if data.isEmpty { throw TestServerError(message: "the test server exited before printing its port") }
            line.append(data)
        }
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix("PORT "), let port = Int(text.dropFirst(5)) else {
            throw TestServerError(message: "unexpected first line from the test server: \(text)")
        }
        self.port = port
    }

    deinit {
        // Closing stdin makes the server exit.
        try? stdin.fileHandleForWriting.close()
    }

    /// The base URL (ending in /v1) of a scripted scenario; `key` groups attempts for the stats.
    func scenario(_ name: String, key: String = UUID().uuidString) -> String {
        "http://127.0.0.1:\(port)/s/\(name)/\(key)/v1"
    }

    /// The base URL of the proxy applying `fault` in front of the scripted `ok` scenario.
    func fault(_ name: String, key: String = UUID().uuidString) -> String {
        "http://127.0.0.1:\(port)/p/\(name)/\(key)"
    }

    /// What the server saw for `key`: attempts, disconnects, completed replies.
    func stats(key: String, proxy: Bool = false) async throws -> (attempts: Int, disconnects: Int, completed: Int) {
        let base = "http://127.0.0.1:\(port)/\(proxy ? "p" : "s")/stats/\(key)" + (proxy ? "" : "/v1")
        let model = OpenAICompatibleModel(configuration: RemoteModelConfiguration(baseURL: base, model: "stats", streaming: false))
        let reply = await collect(model, .chat([.user("stats")], deadline: .after(.seconds(5))))
        if let error = reply.error { throw error }
        let json = try JSONValue(parsing: reply.text)
        func int(_ k: String) -> Int { if case .int(let v)? = json[k] { return Int(v) } else { return -1 } }
        return (int("attempts"), int("disconnects"), int("completed"))
    }
}

struct TestServerError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// What a generation produced.
struct Collected {
    var text = ""
    var toolDeltas: [ToolCallDelta] = []
    var stats: GenerationStats?
    var error: (any Error)?
    var elapsed: Duration = .zero
    var events = 0

    var remoteError: RemoteModelError? { error as? RemoteModelError }

    func toolCalls() throws -> [ToolCall] {
        var assembler = ToolCallAssembler()
        for d in toolDeltas { assembler.add(d) }
        return try assembler.toolCalls()
    }
}

/// Runs a generation to its end, collecting events and the error it ended with.
func collect(_ model: some LanguageModel, _ request: GenerationRequest) async -> Collected {
    var out = Collected()
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

/// Open file descriptors and threads of this process (Linux), for leak checks.
func processResources() -> (fds: Int, threads: Int)? {
    guard let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd"),
        let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)
    else { return nil }
    let threads = status.split(separator: "\n").first { $0.hasPrefix("Threads:") }
        .flatMap { Int($0.dropFirst("Threads:".count).trimmingCharacters(in: .whitespaces)) } ?? -1
    return (fds.count, threads)
}
