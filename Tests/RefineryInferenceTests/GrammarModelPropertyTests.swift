import RefineryCore
import Foundation
import RefineryInference
import RefineryTesting
import Testing

/// Issue #7's acceptance test: at least 300 random schemas from the supported subset, a document
/// sampled by SmolLM2 under each (temperature 1 over the whole vocabulary, a small token cap),
/// and every output parses and validates — checked here by the tests' own parser and validator
/// and, independently, by Python's `jsonschema` (scripts/reference/validate_jsonschema.py; installed
/// by scripts/setup). Sixteen sequences decode together in each forward pass, so the run takes
/// well under a minute.
@Suite("Grammar property test on SmolLM2", .serialized)
struct GrammarModelPropertyTests {
    static let schemaCount = max(300, Int(ProcessInfo.processInfo.environment["REFINERY_GRAMMAR_MODEL_SCHEMAS"] ?? "") ?? 0)
    static let maxTokens = 40

    struct Case: Sendable {
        var schema: JSONValue
        var output: String
        var finishReason: FinishReason
        var open: Bool
        var tokens: Int
    }

    @Test("≥300 random schemas, a sampled document under each: 100% parse and validate (jsonschema too)")
    func sampledDocumentsValidate() async throws {
        guard let path = TestModels.path(TestModels.smolLM2) else {
            print("skipping the grammar property test on a model: \(TestModels.missingReason(TestModels.smolLM2))")
            return
        }
        let lanes = 16
        let model = try InferenceModel(path: path, options: .init(contextLength: 128, maxBatchTokens: 512, maxSequences: lanes,
                                                                  cacheTokens: lanes * 128))
        let masks = model.makeTokenMasks()
        // SmolLM2 lacks single-byte tokens only for bytes JSON never writes raw (a few control
        // characters, invalid UTF-8 leads) and two rare 4-byte leads; every closing byte is one.
        #expect(Array("\"{}[],:0123456789eE.-+truefalsn ".utf8).allSatisfy { b in masks.vocabulary.contains([b]) })
        // Schemas whose shortest document fits the cap (the budget then guarantees completion).
        var generator = RandomSchemaGenerator(seed: 0xA11_CE5)
        var schemas: [(JSONValue, Grammar)] = []
        var tried = 0
        while schemas.count < Self.schemaCount && tried < 20 * Self.schemaCount {
            tried += 1
            let schema = generator.document()
            guard let compiled = try? JSONSchemaGrammar(schema: schema),
                  compiled.makeMatcher().minimumBytesToComplete <= Self.maxTokens / 2 else { continue }
            schemas.append((schema, compiled.grammar))
        }
        #expect(schemas.count >= 300)
        let prompt = model.promptTokens("A JSON value:\n")
        let start = ContinuousClock.now
        let cases = try await withThrowingTaskGroup(of: (Int, Case).self) { group in
            var results = [Case?](repeating: nil, count: schemas.count)
            var next = 0
            func submit() {
                let index = next
                let (schema, grammar) = schemas[index]
                var options = GenerationOptions(sampling: SamplingParameters(temperature: 1, topK: 0, topP: 1, minP: 0, seed: UInt64(index + 1)),
                                                maxTokens: Self.maxTokens)
                options.constraint = GrammarConstraint(grammar: grammar, masks: masks)
                group.addTask {
                    var text = ""
                    var stats: EngineStats?
                    for try await event in model.generate(prompt: prompt, options: options) {
                        switch event {
                        case .tokens(_, let piece): text += piece
                        case .finished(let s): stats = s
                        }
                    }
                    let s = try #require(stats)
                    return (index, Case(schema: schema, output: text, finishReason: s.finishReason, open: s.constraintOpen, tokens: s.generatedTokens))
                }
                next += 1
            }
            while next < min(lanes, schemas.count) { submit() }
            while let (index, result) = try await group.next() {
                results[index] = result
                if next < schemas.count { submit() }
            }
            return results.compactMap { $0 }
        }
        let elapsed = start.duration(to: .now)
        let tokens = cases.reduce(0) { $0 + $1.tokens }
        print("grammar property test: \(cases.count) documents, \(tokens) tokens in \(elapsed)")
        #expect(cases.count == schemas.count)
        var failures = 0
        for c in cases {
            let value = TestJSONParser.parse(c.output)
            let ok = c.finishReason == .stop && !c.open && value.map { TestSchemaValidator(root: c.schema).validate($0) } == true
            if !ok {
                failures += 1
                Issue.record("schema \(c.schema.serialized()) gave \(c.output.debugDescription) (\(c.finishReason))")
            }
        }
        #expect(failures == 0)
        try Self.validateWithJSONSchema(cases)
    }

    /// Runs scripts/reference/validate_jsonschema.py over the cases (skipped, with the reason
    /// printed, when python3 or jsonschema is missing, unless REFINERY_REQUIRE_JSONSCHEMA=1).
    static func validateWithJSONSchema(_ cases: [Case]) throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/reference/validate_jsonschema.py")
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("refinery-grammar-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: input) }
        let lines = cases.map { JSONValue.object([("schema", $0.schema), ("document", .string($0.output))]).serialized() }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: input)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let python = ProcessInfo.processInfo.environment["REFINERY_PYTHON"] ?? "python3"
        process.arguments = [python, script.path, input.path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        if process.terminationStatus == 3 || process.terminationStatus == 127 {
            if ProcessInfo.processInfo.environment["REFINERY_REQUIRE_JSONSCHEMA"] == "1" {
                Issue.record("python3 with jsonschema is required (REFINERY_REQUIRE_JSONSCHEMA=1)")
            }
            print("skipping the jsonschema re-validation: \(python) or its jsonschema module is missing (scripts/setup installs it)")
            return
        }
        let report = try JSONValue(parsing: Array(data))
        let failures = report["failures"]?.arrayValue ?? []
        for f in failures.prefix(10) {
            if case .int(let line)? = f["line"] { Issue.record("jsonschema rejects: \(f["error"]?.stringValue ?? "") — \(lines[Int(line)])") }
        }
        #expect(report["checked"] == .int(Int64(cases.count)))
        #expect(failures.isEmpty && process.terminationStatus == 0)
        print("jsonschema re-validation: \(cases.count) documents, \(failures.count) failures")
    }
}
