import RefineryCore
import Refinery
import RefineryInference
import Foundation

/// The cost of constrained decoding: the same generation with and without a JSON-schema
/// constraint, and the time the constraint itself takes (masking each row of logits and
/// advancing the grammar, as ``EngineStats/constraintTime`` records it) as a share of a decode
/// step.
///
/// Each run samples a document under a representative schema (strings with enums and lengths,
/// bounded integers, an array, a nested object, a boolean) at temperature 1 with the run's seed,
/// then generates the same number of tokens unconstrained with the same sampler. The mask
/// builder and its per-grammar cache are shared across runs, as requests of a server share
/// them: the warm-up run pays the cold cost (new automaton states, trie walks), reported apart.
public struct GrammarBenchmark: BenchmarkScenario {
    public let name = "grammar"
    public let summary = "JSON-schema mask overhead as a share of a decode step, cold and warm"

    public init() {}

    /// The schema the documents are generated under.
    public static let schema: JSONValue = .object([
        ("type", "object"),
        ("properties", .object([
            ("name", .object([("type", "string"), ("maxLength", .int(40))])),
            ("age", .object([("type", "integer"), ("minimum", .int(0)), ("maximum", .int(120))])),
            ("role", .object([("enum", .array(["engineer", "designer", "manager", "researcher"]))])),
            ("skills", .object([("type", "array"), ("items", .object([("type", "string"), ("maxLength", .int(24))])), ("maxItems", .int(6))])),
            ("address", .object([
                ("type", "object"),
                ("properties", .object([("city", .object([("type", "string")])), ("zip", .object([("type", "string"), ("pattern", "[0-9]{5}")]))])),
                ("required", .array(["city", "zip"])),
            ])),
            ("remote", .object([("type", "boolean")])),
            ("bio", .object([("type", "string")])),
        ])),
        ("required", .array(["name", "age", "role", "skills", "address", "remote", "bio"])),
        ("additionalProperties", .bool(false)),
    ])

