import Foundation
import Testing
import Refinery
import RefineryInference
import RefineryTesting

/// `LocalModel` end to end on SmolLM2: chat template, tokenizer, engine and streaming, against
/// llama.cpp's greedy answer (scripts/reference/engine_reference.py, third chat prompt).
@Suite("LocalModel on SmolLM2", .serialized)
struct LocalModelTests {
    static func model() throws -> LocalModel? {
        guard let path = TestModels.path(TestModels.smolLM2) else {
            print("skipping LocalModel tests: \(TestModels.missingReason(TestModels.smolLM2))")
            return nil
        }
        return try LocalModel(path: path, options: .init(contextLength: 1024))
    }

    static func greedy(_ messages: [ChatMessage], maxTokens: Int, stop: [String] = []) -> GenerationRequest {
        GenerationRequest(prompt: .messages(messages), sampling: .greedy, stop: stop, maxTokens: maxTokens)
    }

    static func collect(_ stream: AsyncThrowingStream<GenerationEvent, any Error>) async throws -> (String, [Int32], GenerationStats?) {
        var text = ""
        var tokens: [Int32] = []
        var stats: GenerationStats?
        for try await event in stream {
            switch event {
            case .text(let delta, let ids):
                text += delta
                tokens += ids
            case .finished(let s): stats = s
            case .toolCallDelta: break
            }
        }
        return (text, tokens, stats)
    }

    @Test("a chat request renders the template and decodes llama.cpp's greedy tokens and text")
    func chatMatchesReference() async throws {
        guard let model = try Self.model() else { return }
        let (text, tokens, stats) = try await Self.collect(model.generate(Self.greedy([.user("Explain in two sentences why the sky is blue.")], maxTokens: 16)))
        #expect(tokens == [504, 6376, 314, 4461, 975, 282, 253, 980, 1217, 13739, 43464, 24484, 28, 837, 1420, 13242])
        #expect(text.hasPrefix("The sky is blue because of a process called Rayleigh scattering, where"))
        let s = try #require(stats)
        #expect(s.finishReason == .length && s.generatedTokens == 16)
        #expect(s.promptTokens == 40)
    }

    @Test("a stop string ends the text before it")
    func stopString() async throws {
        guard let model = try Self.model() else { return }
        let (text, _, stats) = try await Self.collect(model.generate(Self.greedy([.user("Explain in two sentences why the sky is blue.")], maxTokens: 40, stop: [" Rayleigh"])))
        #expect(text == "The sky is blue because of a process called")
        #expect(stats?.finishReason == .stop)
    }

    @Test("a raw prompt is fed as is, special tokens parsed")
    func raw() async throws {
        guard let model = try Self.model() else { return }
        let prompt = "<|im_start|>user\nExplain in two sentences why the sky is blue.<|im_end|>\n<|im_start|>assistant\n"
        let request = GenerationRequest(prompt: .raw(prompt), sampling: .greedy, maxTokens: 4)
        let (_, tokens, stats) = try await Self.collect(model.generate(request))
        #expect(tokens.count == 4)
        #expect(stats?.promptTokens == 19)
    }

    @Test("cancelling the consumer stops the generation promptly")
    func cancellation() async throws {
        guard let model = try Self.model() else { return }
        let task = Task {
            var count = 0
            for try await event in model.generate(Self.greedy([.user("Count from 1 to 1000.")], maxTokens: 900)) {
                if case .text = event { count += 1 }
                if count == 3 { break }
            }
            return count
        }
        #expect(try await task.value == 3)
        // The engine is free again at once: a new request is served.
        let (_, tokens, _) = try await Self.collect(model.generate(Self.greedy([.user("Hi")], maxTokens: 2)))
        #expect(tokens.count == 2)
    }

    @Test("output constraints are refused with a typed error, not ignored")
    func constraints() async throws {
        guard let model = try Self.model() else { return }
        var request = Self.greedy([.user("Hi")], maxTokens: 2)
        request.constraint = .anyJSON
        await #expect(throws: ModelError.self) { _ = try await Self.collect(model.generate(request)) }
    }
}
