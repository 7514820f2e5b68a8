import RefineryCore
import Refinery
import RefineryInference
/// One generation as a benchmark sees it: the tokens, the text, the engine's stats and the
/// wall-clock times measured by the caller (submission to first token, to the end).
struct BenchmarkGeneration: Sendable {
    var tokens: [Int32] = []
    var text = ""
    var stats: EngineStats
    /// From submission to the first generated token (time to first token), in seconds.
    var firstTokenSeconds: Double
    /// From submission to the end, in seconds.
    var seconds: Double

    /// Runs `prompt` through `engine` to the end. `model`, when given, adds its end-of-generation
    /// tokens and a text decoder.
    static func run(_ engine: InferenceEngine, model: InferenceModel? = nil, prompt: [Int32],
                    options: GenerationOptions) async throws -> BenchmarkGeneration {
        let start = ContinuousClock.now
        var first: ContinuousClock.Instant?
        var tokens: [Int32] = []
        var text = ""
        var stats: EngineStats?
        var options = options
        if let model {
            options.stopTokens.formUnion(model.tokenizer.endOfGenerationIDs)
            if options.decoder == nil { options.decoder = InferenceModel.TextDecoder(StreamingDetokenizer(tokenizer: model.tokenizer)) }
        }
        for try await event in engine.generate(prompt: prompt, options: options) {
            switch event {
            case .tokens(let ids, let piece):
                if first == nil, !ids.isEmpty { first = .now }
                tokens += ids
                text += piece
            case .finished(let final):
                stats = final
            }
        }
        let end = ContinuousClock.now
        guard let stats else { throw BenchmarkError.invalidSettings("the generation did not finish", value: "") }
        return BenchmarkGeneration(tokens: tokens, text: text, stats: stats,
                                   firstTokenSeconds: start.duration(to: first ?? end).seconds, seconds: start.duration(to: end).seconds)
    }
}

extension InferenceModel {
    /// Prompt tokens of a chat (`[role, content]` pairs) with the assistant's turn opened; the
    /// contents joined as plain text for a model without a chat template.
    func benchmarkChatPrompt(_ turns: [(role: String, content: String)]) throws -> [Int32] {
        if chatTemplate != nil {
            let messages: [JSONValue] = turns.map { .object([("role", .string($0.role)), ("content", .string($0.content))]) }
            return promptTokens(try chatPrompt(messages: messages))
        }
        return promptTokens(turns.map { "\($0.role): \($0.content)\n" }.joined() + "assistant: ")
    }
}
