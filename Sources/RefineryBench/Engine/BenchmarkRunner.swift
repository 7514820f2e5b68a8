import RefineryCore
import Refinery
import RefineryInference
/// Loads a model and runs a ``BenchmarkScenario`` on it: the report starts with what was
/// measured (scenario, model, threads, kernels, load time), then the scenario's figures, and
/// ends with the process's peak resident memory.
///
/// ```swift
/// let runner = BenchmarkRunner(settings: BenchmarkSettings(threads: 2))
/// let report = try await runner.run(StandardBenchmark(), modelPath: "smollm2-135m-instruct.gguf")
/// print(report.json.serialized())   // {"scenario":"standard","model":…,"pp512_tokens_per_s":…}
/// ```
public struct BenchmarkRunner: Sendable {
    /// Every scenario `refinery bench --scenario` accepts; the first is the default.
    public static let scenarios: [any BenchmarkScenario] = [
        StandardBenchmark(), GrammarBenchmark(), BatchBenchmark(), PrefixBenchmark(), SpeculateBenchmark(), RefineLoopBenchmark(),
    ]

    /// The scenario called `name`.
    public static func scenario(named name: String) throws(BenchmarkError) -> any BenchmarkScenario {
        guard let scenario = scenarios.first(where: { $0.name == name }) else {
            throw .unknownScenario(name, known: scenarios.map(\.name))
        }
        return scenario
    }

    public var settings: BenchmarkSettings

    public init(settings: BenchmarkSettings = BenchmarkSettings()) {
        self.settings = settings
    }

    /// Loads the GGUF model at `modelPath` (timed: mapping, metadata, weights set-up, tokenizer,
    /// template) and runs `scenario` on it. `progress` receives a line per measured step.
    public func run(_ scenario: any BenchmarkScenario, modelPath: String,
                    progress: @escaping @Sendable (String) -> Void = { _ in }) async throws -> BenchmarkReport {
        try validate()
        var options = InferenceEngine.Options(threads: settings.threads, contextLength: settings.resolvedContextLength,
                                              maxBatchTokens: max(512, settings.promptTokens),
                                              maxSequences: max(1, scenario.maxSequences))
        scenario.configure(&options, settings: settings)
        let start = ContinuousClock.now
        let file = try GGUFFile.open(path: modelPath)
        let opened = ContinuousClock.now
        let model = try InferenceModel(file: file, path: modelPath, options: options)
        let loaded = ContinuousClock.now
        progress("loaded \(model.name) in \(BenchmarkText.fixed(start.duration(to: loaded).seconds * 1000, 1)) ms")

        var report = BenchmarkReport()
        report.set("scenario", .string(scenario.name))
        report.set("model", .string(model.name))
        report.set("model_path", .string(modelPath))
        report.set("threads", .int(Int64(model.engine.threadCount)))
        report.set("kernels", .string(KernelLevel.current.description))
        report.set("runs", .int(Int64(settings.runs)))
        report.set("load_ms", BenchmarkReport.number(start.duration(to: loaded).seconds * 1000, digits: 1))
        report.set("load_gguf_ms", BenchmarkReport.number(start.duration(to: opened).seconds * 1000, digits: 1))
        let measured = try await scenario.run(BenchmarkContext(model: model, settings: settings, engineOptions: options, progress: progress))
        for (key, value) in measured.fields { report.set(key, value) }
        let peak = ProcessMemory.peakResidentBytes.map { Double($0) / 1_048_576 }
        report.set("peak_rss_mb", peak.map { BenchmarkReport.number($0, digits: 1) } ?? .null)
        report.lines = [
            "\(model.name): \(model.engine.threadCount) threads, \(KernelLevel.current) kernels, loaded in "
                + "\(BenchmarkText.fixed(start.duration(to: loaded).seconds * 1000, 1)) ms",
        ] + measured.lines + [peak.map { "peak resident memory: \(BenchmarkText.fixed($0, 1)) MB" } ?? "peak resident memory: unknown"]
        return report
    }

    func validate() throws(BenchmarkError) {
        if let threads = settings.threads, threads < 1 { throw .invalidSettings("threads must be at least 1", value: String(threads)) }
        if settings.runs < 1 { throw .invalidSettings("runs must be at least 1", value: String(settings.runs)) }
        if settings.warmupRuns < 0 { throw .invalidSettings("warm-up runs must not be negative", value: String(settings.warmupRuns)) }
        if settings.promptTokens < 1 { throw .invalidSettings("the prompt test needs at least 1 token", value: String(settings.promptTokens)) }
        if settings.generatedTokens < 1 {
            throw .invalidSettings("the generation test needs at least 1 token", value: String(settings.generatedTokens))
        }
        if settings.generationPrefixTokens < 0 {
            throw .invalidSettings("the generation prefix must not be negative", value: String(settings.generationPrefixTokens))
        }
        if settings.promptDepth < 0 {
            throw .invalidSettings("the depth must not be negative", value: String(settings.promptDepth))
        }
    }
}
