import RefineryCore
import Refinery
import RefineryInference
/// Continuous batching: aggregate generation speed with 1, 2, 4 and 8 sequences decoding at
/// once through the scheduler (greedy, distinct prompts, no stop tokens), as tokens per second
/// over all sequences from submission to the last token, and as a ratio to one sequence.
///
/// Batch sizes alternate within each run (1, 2, 4, 8, 1, 2, …), so a change in machine load
/// affects them alike; the report gives the median over runs.
public struct BatchBenchmark: BenchmarkScenario {
    public let name = "batch"
    public let summary = "aggregate greedy generation tokens/s at 1, 2, 4 and 8 concurrent sequences"
    /// The batch sizes measured.
    public static let sizes = [1, 2, 4, 8]

    public init() {}

    public var maxSequences: Int { Self.sizes.max() ?? 1 }

    public func configure(_ options: inout InferenceEngine.Options, settings: BenchmarkSettings) {
        let perSequence = max(1, settings.generationPrefixTokens) + settings.generatedTokens + 1
        options.cacheTokens = max(options.cacheTokens ?? 0, (Self.sizes.max() ?? 1) * (perSequence + 32))
    }

    public func run(_ context: BenchmarkContext) async throws -> BenchmarkReport {
        let engine = context.model.engine
        let settings = context.settings
        let vocabulary = engine.config.vocabularySize
        let promptLength = max(1, settings.generationPrefixTokens)
        var rates: [Int: [Double]] = [:]
        for run in 0..<(settings.warmupRuns + settings.runs) {
            for size in Self.sizes {
                let options = GenerationOptions(sampling: .greedy, maxTokens: settings.generatedTokens)
                let start = ContinuousClock.now
                let total = try await withThrowingTaskGroup(of: Int.self) { group in
                    for index in 0..<size {
                        // Distinct prompts: the pattern shifted per sequence.
                        let prompt = (0..<promptLength).map { BenchmarkTokens.token($0 &+ index &* 131, vocabularySize: vocabulary) }
                        group.addTask {
                            try await BenchmarkGeneration.run(engine, prompt: prompt, options: options).stats.generatedTokens
                        }
                    }
                    return try await group.reduce(0, +)
                }
                let rate = Double(total) / start.duration(to: .now).seconds
                let measured = run >= settings.warmupRuns
                if measured { rates[size, default: []].append(rate) }
                context.progress("\(measured ? "run \(run - settings.warmupRuns + 1)" : "warm-up") batch \(size): \(total) tokens, "
                                 + "\(BenchmarkText.fixed(rate, 1)) tokens/s")
            }
        }
        let single = BenchmarkStatistics.median(rates[1] ?? [])
        var rows: [JSONValue] = []
        var lines = ["batch  tokens/s  ×batch 1   (median of \(settings.runs) runs, \(settings.generatedTokens) tokens per sequence)"]
        for size in Self.sizes {
            let median = BenchmarkStatistics.median(rates[size] ?? [])
            rows.append(.object([
                ("batch", .int(Int64(size))),
                ("tokens_per_s", BenchmarkReport.number(median)),
                ("ratio_to_batch_1", BenchmarkReport.number(median / single, digits: 3)),
                ("runs_tokens_per_s", BenchmarkReport.numbers(rates[size] ?? [])),
            ]))
            lines.append("\(BenchmarkText.pad(String(size), 7))\(BenchmarkText.pad(BenchmarkText.fixed(median, 1), 10))"
                         + BenchmarkText.fixed(median / single, 2))
        }
        var report = BenchmarkReport()
        report.set("results", .array(rows))
        report.lines = lines
        return report
    }
}
