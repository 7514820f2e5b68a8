import RefineryCore
import Foundation
import RefineryInference
import RefineryTesting
import Testing

/// `refinery calibrate` and `refinery bench --scenario deadline`, run as a user would.
@Suite("refinery calibrate and the deadline benchmark", .serialized, .timeLimit(.minutes(5)))
struct DeadlineCLITests {
    @Test("calibrate measures the model and stores its cost figures; run then uses them")
    func calibrate() async throws {
        guard let model = TestModels.path(TestModels.smolLM2) else {
            print("skipped: \(TestModels.missingReason(TestModels.smolLM2))")
            return
        }
        let cli = try CLIRunner()
        let result = try await cli.run("calibrate", "--model", model, "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let json = try JSONValue(parsing: result.stdout)
        guard case .double(let decode)? = json["decodeTokensPerSecond"],
            case .double(let prefill)? = json["prefillTokensPerSecond"],
            case .int(let observations)? = json["observations"]
        else {
            Issue.record("unexpected output: \(result.stdout)")
            return
        }
        // SmolLM2-135M decodes at well over 20 tokens/s on any machine that runs the tests.
        #expect(decode > 20)
        #expect(prefill > 20)
        #expect(observations == 1)
        let stored = try FileManager.default.contentsOfDirectory(atPath: "\(cli.home)/costs")
        #expect(stored.count == 1 && stored[0].hasSuffix(".json"))
        let line = try await cli.run("calibrate", "--model", model)
        #expect(line.stdout.contains("tok/s"))
        #expect(line.stdout.contains("first token"))
    }

    @Test("run calibrates a model on first use, so its first plan is made on measured figures")
    func lazyCalibration() async throws {
        guard let model = TestModels.path(TestModels.smolLM2) else {
            print("skipped: \(TestModels.missingReason(TestModels.smolLM2))")
            return
        }
        let cli = try CLIRunner()
        let result = try await cli.run(
            "run", "writer", "--model", model, "--deadline", "4s", "--json", "Write about the sea.")
        // No constraint code can check: an answer, unverified (exit status 3).
        #expect(result.status == 3, "\(result.stderr)")
        let stored = try FileManager.default.contentsOfDirectory(atPath: "\(cli.home)/costs")
        #expect(stored.count == 1)
        let figures = try JSONValue(
            parsing: String(contentsOfFile: "\(cli.home)/costs/\(stored[0])", encoding: .utf8))
        guard case .int(let observations)? = figures["observations"] else {
            Issue.record("no observations in \(figures)")
            return
        }
        #expect(observations >= 2)  // the calibration, then the run's own steps
    }

    @Test("bench --scenario deadline reports overshoot percentiles and a table per deadline bucket")
    func deadlineBench() async throws {
        guard let model = TestModels.path(TestModels.smolLM2) else {
            print("skipped: \(TestModels.missingReason(TestModels.smolLM2))")
            return
        }
        let cli = try CLIRunner()
        let result = try await cli.run("bench", "--model", model, "--scenario", "deadline", "--runs", "4", "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let json = try JSONValue(parsing: result.stdout)
        #expect(json["scenario"] == .string("deadline"))
        #expect(json["runs"] == .int(4))
        guard case .double(let p99)? = json["overshoot_ms"]?["p99"], case .array(let buckets)? = json["buckets"] else {
            Issue.record("unexpected output: \(result.stdout)")
            return
        }
        #expect(p99 <= Double(RunCommandTests.slackMS))
        let counted = buckets.reduce(Int64(0)) { sum, bucket in
            if case .int(let n)? = bucket["runs"] { return sum + n }
            return sum
        }
        #expect(counted == 4)
        #expect(result.stderr.contains("run 4/4"))
        let help = try await cli.run("bench", "--help")
        #expect(help.stdout.contains("deadline"))
    }
}
