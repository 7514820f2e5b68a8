import RefineryCore
import Refinery
import RefineryInference
import Foundation

/// The llama-bench figures: prompt processing (`pp512`: a 512-token prompt in one forward pass)
/// and text generation (`tg128`: 128 forward passes of one token each), in tokens per second,
/// the median of ``BenchmarkSettings/runs`` runs after ``BenchmarkSettings/warmupRuns`` unmeasured
/// ones. Both run raw forward passes on the engine's own thread (no sampling), as llama-bench does.
///
/// It also reports `generate128` — the same number of tokens generated through the scheduler
/// with greedy sampling, as a caller sees them — and the worker pool's cost per parallel section.
public struct StandardBenchmark: BenchmarkScenario {
    public let name = "standard"
    public let summary = "pp512 and tg128 tokens/s like llama-bench, load time and peak memory"

    public init() {}

    public func run(_ context: BenchmarkContext) async throws -> BenchmarkReport {
        let settings = context.settings
        let engine = context.model.engine
        let progress = context.progress
        let pp = settings.promptTokens, tg = settings.generatedTokens
        let raw = try await engine.withExclusiveAccess { transformer in
            try Self.measureForward(transformer, settings: settings, progress: progress)
        }
        let generate = try await Self.measureGenerate(engine, settings: settings, progress: progress)
        let ppRates = raw.promptSeconds.map { Double(pp) / $0 }
        let tgRates = raw.generationSeconds.map { Double(tg) / $0 }
        let ppMedian = BenchmarkStatistics.median(ppRates)
        let tgMedian = BenchmarkStatistics.median(tgRates)
        let generateMedian = BenchmarkStatistics.median(generate)

        var report = BenchmarkReport()
        report.set("depth", .int(Int64(settings.promptDepth)))
        report.set("pp\(pp)_tokens_per_s", BenchmarkReport.number(ppMedian))
        report.set("tg\(tg)_tokens_per_s", BenchmarkReport.number(tgMedian))
        report.set("pp\(pp)_runs", BenchmarkReport.numbers(ppRates))
        report.set("tg\(tg)_runs", BenchmarkReport.numbers(tgRates))
        report.set("tg\(tg)_ms_per_token", BenchmarkReport.number(1000 / tgMedian, digits: 3))
        report.set("generate\(tg)_tokens_per_s", BenchmarkReport.number(generateMedian))
        report.set("generate\(tg)_runs", BenchmarkReport.numbers(generate))
        report.set("pool_section_us", BenchmarkReport.number(raw.poolSectionMicroseconds, digits: 3))
        report.set("kv_cache_mb", BenchmarkReport.number(Double(raw.cacheBytes) / 1_048_576, digits: 1))
        report.set("model_file_mb", BenchmarkReport.number(Double(engine.file.fileSize) / 1_048_576, digits: 1))

        let name = context.model.name, threads = engine.threadCount
        func row(_ test: String, _ rates: [Double]) -> String {
            let median = BenchmarkStatistics.median(rates), deviation = BenchmarkStatistics.standardDeviation(rates)
            return "\(BenchmarkText.pad(name, 32)) \(BenchmarkText.pad(String(threads), 7)) \(BenchmarkText.pad(test, 14)) \(BenchmarkText.fixed(median, 2)) ± \(BenchmarkText.fixed(deviation, 2))"
        }
        let at = settings.promptDepth > 0 ? " @ d\(settings.promptDepth)" : ""
        report.lines = [
            "\(BenchmarkText.pad("model", 32)) \(BenchmarkText.pad("threads", 7)) \(BenchmarkText.pad("test", 14)) tokens/s (median ± sd of \(settings.runs))",
            row("pp\(pp)\(at)", ppRates),
            row("tg\(tg)\(at)", tgRates),
            row("generate\(tg)", generate),
            "worker pool: \(BenchmarkText.fixed(raw.poolSectionMicroseconds, 2)) µs per parallel section",
        ]
        return report
    }

    /// Raw forward-pass timings, in seconds per run.
    struct ForwardTimings: Sendable {
        var promptSeconds: [Double] = []
        var generationSeconds: [Double] = []
        var poolSectionMicroseconds = 0.0
        var cacheBytes = 0
    }

