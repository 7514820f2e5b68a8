import RefineryCore
import Dispatch
import Foundation
import RefineryInference
import RefineryTesting
import Testing

/// `refinery eval humaneval`, on a one-problem file in HumanEval's format.
@Suite("refinery eval humaneval", .serialized, .timeLimit(.minutes(5)))
struct EvalCLITests {
    static let problem = """
        {"task_id": "Tiny/0", "prompt": "def add(a: int, b: int) -> int:\\n    \\"\\"\\"Return the sum of a and b.\\n    >>> add(2, 3)\\n    5\\n    \\"\\"\\"\\n", "entry_point": "add", "canonical_solution": "    return a + b\\n", "test": "def check(candidate):\\n    assert candidate(2, 3) == 5\\n    assert candidate(-1, 1) == 0\\n"}
        """

    @Test("each problem is answered, graded by its official check in the sandbox, and pass@1 reported")
    func tinyRun() async throws {
        guard let model = TestModels.path(TestModels.smolLM2) else {
            print("skipped: \(TestModels.missingReason(TestModels.smolLM2))")
            return
        }
        let cli = try CLIRunner()
        let data = "\(cli.home)/tiny.jsonl"
        try (Self.problem + "\n").write(toFile: data, atomically: true, encoding: .utf8)
        for mode in [["--single-shot"], []] {
            let result = try await cli.run(
                arguments: ["eval", "humaneval", "--model", model, "--data", data, "--deadline", "3s", "--limit", "1", "--json"]
                    + mode)
            #expect(result.status == 0, "\(result.stderr)")
            let json = try JSONValue(parsing: result.stdout)
            #expect(json["problems"] == .int(1))
            #expect(json["agent"] == .string(mode.isEmpty ? "coder" : "single-shot"))
            guard case .double(let pass)? = json["pass_at_1"], case .array(let rows)? = json["results"] else {
                Issue.record("unexpected output: \(result.stdout)")
                continue
            }
            #expect(pass == 0 || pass == 1)
            #expect(rows.count == 1)
            #expect(rows.first?["task_id"] == .string("Tiny/0"))
            #expect(result.stderr.contains("Tiny/0 "))
        }
    }

    @Test("other agents, and data that is not HumanEval, are refused")
    func refusals() async throws {
        let cli = try CLIRunner()
        let agent = try await cli.run(arguments: ["eval", "humaneval", "--agent", "writer"])
        #expect(agent.status != 0)
        #expect(agent.stderr.contains("coder agent"))
        let data = "\(cli.home)/bad.jsonl"
        try "{\"task_id\": \"x\"}\n".write(toFile: data, atomically: true, encoding: .utf8)
        let bad = try await cli.run(arguments: ["eval", "humaneval", "--data", data])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("cannot read HumanEval"))
    }
}

extension CLIRunner {
    /// Runs `refinery arguments…` given as an array.
    func run(arguments: [String]) async throws -> Result {
        let runner = self
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Swift.Result { runner.finish(try runner.start(arguments)) })
            }
        }
    }
}
