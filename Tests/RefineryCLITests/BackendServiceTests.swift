import RefineryCore
import Foundation
import RefineryInference
import RefineryTesting
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The backend-service example, started as a user would and called over HTTP.
@Suite("backend-service example", .serialized, .timeLimit(.minutes(3)))
struct BackendServiceTests {
    @Test("POST /write answers within the request's deadline, measured from its arrival")
    func answersWithinDeadline() async throws {
        guard let model = TestModels.path(TestModels.smolLM2) else {
            print("skipped: \(TestModels.missingReason(TestModels.smolLM2))")
            return
        }
        let home = try Scratch.folder("backend-service")
        defer { try? FileManager.default.removeItem(atPath: home) }
        let server = Process()
        server.executableURL = URL(fileURLWithPath: ProgramRunner.path("backend-service"))
        var environment = ProcessInfo.processInfo.environment
        environment["REFINERY_MODEL"] = model
        environment["REFINERY_HOME"] = home
        environment["PORT"] = "0"
        server.environment = environment
        let stdout = Pipe()
        server.standardOutput = stdout
        try server.run()
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        // The first line names the port once the server listens.
        var printed = ""
        while !printed.contains("\n") {
            let data = stdout.fileHandleForReading.availableData
            if data.isEmpty { break }
            printed += String(decoding: data, as: UTF8.self)
        }
        let port = try #require(
            printed.split(separator: "\n").first.flatMap { line in
                line.hasPrefix("listening on ") ? Int(line.dropFirst("listening on ".count)) : nil
            }, "no port in \(printed)")

        for deadline in [1500, 3000] {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/write")!)
            request.httpMethod = "POST"
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(
                """
                {"request": "Write one sentence about the sea. Use the word \\"blue\\". At most 20 words.", \
                "deadline_ms": \(deadline)}
                """.utf8)
            let start = ContinuousClock.now
            let (data, response) = try await URLSession.shared.data(for: request)
            let wall = start.duration(to: .now)
            #expect((response as? HTTPURLResponse)?.statusCode == 200)
            let json = try JSONValue(parsing: String(decoding: data, as: UTF8.self))
            guard case .string(let outcome)? = json["outcome"], case .int(let elapsed)? = json["elapsed_ms"],
                case .string(let answer)? = json["answer"], case .int(let limit)? = json["deadline_ms"]
            else {
                Issue.record("unexpected body: \(String(decoding: data, as: UTF8.self))")
                continue
            }
            #expect(limit == Int64(deadline))
            #expect(outcome != "failed")
            #expect(!answer.isEmpty)
            #expect(elapsed <= Int64(deadline) + RunCommandTests.slackMS)
            // The whole exchange, loopback included, stays near the deadline too.
            #expect(wall <= .milliseconds(Int64(deadline) + RunCommandTests.slackMS + 200))
        }
    }
}