    public func run(_ context: BenchmarkContext) async throws -> BenchmarkReport {
        let model = context.model
        let settings = context.settings
        let progress = context.progress
        let buildStart = ContinuousClock.now
        let masks = model.makeTokenMasks()
        let buildMilliseconds = buildStart.duration(to: .now).seconds * 1000
        let compileStart = ContinuousClock.now
        let grammar = try JSONSchemaGrammar(schema: Self.schema)
        let compileMilliseconds = compileStart.duration(to: .now).seconds * 1000
        progress("mask builder over \(masks.vocabulary.count) tokens (\(masks.trieNodeCount) trie nodes) in \(BenchmarkText.fixed(buildMilliseconds, 1)) ms")

        let request = "Describe a fictional employee as one JSON object with these fields: " + Self.schema.serialized()
        let prompt: [Int32]
        if model.chatTemplate != nil {
            prompt = model.promptTokens(try model.chatPrompt(messages: [.object([("role", "user"), ("content", .string(request))])]))
        } else {
            prompt = model.promptTokens(request + "\n")
        }

        struct Run { var tokens: Int; var decodeMs: Double; var maskMs: Double; var plainDecodeMs: Double }
        var cold: Run?
        var runs: [Run] = []
        for run in 0..<(settings.warmupRuns + settings.runs) {
            let sampling = SamplingParameters(temperature: 1, seed: UInt64(run + 1))
            var constrained = GenerationOptions(sampling: sampling, maxTokens: settings.generatedTokens)
            constrained.constraint = GrammarConstraint(grammar: grammar.grammar, masks: masks)
            let c = try await Self.generate(model, prompt, constrained)
            // The same number of tokens without the constraint (and never stopping early).
            var plain = GenerationOptions(sampling: sampling, maxTokens: c.generatedTokens)
            plain.stopTokens = []
            let p = try await Self.generate(model, prompt, plain, keepStopTokens: false)
            let steps = Double(max(1, c.generatedTokens - 1))
            let result = Run(tokens: c.generatedTokens, decodeMs: c.decodeTime.seconds * 1000 / steps,
                             maskMs: c.constraintTime.seconds * 1000 / Double(max(1, c.generatedTokens)),
                             plainDecodeMs: p.decodeTime.seconds * 1000 / Double(max(1, p.generatedTokens - 1)))
            let label = run < settings.warmupRuns ? "warm-up (cold caches)" : "run \(run - settings.warmupRuns + 1)"
            progress("\(label): \(c.generatedTokens) tokens (\(c.finishReason.rawValue)), decode \(BenchmarkText.fixed(result.decodeMs, 2)) ms/token "
                     + "(unconstrained \(BenchmarkText.fixed(result.plainDecodeMs, 2))), mask+advance \(BenchmarkText.fixed(result.maskMs, 3)) ms/token")
            if run < settings.warmupRuns { if cold == nil { cold = result } } else { runs.append(result) }
        }
        let decode = BenchmarkStatistics.median(runs.map(\.decodeMs))
        let plainDecode = BenchmarkStatistics.median(runs.map(\.plainDecodeMs))
        let mask = BenchmarkStatistics.median(runs.map(\.maskMs))
        let share = mask / decode * 100
        var report = BenchmarkReport()
        report.set("vocabulary", .int(Int64(masks.vocabulary.count)))
        report.set("trie_nodes", .int(Int64(masks.trieNodeCount)))
        report.set("mask_builder_ms", BenchmarkReport.number(buildMilliseconds, digits: 1))
        report.set("schema_compile_ms", BenchmarkReport.number(compileMilliseconds, digits: 2))
        report.set("documents_tokens", .array(runs.map { .int(Int64($0.tokens)) }))
        report.set("decode_ms_per_token", BenchmarkReport.number(decode, digits: 3))
        report.set("unconstrained_decode_ms_per_token", BenchmarkReport.number(plainDecode, digits: 3))
        report.set("mask_ms_per_token", BenchmarkReport.number(mask, digits: 4))
        report.set("mask_share_percent", BenchmarkReport.number(share, digits: 2))
        report.set("mask_share_runs_percent", BenchmarkReport.numbers(runs.map { $0.maskMs / $0.decodeMs * 100 }))
        report.set("cold_mask_ms_per_token", cold.map { BenchmarkReport.number($0.maskMs, digits: 4) } ?? .null)
        report.set("cold_mask_share_percent", cold.map { BenchmarkReport.number($0.maskMs / $0.decodeMs * 100, digits: 2) } ?? .null)
        report.lines = [
            "vocabulary \(masks.vocabulary.count) tokens, \(masks.trieNodeCount) trie nodes; mask builder \(BenchmarkText.fixed(buildMilliseconds, 1)) ms, schema compiled in \(BenchmarkText.fixed(compileMilliseconds, 2)) ms",
            "constrained decode \(BenchmarkText.fixed(decode, 2)) ms/token, unconstrained \(BenchmarkText.fixed(plainDecode, 2)) ms/token (median of \(runs.count))",
            "mask + grammar \(BenchmarkText.fixed(mask, 3)) ms/token = \(BenchmarkText.fixed(share, 2))% of a decode step (warm caches)",
            cold.map { "cold (first document, empty caches): \(BenchmarkText.fixed($0.maskMs, 3)) ms/token = \(BenchmarkText.fixed($0.maskMs / $0.decodeMs * 100, 2))%" }
                ?? "cold: no warm-up run",
        ]
        return report
    }

    private static func generate(_ model: InferenceModel, _ prompt: [Int32], _ options: GenerationOptions,
                                 keepStopTokens: Bool = true) async throws -> EngineStats {
        var options = options
        if keepStopTokens { options.stopTokens.formUnion(model.tokenizer.endOfGenerationIDs) }
        var stats: EngineStats?
        for try await event in model.engine.generate(prompt: prompt, options: options) {
            if case .finished(let final) = event { stats = final }
        }
        guard let stats else { throw BenchmarkError.invalidSettings("the generation did not finish", value: "") }
        return stats
    }
}
