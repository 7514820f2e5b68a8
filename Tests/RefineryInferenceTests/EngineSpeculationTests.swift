import RefineryCore
@testable import RefineryBench
import RefineryInferenceTesting
import Foundation
import Testing
import RefineryTesting

@testable import RefineryInference

/// Prompt-lookup speculative decoding: the drafter, and output identical to plain decoding
/// (greedy, and seeded sampling) on the tiny model and SmolLM2, alone and batched.
@Suite("Engine speculation")
struct EngineSpeculationTests {
    static func engine(context: Int = 128, maxSequences: Int = 6) throws -> InferenceEngine {
        var writer = TinyGGUFWriter(architecture: "llama")
        writer.weightType = .q8_0
        return try InferenceEngine(file: GGUFFile(bytes: writer.bytes()),
                                   options: .init(threads: 2, contextLength: context, maxSequences: maxSequences, cacheTokens: 1024))
    }

    static func run(_ engine: InferenceEngine, _ prompt: [Int32], _ options: GenerationOptions) async throws -> ([Int32], EngineStats) {
        try await EngineGenerationTests.run(engine, prompt, options)
    }

    @Test("the drafter copies what followed the output's last n-gram in the prompt, longest n-gram first")
    func drafter() {
        // Prompt: 1 2 3 4 5 6 7 8; generated: 9 2 3 → the 2-gram "2 3" is found, "4 5 6…" proposed.
        let history: [Int32] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 2, 3]
        #expect(PromptLookup.draft(history: history, promptCount: 8, maxDraft: 3) == [4, 5, 6])
        #expect(PromptLookup.draft(history: history, promptCount: 8, maxDraft: 10) == [4, 5, 6, 7, 8, 9, 2, 3])
        // The 3-gram wins over a later 2-gram: "1 2 3" occurs at 0, "2 3" also at 5.
        let both: [Int32] = [1, 2, 3, 7, 9, 2, 3, 8, 1, 2, 3]
        #expect(PromptLookup.draft(history: both, promptCount: 8, maxDraft: 2) == [7, 9])
        // The prompt's last occurrence is preferred.
        let twice: [Int32] = [5, 6, 1, 5, 6, 2, 0, 5, 6]
        #expect(PromptLookup.draft(history: twice, promptCount: 6, maxDraft: 1) == [2])
        // Generated tokens are searched when the prompt has no match.
        let generated: [Int32] = [1, 2, 7, 8, 4, 7, 8]
        #expect(PromptLookup.draft(history: generated, promptCount: 2, maxDraft: 4) == [4, 7, 8])
        #expect(PromptLookup.draft(history: [1, 2, 3, 4], promptCount: 2, maxDraft: 4).isEmpty)
        #expect(PromptLookup.draft(history: history, promptCount: 8, maxDraft: 0).isEmpty)
    }

    static let prompts: [[Int32]] = [
        [256, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2],
        [256, 10, 20, 30, 10, 20, 30, 10, 20],
        [256, 5, 6, 7, 8, 9, 100, 101, 102],
    ]

    @Test("greedy output with speculation is identical to plain decoding, and drafts are verified", arguments: [1, 3, 10])
    func greedyIdentical(maxDraft: Int) async throws {
        let engine = try Self.engine()
        var drafted = 0, accepted = 0
        for prompt in Self.prompts {
            let (plain, plainStats) = try await Self.run(engine, prompt, GenerationOptions(sampling: .greedy, maxTokens: 40))
            let (fast, stats) = try await Self.run(engine, prompt, GenerationOptions(sampling: .greedy, maxTokens: 40,
                                                                                    speculation: .promptLookup(maxDraft: maxDraft)))
            #expect(fast == plain)
            #expect(stats.generatedTokens == plainStats.generatedTokens && stats.finishReason == plainStats.finishReason)
            drafted += stats.draftTokens
            accepted += stats.acceptedDraftTokens
        }
        #expect(drafted > 0 && accepted > 0, "drafted \(drafted), accepted \(accepted)")
    }

    @Test("stop tokens, token caps and the context end speculative generations exactly where plain ones end")
    func limits() async throws {
        let engine = try Self.engine(context: 48)
        let prompt = Self.prompts[0]
        let (reference, _) = try await Self.run(engine, prompt, GenerationOptions(sampling: .greedy))
        for options in [GenerationOptions(sampling: .greedy, stopTokens: [reference[7]]),
                        GenerationOptions(sampling: .greedy, maxTokens: 9),
                        GenerationOptions(sampling: .greedy)] {
            var fast = options
            fast.speculation = .promptLookup(maxDraft: 8)
            let (a, statsA) = try await Self.run(engine, prompt, options)
            let (b, statsB) = try await Self.run(engine, prompt, fast)
            #expect(a == b)
            #expect(statsA.finishReason == statsB.finishReason)
        }
    }

    @Test("seeded sampling gives the same tokens with and without speculation")
    func sampledIdentical() async throws {
        let engine = try Self.engine()
        for seed: UInt64 in [1, 2, 3] {
            let sampling = SamplingParameters(temperature: 0.7, topK: 20, topP: 0.95, minP: 0, seed: seed)
            let (plain, _) = try await Self.run(engine, Self.prompts[0], GenerationOptions(sampling: sampling, maxTokens: 40))
            let (fast, _) = try await Self.run(engine, Self.prompts[0], GenerationOptions(sampling: sampling, maxTokens: 40,
                                                                                       speculation: .promptLookup(maxDraft: 6)))
            #expect(fast == plain)
        }
    }

    @Test("speculative and plain sequences batched together give the same tokens as alone")
    func batched() async throws {
        let engine = try Self.engine()
        let specs: [([Int32], Speculation)] = Self.prompts.map { ($0, .promptLookup(maxDraft: 5)) } + Self.prompts.map { ($0, .none) }
        var alone: [[Int32]] = []
        for (prompt, _) in specs { alone.append(try await Self.run(engine, prompt, GenerationOptions(sampling: .greedy, maxTokens: 30)).0) }
        let wide = try Self.engine()
        let together = try await withThrowingTaskGroup(of: (Int, [Int32]).self) { group in
            for (i, (prompt, speculation)) in specs.enumerated() {
                group.addTask {
                    (i, try await Self.run(wide, prompt, GenerationOptions(sampling: .greedy, maxTokens: 30 - i * 3, speculation: speculation)).0)
                }
            }
            var results = [[Int32]](repeating: [], count: specs.count)
            for try await (i, tokens) in group { results[i] = tokens }
            return results
        }
        for i in specs.indices { #expect(together[i] == Array(alone[i].prefix(30 - i * 3)), "sequence \(i)") }
    }

    @Test("a constrained generation does not speculate")
    func constrainedDoesNotSpeculate() async throws {
        guard let path = TestModels.path(TestModels.smolLM2) else {
            print("skipping: \(TestModels.missingReason(TestModels.smolLM2))")
            return
        }
        let model = try InferenceModel(path: path, options: .init(threads: 2, contextLength: 512, maxSequences: 1))
        let grammar = try JSONSchemaGrammar(schema: ["type": "object", "properties": ["a": ["type": "string"]], "required": ["a"]])
        var options = GenerationOptions(sampling: .greedy, maxTokens: 20, speculation: .promptLookup(maxDraft: 8))
        options.constraint = GrammarConstraint(grammar: grammar.grammar, masks: model.makeTokenMasks())
        var stats: EngineStats?
        for try await event in model.generate(prompt: "Reply {\"a\": \"x\"} {\"a\": \"x\"}", options: options) {
            if case .finished(let s) = event { stats = s }
        }
        #expect(stats?.draftTokens == 0)
    }

    @Test("SmolLM2 rewriting the speculate fixture: identical greedy output, most drafted tokens accepted")
    func smolLM2Fixture() async throws {
        guard let path = TestModels.path(TestModels.smolLM2) else {
            print("skipping: \(TestModels.missingReason(TestModels.smolLM2))")
            return
        }
        let model = try InferenceModel(path: path, options: .init(threads: 2, contextLength: 1024, maxSequences: 1))
        let prompt = try model.benchmarkChatPrompt([("user", SpeculateFixture.request)])
        let plain = try await BenchmarkGeneration.run(model.engine, model: model, prompt: prompt,
                                                      options: GenerationOptions(sampling: .greedy, maxTokens: 160))
        let fast = try await BenchmarkGeneration.run(model.engine, model: model, prompt: prompt,
                                                     options: GenerationOptions(sampling: .greedy, maxTokens: 160,
                                                                                speculation: .promptLookup(maxDraft: 10)))
        #expect(fast.tokens == plain.tokens)
        #expect(fast.text == plain.text)
        #expect(fast.stats.acceptedDraftTokens > 0)
        // Fewer forward steps than tokens: every accepted draft token saved one.
        #expect(fast.stats.acceptedDraftTokens <= fast.stats.draftTokens)
    }
}