    /// Runs the pp and tg tests (alternating, warm-ups first) on the scheduler thread.
    static func measureForward(_ transformer: Transformer, settings: BenchmarkSettings,
                               progress: @Sendable (String) -> Void) throws -> ForwardTimings {
        let vocabulary = transformer.config.vocabularySize
        let pp = settings.promptTokens, tg = settings.generatedTokens, prefix = settings.generationPrefixTokens
        let depth = settings.promptDepth
        guard pp <= transformer.maxBatchTokens, depth + pp <= transformer.contextLength, prefix + tg < transformer.contextLength else {
            throw BenchmarkError.modelTooSmall(
                "the engine takes \(transformer.maxBatchTokens) tokens per pass and \(transformer.contextLength) positions; the tests need \(pp) and \(max(depth + pp, prefix + tg))",
                value: String(transformer.contextLength))
        }
        let prompt = BenchmarkTokens.sequence(pp, vocabularySize: vocabulary)
        let prefixTokens = BenchmarkTokens.sequence(prefix, vocabularySize: vocabulary)
        let depthTokens = BenchmarkTokens.sequence(depth, vocabularySize: vocabulary)
        // Fills `kv` with `tokens` (untimed), as many forward passes as the engine's batch takes.
        func prefill(_ tokens: [Int32], into kv: KVSequence, batch: inout ForwardBatch) throws {
            var start = 0
            while start < tokens.count {
                let end = min(tokens.count, start + transformer.maxBatchTokens)
                batch.removeAll()
                batch.append(tokens[start..<end], to: kv, startingAt: start, logitsForLast: true)
                _ = try transformer.forward(batch)
                start = end
            }
        }
        var timings = ForwardTimings()
        timings.cacheBytes = transformer.cache.byteCount
        var batch = ForwardBatch()
        for run in 0..<(settings.warmupRuns + settings.runs) {
            let measured = run >= settings.warmupRuns
            // Prompt processing: the whole prompt in one pass, logits for the last row only.
            do {
                let kv = KVSequence(cache: transformer.cache)
                try kv.reserve(upTo: depth + pp)
                try prefill(depthTokens, into: kv, batch: &batch)
                batch.removeAll()
                batch.append(prompt, to: kv, startingAt: depth, logitsForLast: true)
                let start = ContinuousClock.now
                _ = try transformer.forward(batch)
                let seconds = start.duration(to: .now).seconds
                batch.removeAll() // the batch holds the sequence: release its cache blocks before the next test
                if measured { timings.promptSeconds.append(seconds) }
                progress("\(label(run, settings)) pp\(pp): \(BenchmarkText.fixed(Double(pp) / seconds, 1)) tokens/s")
            }
            // Generation: one token per pass after a short cached prefix, logits every pass.
            do {
                let kv = KVSequence(cache: transformer.cache)
                try kv.reserve(upTo: prefix + tg)
                try prefill(prefixTokens, into: kv, batch: &batch)
                let start = ContinuousClock.now
                for i in 0..<tg {
                    batch.removeAll()
                    batch.append(CollectionOfOne(BenchmarkTokens.token(i, vocabularySize: vocabulary)), to: kv,
                                 startingAt: kv.length, logitsForLast: true)
                    _ = try transformer.forward(batch)
                }
                let seconds = start.duration(to: .now).seconds
                batch.removeAll()
                if measured { timings.generationSeconds.append(seconds) }
                progress("\(label(run, settings)) tg\(tg): \(BenchmarkText.fixed(Double(tg) / seconds, 1)) tokens/s")
            }
        }
        timings.poolSectionMicroseconds = measurePoolSection(transformer.pool)
        return timings
    }

    /// The cost of one parallel section of `pool` with nothing to do (back to back, as in a
    /// forward pass): the median over five batches of 2,000 sections, in microseconds.
    static func measurePoolSection(_ pool: WorkerPool) -> Double {
        let sections = 2_000
        var samples: [Double] = []
        for _ in 0..<5 {
            let start = ContinuousClock.now
            for _ in 0..<sections {
                pool.parallelFor(pool.threadCount, chunk: 1) { _, _ in }
            }
            samples.append(start.duration(to: .now).seconds * 1e6 / Double(sections))
        }
        return BenchmarkStatistics.median(samples)
    }

    /// Generates the tg test's tokens through the scheduler (greedy sampling, streamed events):
    /// tokens/s from the first sampled token to the last, per run.
    static func measureGenerate(_ engine: InferenceEngine, settings: BenchmarkSettings,
                                progress: @Sendable (String) -> Void) async throws -> [Double] {
        let prompt = BenchmarkTokens.sequence(max(1, settings.generationPrefixTokens), vocabularySize: engine.config.vocabularySize)
        let options = GenerationOptions(sampling: .greedy, maxTokens: settings.generatedTokens + 1)
        var rates: [Double] = []
        for run in 0..<(settings.warmupRuns + settings.runs) {
            var stats: EngineStats?
            for try await event in engine.generate(prompt: prompt, options: options) {
                if case .finished(let final) = event { stats = final }
            }
            guard let stats, stats.generatedTokens > 1 else { continue }
            let rate = Double(stats.generatedTokens - 1) / stats.decodeTime.seconds
            if run >= settings.warmupRuns { rates.append(rate) }
            progress("\(label(run, settings)) generate\(settings.generatedTokens): \(BenchmarkText.fixed(rate, 1)) tokens/s")
        }
        return rates
    }
}

/// "warm-up" or "run N" for progress lines.
private func label(_ run: Int, _ settings: BenchmarkSettings) -> String {
    run < settings.warmupRuns ? "warm-up" : "run \(run - settings.warmupRuns + 1)"
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) * 1e-18
    }
}

/// Text helpers for benchmark tables.
enum BenchmarkText {
    /// `text` padded with spaces to `width` characters.
    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    /// `value` with `digits` decimals.
    static func fixed(_ value: Double, _ digits: Int) -> String {
        String(format: "%.\(digits)f", value)
    }
}
