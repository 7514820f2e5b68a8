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
///
/// **Per-token mask times on large schemas.** Documents are then generated under larger schemas —
/// a built-in CI-pipeline-like schema (about 200 properties, definitions, recursion, maps with
/// key patterns, a 200-value enum, discriminated `oneOf`s, patterns with length limits) and every
/// `*.json` schema in the directory named by `REFINERY_GRAMMAR_BENCH_SCHEMAS` — and their tokens
/// are replayed through the mask builder, timing each token's mask and grammar advance: on a
/// freshly compiled grammar (cold: every automaton state and mask new) and again (warm). The
/// report gives the mean and 99th percentile per token over all of them.
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
        let timings = try await largeSchemaTimings(context, masks: masks)
        let largeCold = timings.flatMap(\.cold)
        let largeWarm = timings.flatMap(\.warm)
        report.set("large_schemas", .array(timings.map { t in
            .object([("name", .string(t.name)), ("rules", .int(Int64(t.rules))), ("compile_ms", BenchmarkReport.number(t.compileMs, digits: 2)),
                     ("tokens", .int(Int64(t.cold.count))),
                     ("cold_mask_ms_mean", BenchmarkReport.number(BenchmarkStatistics.mean(t.cold), digits: 4)),
                     ("cold_mask_ms_p99", BenchmarkReport.number(BenchmarkStatistics.percentile(t.cold, 0.99), digits: 4)),
                     ("warm_mask_ms_mean", BenchmarkReport.number(BenchmarkStatistics.mean(t.warm), digits: 4)),
                     ("warm_mask_ms_p99", BenchmarkReport.number(BenchmarkStatistics.percentile(t.warm, 0.99), digits: 4))])
        }))
        report.set("large_cold_mask_ms_mean", BenchmarkReport.number(BenchmarkStatistics.mean(largeCold), digits: 4))
        report.set("large_cold_mask_ms_p99", BenchmarkReport.number(BenchmarkStatistics.percentile(largeCold, 0.99), digits: 4))
        report.set("large_warm_mask_ms_mean", BenchmarkReport.number(BenchmarkStatistics.mean(largeWarm), digits: 4))
        report.set("large_warm_mask_ms_p99", BenchmarkReport.number(BenchmarkStatistics.percentile(largeWarm, 0.99), digits: 4))
        report.lines = [
            "vocabulary \(masks.vocabulary.count) tokens, \(masks.trieNodeCount) trie nodes; mask builder \(BenchmarkText.fixed(buildMilliseconds, 1)) ms, schema compiled in \(BenchmarkText.fixed(compileMilliseconds, 2)) ms",
            "constrained decode \(BenchmarkText.fixed(decode, 2)) ms/token, unconstrained \(BenchmarkText.fixed(plainDecode, 2)) ms/token (median of \(runs.count))",
            "mask + grammar \(BenchmarkText.fixed(mask, 3)) ms/token = \(BenchmarkText.fixed(share, 2))% of a decode step (warm caches)",
            cold.map { "cold (first document, empty caches): \(BenchmarkText.fixed($0.maskMs, 3)) ms/token = \(BenchmarkText.fixed($0.maskMs / $0.decodeMs * 100, 2))%" }
                ?? "cold: no warm-up run",
            "large schemas (\(timings.count), \(largeCold.count) tokens replayed): mask + grammar per token, cold mean \(BenchmarkText.fixed(BenchmarkStatistics.mean(largeCold), 3)) ms, p99 \(BenchmarkText.fixed(BenchmarkStatistics.percentile(largeCold, 0.99), 3)) ms; warm mean \(BenchmarkText.fixed(BenchmarkStatistics.mean(largeWarm), 3)) ms, p99 \(BenchmarkText.fixed(BenchmarkStatistics.percentile(largeWarm, 0.99), 3)) ms",
        ]
        return report
    }

    private static func generate(_ model: InferenceModel, _ prompt: [Int32], _ options: GenerationOptions,
                                 keepStopTokens: Bool = true) async throws -> EngineStats {
        try await generateTokens(model, prompt, options, keepStopTokens: keepStopTokens).stats
    }

    private static func generateTokens(_ model: InferenceModel, _ prompt: [Int32], _ options: GenerationOptions,
                                       keepStopTokens: Bool = true) async throws -> (stats: EngineStats, tokens: [Int32]) {
        var options = options
        if keepStopTokens { options.stopTokens.formUnion(model.tokenizer.endOfGenerationIDs) }
        var stats: EngineStats?
        var tokens: [Int32] = []
        for try await event in model.engine.generate(prompt: prompt, options: options) {
            switch event {
            case .tokens(let ids, _): tokens += ids
            case .finished(let final): stats = final
            }
        }
        guard let stats else { throw BenchmarkError.invalidSettings("the generation did not finish", value: "") }
        return (stats, tokens)
    }

    // MARK: - Large schemas

    /// Per-token mask times of one schema (milliseconds per token).
    struct SchemaTiming {
        var name: String
        var rules: Int
        var compileMs: Double
        var cold: [Double]
        var warm: [Double]
    }

    /// The environment variable naming a directory of extra `*.json` schemas to time.
    public static let schemaDirectoryVariable = "REFINERY_GRAMMAR_BENCH_SCHEMAS"

    /// The schemas timed per token: the built-in large one, then the directory's.
    static func largeSchemas() throws -> [(name: String, schema: JSONValue)] {
        var out: [(name: String, schema: JSONValue)] = [("built-in pipeline (large)", largeSchema)]
        guard let directory = ProcessInfo.processInfo.environment[schemaDirectoryVariable], !directory.isEmpty else { return out }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".json") }.sorted()
        for name in names {
            let data = try Data(contentsOf: URL(fileURLWithPath: directory).appendingPathComponent(name))
            do {
                out.append((String(name.dropLast(5)), try JSONValue(parsing: Array(data))))
            } catch {
                throw BenchmarkError.invalidSettings("\(schemaDirectoryVariable): \(name) is not JSON: \(error.message)", value: directory)
            }
        }
        return out
    }

    private func largeSchemaTimings(_ context: BenchmarkContext, masks: TokenMaskBuilder) async throws -> [SchemaTiming] {
        let model = context.model
        var timings: [SchemaTiming] = []
        let maxTokens = max(context.settings.generatedTokens, 256)
        for (name, schema) in try Self.largeSchemas() {
            let grammar: JSONSchemaGrammar
            do { grammar = try JSONSchemaGrammar(schema: schema) } catch {
                context.progress("\(name): not compiled (\(error.message))")
                continue
            }
            let request = "Write a realistic example configuration as one JSON document matching this JSON schema outline:\n"
                + JSONSchemaPromptSummary(schema: schema, limit: 1500).text
            let prompt = model.chatTemplate != nil
                ? model.promptTokens(try model.chatPrompt(messages: [.object([("role", "user"), ("content", .string(request))])]))
                : model.promptTokens(request + "\n")
            var documents: [[Int32]] = []
            for run in 0..<max(1, min(context.settings.runs, 3)) {
                var options = GenerationOptions(sampling: SamplingParameters(temperature: 1, seed: UInt64(run + 1)), maxTokens: maxTokens)
                options.constraint = GrammarConstraint(grammar: grammar.grammar, masks: masks)
                documents.append(try await Self.generateTokens(model, prompt, options).tokens)
            }
            // Cold: a grammar compiled afresh, so no state or mask is cached; warm: the same again.
            let compileStart = ContinuousClock.now
            let fresh = try JSONSchemaGrammar(schema: schema)
            let compileMs = compileStart.duration(to: .now).seconds * 1000
            var cold: [Double] = []
            var warm: [Double] = []
            for pass in 0..<2 {
                for document in documents {
                    var matcher = fresh.makeMatcher()
                    var remaining = maxTokens
                    for token in document where !masks.eogTokens.contains(Int(token)) {
                        let start = ContinuousClock.now
                        _ = masks.mask(for: matcher, budgetTokens: remaining)
                        let accepted = masks.accept(token: Int(token), into: &matcher)
                        let ms = start.duration(to: .now).seconds * 1000
                        if pass == 0 { cold.append(ms) } else { warm.append(ms) }
                        remaining -= 1
                        if !accepted { break }
                    }
                }
            }
            let timing = SchemaTiming(name: name, rules: fresh.grammar.ruleCount, compileMs: compileMs, cold: cold, warm: warm)
            context.progress("\(name): \(timing.rules) rules, compiled in \(BenchmarkText.fixed(compileMs, 1)) ms; \(cold.count) tokens, "
                             + "cold \(BenchmarkText.fixed(BenchmarkStatistics.mean(cold), 3)) ms/token (p99 \(BenchmarkText.fixed(BenchmarkStatistics.percentile(cold, 0.99), 3))), "
                             + "warm \(BenchmarkText.fixed(BenchmarkStatistics.mean(warm), 3)) (p99 \(BenchmarkText.fixed(BenchmarkStatistics.percentile(warm, 0.99), 3)))")
            timings.append(timing)
        }
        return timings
    }

    /// A large schema in the shape of a CI pipeline configuration: ~200 properties over
    /// definitions, a recursive `$ref`, key-pattern maps, a 200-value enum, discriminated
    /// `oneOf`s, `if`/`then`, and patterns with length limits.
    public static let largeSchema: JSONValue = {
        func object(_ pairs: [(String, JSONValue)]) -> JSONValue { .object(pairs.map { (key: $0.0, value: $0.1) }) }
        let runners: [JSONValue] = (0..<200).map { .string("runner-\($0 / 10)-\(["small", "medium", "large", "xlarge", "gpu"][$0 % 5])-\($0)") }
        var jobProperties: [(String, JSONValue)] = [
            ("name", object([("type", "string"), ("maxLength", 80)])),
            ("runs-on", object([("enum", .array(runners))])),
            ("image", object([("type", "string"), ("pattern", "^[a-z0-9./-]+(:[a-zA-Z0-9._-]+)?$"), ("maxLength", 128)])),
            ("needs", object([("type", "array"), ("items", object([("$ref", "#/$defs/id")])), ("uniqueItems", true)])),
            ("timeout-minutes", object([("type", "integer"), ("minimum", 1), ("maximum", 360)])),
            ("retry", object([("type", "integer"), ("minimum", 0), ("maximum", 3)])),
            ("env", object([("$ref", "#/$defs/env")])),
            ("steps", object([("type", "array"), ("items", object([("$ref", "#/$defs/step")])), ("minItems", 1)])),
            ("artifacts", object([("type", "object"), ("properties", object([("paths", object([("type", "array"), ("items", object([("type", "string")])), ("minItems", 1)])),
                                                                                 ("expire-in", object([("type", "string"), ("pattern", "^[0-9]{1,3} (minutes|hours|days)$")]))])),
                                   ("required", .array(["paths"])), ("additionalProperties", false)])),
            ("services", object([("type", "array"), ("items", object([("$ref", "#/$defs/service")]))])),
        ]
        for k in 0..<60 {
            let types: [JSONValue] = [object([("type", "boolean")]), object([("type", "string"), ("maxLength", 40)]),
                                      object([("type", "integer"), ("minimum", 0), ("maximum", 1000)]),
                                      object([("enum", .array(["auto", "always", "never", "on-failure"]))])]
            jobProperties.append(("option-\(k)", types[k % types.count]))
        }
        let step = object([
            ("type", "object"),
            ("properties", object([("name", object([("type", "string")])), ("run", object([("type", "string")])), ("uses", object([("type", "string"), ("pattern", "^[a-z0-9-]+/[a-z0-9-]+@v[0-9]+$")])),
                                   ("with", object([("$ref", "#/$defs/env")])), ("shell", object([("enum", .array(["bash", "sh", "pwsh", "python"]))])),
                                   ("timeout-minutes", object([("type", "integer"), ("minimum", 1), ("maximum", 120)]))])),
            ("oneOf", .array([object([("required", .array(["run"]))]), object([("required", .array(["uses"]))])])),
            ("dependentRequired", object([("shell", .array(["run"]))])),
            ("additionalProperties", false),
        ])
        var rootProperties: [(String, JSONValue)] = [
            ("version", object([("const", 2)])),
            ("name", object([("type", "string"), ("minLength", 1), ("maxLength", 100)])),
            ("jobs", object([("type", "object"), ("patternProperties", object([("^[a-z][a-z0-9_-]{0,39}$", object([("$ref", "#/$defs/job")]))])),
                             ("additionalProperties", false), ("minProperties", 1)])),
            ("stages", object([("type", "array"), ("items", object([("$ref", "#/$defs/stage")]))])),
            ("variables", object([("$ref", "#/$defs/env")])),
        ]
        for k in 0..<120 {
            rootProperties.append(("setting-\(k)", k % 3 == 0 ? object([("type", "boolean")]) : k % 3 == 1
                ? object([("type", "string"), ("pattern", "^[a-z]+(-[a-z]+)*$"), ("maxLength", 30)])
                : object([("type", "number"), ("minimum", 0), ("maximum", 100)])))
        }
        return object([
            ("$schema", "https://json-schema.org/draft/2020-12/schema"),
            ("title", "A large CI pipeline configuration"),
            ("$defs", object([
                ("id", object([("type", "string"), ("pattern", "^[a-z][a-z0-9_-]*$"), ("minLength", 2), ("maxLength", 40)])),
                ("env", object([("type", "object"), ("propertyNames", object([("pattern", "^[A-Z_][A-Z0-9_]*$")])),
                                ("additionalProperties", object([("type", .array(["string", "number", "boolean"]))]))])),
                ("step", step),
                ("service", object([("oneOf", .array([object([("type", "string")]),
                                                        object([("type", "object"), ("properties", object([("name", object([("type", "string")])), ("alias", object([("$ref", "#/$defs/id")]))])),
                                                                ("required", .array(["name"])), ("additionalProperties", false)])]))])),
                ("job", object([("type", "object"), ("properties", object(jobProperties)), ("required", .array(["runs-on", "steps"])),
                                ("additionalProperties", false),
                                ("if", object([("properties", object([("retry", object([("const", 0)]))])), ("required", .array(["retry"]))])),
                                ("then", object([("properties", object([("timeout-minutes", object([("maximum", 60)]))]))]))])),
                ("stage", object([("type", "object"), ("properties", object([("name", object([("$ref", "#/$defs/id")])),
                                                                             ("stages", object([("type", "array"), ("items", object([("$ref", "#/$defs/stage")])), ("maxItems", 3)]))])),
                                  ("required", .array(["name"]))])),
            ])),
            ("type", "object"),
            ("properties", object(rootProperties)),
            ("required", .array(["version", "jobs"])),
            ("additionalProperties", false),
        ])
    }()
}
