import RefineryCore
import RefineryBench
import ArgumentParser
import Foundation
import RefineryInference

/// `refinery bench`: the engine's speed on a model, like llama-bench (pp512, tg128), with its
/// load time and peak memory; `--scenario` picks other measurements.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure a model's speed: prompt processing and generation tokens/s, load time, memory.",
        discussion: """
            The standard scenario measures pp512 (a 512-token prompt in one forward pass) and tg128 \
            (128 one-token forward passes) in tokens/s as llama-bench does: the median of --runs runs \
            after a warm-up, on the engine's own threads, without sampling. It also reports generate128 \
            (the same tokens generated through the scheduler with greedy sampling), the load time \
            (mapping, metadata, weights, tokenizer) and the peak resident memory (VmHWM). Progress \
            goes to standard error; the table (or, with --json, one JSON object) to standard output.

            Scenarios: \(BenchmarkRunner.scenarios.map { "\($0.name) (\($0.summary))" }.joined(separator: "; ")); \(DeadlineScenario.name) (\(DeadlineScenario.summary); --runs defaults to \(DeadlineScenario.defaultRuns) there).
            """
    )

    @Option(name: .long, help: ArgumentHelp("A catalog or added model name, or a path to a GGUF file.", valueName: "name|path"))
    var model: String

    @Option(name: .long, help: ArgumentHelp("Threads of the forward pass (default: the number of cores).", valueName: "n"))
    var threads: Int?

    @Option(name: .long, help: ArgumentHelp("Measured runs of each test; the median is reported (default: 5).", valueName: "n"))
    var runs: Int?

    @Option(name: .long, help: ArgumentHelp("Unmeasured runs before the measured ones.", valueName: "n"))
    var warmup: Int = 1

    @Option(name: .long, help: ArgumentHelp("Tokens of the prompt-processing test (llama-bench's -p).", valueName: "n"))
    var promptTokens: Int = 512

    @Option(name: .long, help: ArgumentHelp("Tokens of the generation test (llama-bench's -n).", valueName: "n"))
    var genTokens: Int = 128

    @Option(name: .long, help: ArgumentHelp("Positions already in the KV cache when the pp and tg tests start (llama-bench's -d): "
                                            + "attention over a long context. Without it, pp starts from an empty cache and tg after 16 tokens.",
                                            valueName: "n"))
    var depth: Int?

    @Option(name: .long, help: ArgumentHelp("What to measure: \((BenchmarkRunner.scenarios.map(\.name) + [DeadlineScenario.name]).joined(separator: ", ")).",
                                            valueName: "name"))
    var scenario: String = BenchmarkRunner.scenarios[0].name

    @Flag(name: .long, help: "Print one JSON object instead of the table.")
    var json = false

    @Flag(name: .long, help: "Print no progress on standard error.")
    var quiet = false

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if let runs, runs < 1 { throw ValidationError("--runs must be at least 1") }
        if warmup < 0 { throw ValidationError("--warmup must not be negative") }
        if promptTokens < 1 { throw ValidationError("--prompt-tokens must be at least 1") }
        if genTokens < 1 { throw ValidationError("--gen-tokens must be at least 1") }
        if let depth, depth < 0 { throw ValidationError("--depth must not be negative") }
        if scenario == DeadlineScenario.name { return }
        do {
            _ = try BenchmarkRunner.scenario(named: scenario)
        } catch {
            throw ValidationError(error.message)
        }
    }

    func run() async throws {
        let path = try ModelArguments.parse(["--model", model]).resolvedPath()
        if scenario == DeadlineScenario.name {
            return try await DeadlineScenario.run(
                modelPath: path, threads: threads, runs: runs ?? DeadlineScenario.defaultRuns, json: json, quiet: quiet)
        }
        let chosen = try BenchmarkRunner.scenario(named: scenario)
        let settings = depth.map {
            BenchmarkSettings(threads: threads, runs: runs ?? 5, warmupRuns: warmup, promptTokens: promptTokens, generatedTokens: genTokens,
                              depth: $0)
        } ?? BenchmarkSettings(threads: threads, runs: runs ?? 5, warmupRuns: warmup, promptTokens: promptTokens, generatedTokens: genTokens)
        let runner = BenchmarkRunner(settings: settings)
        let quiet = quiet
        let report = try await runner.run(chosen, modelPath: path) { line in
            if !quiet { StandardError.line(line) }
        }
        if json {
            StandardOutput.write(report.json.serialized() + "\n")
        } else {
            StandardOutput.write(report.lines.joined(separator: "\n") + "\n")
        }
    }
}
