import RefineryCore
import Foundation
import Testing

@Suite("refinery bench")
struct BenchCLITests {
    @Test("--help documents the scenario, runs and JSON options")
    func help() async throws {
        let result = try await CLIRunner().run("bench", "--help")
        #expect(result.status == 0)
        for option in ["--model", "--threads", "--runs", "--warmup", "--scenario", "--json", "--prompt-tokens", "--gen-tokens"] {
            #expect(result.stdout.contains(option), "bench --help lacks \(option)")
        }
        #expect(result.stdout.contains("standard"))
    }

    @Test("bad options are refused before any model is loaded")
    func validation() async throws {
        let cli = try CLIRunner()
        let runs = try await cli.run("bench", "--model", "/nonexistent.gguf", "--runs", "0")
        #expect(runs.status != 0)
        #expect(runs.stderr.contains("--runs must be at least 1"))
        let scenario = try await cli.run("bench", "--model", "/nonexistent.gguf", "--scenario", "nope")
        #expect(scenario.status != 0)
        #expect(scenario.stderr.contains("unknown scenario 'nope' (known: standard, grammar, batch, prefix, speculate, refine-loop)"))
        let missing = try await cli.run("bench", "--model", "/nonexistent.gguf", "--runs", "1")
        #expect(missing.status != 0)
        #expect(missing.stdout.isEmpty)
    }
}
