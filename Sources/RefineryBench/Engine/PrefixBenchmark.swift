import RefineryCore
import Refinery
import RefineryInference
/// The prefix cache: time to first token of a conversation's second turn, whose history (a
/// long first message, the model's greedy answer, a follow-up question) is about 1,000 tokens,
/// with the first turn in the cache (warm) and with an empty cache (cold: a fresh engine on
/// the same mapped file, the same options).
///
/// Cold and warm alternate within each run, each on its own fresh engine, so every warm
/// measurement sees exactly one earlier turn in the cache. The report gives the medians and the
/// cached prompt tokens the engine's stats report for the warm request.
public struct PrefixBenchmark: BenchmarkScenario {
    public let name = "prefix"
    public let summary = "time to first token of a second turn over ~1,000 tokens of history, cache cold and warm"
    /// The history's approximate length in tokens.
    public static let historyTokens = 1_000
    /// Tokens the first turn's answer is capped at.
    static let answerTokens = 24

    public init() {}

    public func configure(_ options: inout InferenceEngine.Options, settings: BenchmarkSettings) {
        options.contextLength = max(options.contextLength ?? 0, 2 * Self.historyTokens)
    }

    /// A fixed, model-independent document: numbered release notes, as many lines as fit in
    /// about `tokens` tokens of `model`'s vocabulary.
    static func document(for model: InferenceModel, tokens: Int) -> String {
        let parts = ["parser", "scheduler", "tokenizer", "cache", "server", "sampler", "grammar", "loader"]
        let verbs = ["now rejects", "no longer drops", "reports", "streams", "validates", "caches"]
        let objects = ["empty prompts", "oversized requests", "stop strings split across tokens", "tool calls with nested arguments",
                       "deadlines that pass mid-step", "blocks shared by forked sequences", "unknown chat roles"]
        var text = "Release notes of the Refinery engine, one change per line.\n"
        var line = 0
        while model.tokenizer.encode(Array(text.utf8), addSpecial: false, parseSpecial: false).count < tokens {
            line += 1
            text += "\(line). The \(parts[line % parts.count]) \(verbs[(line / 3) % verbs.count]) \(objects[(line * 5) % objects.count])"
                + " (change \(1000 + line * 37)).\n"
        }
        return text
    }

    public func run(_ context: BenchmarkContext) async throws -> BenchmarkReport {
        let model = context.model
        let settings = context.settings
        let document = Self.document(for: model, tokens: Self.historyTokens - 100)
        let first = [("user", "Read these release notes.\n\n" + document + "\nWhich part changed most often? Answer in one sentence.")]
        let firstPrompt = try model.benchmarkChatPrompt(first)
        let greedy = GenerationOptions(sampling: .greedy, maxTokens: Self.answerTokens)
        let answer = try await BenchmarkGeneration.run(model.engine, model: model, prompt: firstPrompt, options: greedy).text
        let secondPrompt = try model.benchmarkChatPrompt(first + [("assistant", answer), ("user", "Which change has the highest number?")])
        let oneToken = GenerationOptions(sampling: .greedy, maxTokens: 1)
        guard secondPrompt.count + 2 < model.engine.contextLength else {
            throw BenchmarkError.modelTooSmall("the conversation needs \(secondPrompt.count + 2) positions", value: String(model.engine.contextLength))
        }
        var cold: [Double] = [], warm: [Double] = [], cached: [Int] = []
        for run in 0..<(settings.warmupRuns + settings.runs) {
            let coldEngine = try InferenceEngine(file: model.engine.file, path: model.engine.path, options: context.engineOptions)
            let c = try await BenchmarkGeneration.run(coldEngine, model: model, prompt: secondPrompt, options: oneToken)
            let warmEngine = try InferenceEngine(file: model.engine.file, path: model.engine.path, options: context.engineOptions)
            _ = try await BenchmarkGeneration.run(warmEngine, model: model, prompt: firstPrompt, options: greedy)
            let w = try await BenchmarkGeneration.run(warmEngine, model: model, prompt: secondPrompt, options: oneToken)
            let measured = run >= settings.warmupRuns
            if measured {
                cold.append(c.firstTokenSeconds * 1000)
                warm.append(w.firstTokenSeconds * 1000)
                cached.append(w.stats.cachedTokens)
            }
            context.progress("\(measured ? "run \(run - settings.warmupRuns + 1)" : "warm-up"): cold \(BenchmarkText.fixed(c.firstTokenSeconds * 1000, 1)) ms, "
                             + "warm \(BenchmarkText.fixed(w.firstTokenSeconds * 1000, 1)) ms (\(w.stats.cachedTokens) of \(secondPrompt.count) prompt tokens cached)")
        }
        let coldMedian = BenchmarkStatistics.median(cold), warmMedian = BenchmarkStatistics.median(warm)
        let cachedTokens = cached.sorted()[cached.count / 2]
        var report = BenchmarkReport()
        report.set("results", .array([.object([
            ("prompt_tokens", .int(Int64(secondPrompt.count))),
            ("cached_tokens", .int(Int64(cachedTokens))),
            ("ttft_ms_cold", BenchmarkReport.number(coldMedian, digits: 1)),
            ("ttft_ms_warm", BenchmarkReport.number(warmMedian, digits: 1)),
            ("speedup", BenchmarkReport.number(coldMedian / warmMedian, digits: 2)),
            ("runs_ttft_ms_cold", BenchmarkReport.numbers(cold, digits: 1)),
            ("runs_ttft_ms_warm", BenchmarkReport.numbers(warm, digits: 1)),
        ])]))
        report.lines = [
            "second turn: \(secondPrompt.count) prompt tokens, \(cachedTokens) from the cache",
            "time to first token: cold \(BenchmarkText.fixed(coldMedian, 1)) ms, warm \(BenchmarkText.fixed(warmMedian, 1)) ms "
                + "(\(BenchmarkText.fixed(coldMedian / warmMedian, 2))×, median of \(settings.runs))",
        ]
        return report
    }
}
