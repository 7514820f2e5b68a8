import RefineryCore
import Foundation
import RefineryInference
import RefineryTesting
import Testing

/// `refinery agents` and `refinery run`, run as a user would.
@Suite("refinery agents and run", .serialized, .timeLimit(.minutes(5)))
struct RunCommandTests {
    /// How far past its deadline a run may answer: 250 ms in release (what `make test` builds).
    /// A debug engine's forward step, the unit cancellation waits for, takes several times longer
    /// on a loaded machine, hence more there.
    #if DEBUG
    static let slackMS: Int64 = 600
    #else
    static let slackMS: Int64 = 250
    #endif

    @Test("agents lists every ready agent with one line each")
    func agents() async throws {
        let result = try await ProgramRunner.run("refinery", ["agents"])
        #expect(result.status == 0)
        let names = result.stdout.split(separator: "\n").map { $0.split(separator: " ").first.map(String.init) ?? "" }
        #expect(names == ["writer", "math", "extractor", "summarizer", "coder", "assistant"])
    }

    @Test("run refuses an unknown agent and a malformed deadline, naming them")
    func refusals() async throws {
        let unknown = try await ProgramRunner.run("refinery", ["run", "poet", "x"])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("no agent named 'poet'"))
        let deadline = try await ProgramRunner.run("refinery", ["run", "writer", "--deadline", "2 minutes", "x"])
        #expect(deadline.status != 0)
        #expect(deadline.stderr.contains("--deadline"))
        let help = try await ProgramRunner.run("refinery", ["run", "--help"])
        #expect(help.stdout.contains("(default: 10s)"))
    }

    @Test("run --json answers by the deadline, clock started at the command's start", arguments: ["1.5s", "5s"])
    func runJSON(_ deadline: String) async throws {
        guard let model = TestModels.path(TestModels.smolLM2) else {
            print("skipped: \(TestModels.missingReason(TestModels.smolLM2))")
            return
        }
        let result = try await ProgramRunner.run(
            "refinery", ["run", "writer", "--model", model, "--deadline", deadline, "--json", "-"],
            input: "Write one sentence about the sea. Use the word \"blue\". At most 20 words.")
        let json = try JSONValue(parsing: result.stdout)
        guard case .object(let fields) = json else {
            Issue.record("not an object: \(result.stdout)")
            return
        }
        let value = { (key: String) in fields.first { $0.key == key }?.value }
        #expect(result.status == (value("outcome") == .string("failed") ? 1 : 0))
        guard case .string? = value("answer"), case .string(let outcome)? = value("outcome"),
            case .int(let elapsed)? = value("elapsed_ms"), case .int(let limit)? = value("deadline_ms"),
            case .array(let steps)? = value("steps")
        else {
            Issue.record("missing fields: \(result.stdout)")
            return
        }
        #expect(["complete", "refined_partially", "draft_only", "truncated", "failed"].contains(outcome))
        #expect(limit == (deadline == "5s" ? 5000 : 1500))
        #expect(!steps.isEmpty)
        // Loading the model counts against the deadline; the one overshoot allowed is a load
        // that alone outlasts it (on a machine this loaded, the run then returns at once).
        guard case .object(let first)? = steps.first,
            case .int(let loaded)? = first.first(where: { $0.key == "start_ms" })?.value
        else {
            Issue.record("no start_ms")
            return
        }
        #expect(elapsed <= max(limit, loaded) + Self.slackMS, "loaded after \(loaded) ms")
        for case .object(let step) in steps {
            #expect(step.map(\.key).contains("kind"))
            #expect(step.map(\.key).contains("elapsed_ms"))
            #expect(step.map(\.key).contains("generated_tokens"))
        }
    }

    @Test("run --trace prints the timeline to standard error and only the answer to standard output")
    func runTrace() async throws {
        guard let model = TestModels.path(TestModels.smolLM2) else {
            print("skipped: \(TestModels.missingReason(TestModels.smolLM2))")
            return
        }
        let result = try await ProgramRunner.run(
            "refinery", ["run", "math", "--model", model, "--deadline", "3s", "--trace", "What is 6 times 7?"])
        #expect(result.stderr.contains(" ms of 3000 ms"))
        #expect(result.stderr.contains("plan"))
        #expect(!result.stdout.contains("plan"))
    }
}
