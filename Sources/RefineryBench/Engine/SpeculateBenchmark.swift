import RefineryCore
import Refinery
import RefineryInference
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

    /// The median cost in ms of a forward step over `prompt`'s KV with 1 row and with `rows`
    /// rows (all with logits, as a verification step), alternating, the KV truncated back after each.
    static func measureStep(_ transformer: Transformer, prompt: [Int32], rows: Int, repetitions: Int) throws -> (one: Double, many: Double) {
        let kv = KVSequence(cache: transformer.cache)
        try kv.reserve(upTo: prompt.count + rows)
        var batch = ForwardBatch()
        let context = prompt.dropLast()
        var fed = 0
        while fed < context.count {
            let count = min(transformer.maxBatchTokens, context.count - fed)
            batch.removeAll()
            batch.append(context[fed..<(fed + count)], to: kv, startingAt: fed, logitsForLast: true)
            _ = try transformer.forward(batch)
            fed += count
        }
        let base = kv.length
        var one: [Double] = [], many: [Double] = []
        for _ in 0..<max(1, repetitions) {
            for count in [1, rows] {
                batch.removeAll()
                let index = batch.addSequence(kv)
                for offset in 0..<count {
                    batch.add(token: prompt[(base + offset) % prompt.count], position: base + offset, sequence: index, logits: true)
                }
                let start = ContinuousClock.now
                _ = try transformer.forward(batch)
                let ms = start.duration(to: .now).seconds * 1000
                if count == 1 { one.append(ms) } else { many.append(ms) }
                kv.length = base
            }
        }
        return (BenchmarkStatistics.median(one), BenchmarkStatistics.median(many))
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
        let rows = 1 + Self.maxDraft
        let step = try await model.engine.withExclusiveAccess { transformer in
            try Self.measureStep(transformer, prompt: prompt, rows: rows, repetitions: 5 * settings.runs)
        }
        context.progress("forward step after \(prompt.count) positions: 1 row \(BenchmarkText.fixed(step.one, 2)) ms, "
                         + "\(rows) rows \(BenchmarkText.fixed(step.many, 2)) ms")
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
            ("forward_ms_1_row", BenchmarkReport.number(step.one, digits: 3)),
            ("forward_ms_verify_rows", BenchmarkReport.number(step.many, digits: 3)),
            ("verify_rows", .int(Int64(rows))),
        ])]))
        report.lines = [
            "rewrite of the fixture draft: \(prompt.count) prompt tokens, \(generated) generated (greedy)",
            "decode: plain \(BenchmarkText.fixed(plain, 1)) tokens/s, prompt-lookup speculation \(BenchmarkText.fixed(fast, 1)) tokens/s "
                + "(\(BenchmarkText.fixed(fast / plain, 2))×, median of \(settings.runs)); identical output: \(identical)",
            "a forward step costs \(BenchmarkText.fixed(step.one, 2)) ms with 1 row and \(BenchmarkText.fixed(step.many, 2)) ms with \(rows) "
                + "rows with logits (the bound on the speed-up when every draft is accepted: \(BenchmarkText.fixed(Double(rows) * step.one / step.many, 2))×)",
        ]
        return report
    }
}
