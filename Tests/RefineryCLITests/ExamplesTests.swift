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

    @Test("research-pipeline prints one JSON object by its deadline, its steps nested, and a tree with --trace")
    func researchPipeline() async throws {
        guard let model = TestModels.pathOrSkip(TestModels.smolLM2) else { return }
        let result = try await ProgramRunner.run(
            "research-pipeline", ["--model", model, "--deadline", "5s", "--json", "--trace", "What is 12 times 7?"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 1, "exactly one JSON object: \(result.stdout)")
        let json = try JSONValue(parsing: result.stdout)
        #expect(json["answer"]?.stringValue?.isEmpty == false)
        #expect(["complete", "partial"].contains(json["outcome"]?.stringValue ?? ""))
        #expect(["completed", "cut_off", "failed"].contains(json["status"]?.stringValue ?? ""))
        guard case .int(let elapsed)? = json["elapsed_ms"] else {
            Issue.record("no elapsed_ms in \(result.stdout)")
            return
        }
        #expect(elapsed <= 5000 + 50)
        #expect(json["deadline_ms"] == JSONValue.int(5000))

        // One record for the pipeline; its steps in order, the plan's draft nested in the plan.
        let top = json["steps"]?.arrayValue ?? []
        #expect(top.map { $0["kind"]?.stringValue } == ["research_pipeline"])
        let steps = top.first?["steps"]?.arrayValue ?? []
        let kinds = steps.compactMap { $0["kind"]?.stringValue }
        #expect(kinds.first == "plan")
        #expect(Array(["plan", "research", "draft", "critique", "refine"].prefix(kinds.count)) == kinds)
        #expect(steps.first?["steps"]?.arrayValue?.first?["kind"]?.stringValue == "draft")
        if let research = steps.first(where: { $0["kind"]?.stringValue == "research" }) {
            #expect(research["steps"]?.arrayValue?.first?["kind"]?.stringValue == "tool_loop")
        }
        // A sub-agent's call, when the model made one, carries the sub-agent's own steps.
        for agent in Self.records(in: top).filter({ $0["kind"]?.stringValue == "agent" }) {
            #expect(agent["steps"]?.arrayValue?.isEmpty == false)
        }
        // --trace: the tree on standard error, children indented under their parent.
        #expect(result.stderr.contains("\n  research_pipeline  +"))
        #expect(result.stderr.contains("\n    plan  +"))
        #expect(result.stderr.contains("\n      draft  +"))
    }

    /// Every step object in `steps`, nested ones included.
    static func records(in steps: [JSONValue]) -> [JSONValue] {
        steps.flatMap { [$0] + records(in: $0["steps"]?.arrayValue ?? []) }
    }

    func lines(of path: String) -> Int {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let text = (try? String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)) ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: false).count - (text.hasSuffix("\n") ? 1 : 0)
    }
}
