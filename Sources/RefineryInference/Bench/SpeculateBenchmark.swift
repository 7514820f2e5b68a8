/// Prompt-lookup speculative decoding on a refine-style rewrite: the committed
/// ``SpeculateFixture`` (a ~200-token draft and a few edits) rewritten greedily with and
/// without ``Speculation/promptLookup(maxDraft:)``. Decode speed is generated tokens over the
/// time after the first one; `identical` says whether both outputs have the same tokens.
///
/// Plain and speculative generations alternate within each run; medians are reported.
public struct SpeculateBenchmark: BenchmarkScenario {
    public let name = "speculate"
    public let summary = "decode tokens/s of a 200-token rewrite with and without prompt-lookup speculation"
    /// Tokens the rewrite is capped at.
    public static let maxTokens = 320
    /// Draft tokens proposed per step.
    public static let maxDraft = 10

    public init() {}

    public func configure(_ options: inout InferenceEngine.Options, settings: BenchmarkSettings) {
        options.contextLength = max(options.contextLength ?? 0, 2048)
    }

    public func run(_ context: BenchmarkContext) async throws -> BenchmarkReport {
        let model = context.model
        let settings = context.settings
        let prompt = try model.benchmarkChatPrompt([("user", SpeculateFixture.request)])
        var plainRates: [Double] = [], fastRates: [Double] = [], acceptance: [Double] = []
        var identical = true
        var generated = 0
        for run in 0..<(settings.warmupRuns + settings.runs) {
            let plain = try await BenchmarkGeneration.run(model.engine, model: model, prompt: prompt,
                                                          options: GenerationOptions(sampling: .greedy, maxTokens: Self.maxTokens))
            let fast = try await BenchmarkGeneration.run(model.engine, model: model, prompt: prompt,
                                                         options: GenerationOptions(sampling: .greedy, maxTokens: Self.maxTokens,
                                                                                    speculation: .promptLookup(maxDraft: Self.maxDraft)))
            let same = plain.tokens == fast.tokens
            identical = identical && same
            generated = plain.tokens.count
            let plainRate = Double(max(0, plain.stats.generatedTokens - 1)) / plain.stats.decodeTime.seconds
            let fastRate = Double(max(0, fast.stats.generatedTokens - 1)) / fast.stats.decodeTime.seconds
            let accepted = Double(fast.stats.acceptedDraftTokens) / Double(max(1, fast.stats.draftTokens))
            let measured = run >= settings.warmupRuns
            if measured {
                plainRates.append(plainRate)
                fastRates.append(fastRate)
                acceptance.append(accepted)
            }
            context.progress("\(measured ? "run \(run - settings.warmupRuns + 1)" : "warm-up"): \(plain.tokens.count) tokens, plain "
                             + "\(BenchmarkText.fixed(plainRate, 1)) tokens/s, speculative \(BenchmarkText.fixed(fastRate, 1)) tokens/s "
                             + "(\(fast.stats.acceptedDraftTokens)/\(fast.stats.draftTokens) drafted tokens accepted), identical: \(same)")
        }
        let plain = BenchmarkStatistics.median(plainRates), fast = BenchmarkStatistics.median(fastRates)
        var report = BenchmarkReport()
        report.set("results", .array([.object([
            ("prompt_tokens", .int(Int64(prompt.count))),
            ("generated_tokens", .int(Int64(generated))),
            ("tokens_per_s_plain", BenchmarkReport.number(plain)),
            ("tokens_per_s_speculative", BenchmarkReport.number(fast)),
            ("speedup", BenchmarkReport.number(fast / plain, digits: 2)),
            ("draft_acceptance", BenchmarkReport.number(BenchmarkStatistics.median(acceptance), digits: 3)),
            ("identical", .bool(identical)),
        ])]))
        report.lines = [
            "rewrite of the fixture draft: \(prompt.count) prompt tokens, \(generated) generated (greedy)",
            "decode: plain \(BenchmarkText.fixed(plain, 1)) tokens/s, prompt-lookup speculation \(BenchmarkText.fixed(fast, 1)) tokens/s "
                + "(\(BenchmarkText.fixed(fast / plain, 2))×, median of \(settings.runs)); identical output: \(identical)",
        ]
        return report
    }
}
