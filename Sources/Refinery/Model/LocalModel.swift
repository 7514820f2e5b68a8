import Foundation
import RefineryInference

/// A ``LanguageModel`` running in process on Refinery's engine, from a GGUF file.
///
/// Conversations are rendered through the model's own chat template (with the request's
/// tools); raw prompts are fed as is with special tokens parsed. All requests share the
/// model's one scheduler, which batches their sequences into each forward pass.
///
/// ```swift
/// let model = try LocalModel(path: "/path/to/smollm2-135m-instruct.gguf")
/// for try await event in model.generate(.chat([.user("Hello!")], maxTokens: 64)) { … }
/// ```
public final class LocalModel: LanguageModel {
    /// The loaded model (engine, tokenizer, chat template).
    public let model: InferenceModel
    public let name: String

    /// Loads the GGUF model at `path`.
    public convenience init(path: String, options: InferenceEngine.Options = .init()) throws {
        try self.init(model: InferenceModel(path: path, options: options))
    }

    /// Wraps an already loaded model.
    public init(model: InferenceModel, name: String? = nil) {
        self.model = model
        self.name = name ?? model.name
    }

    public var capabilities: ModelCapabilities {
        ModelCapabilities(constrainedDecoding: false, prefixCache: false, batching: true,
                          toolCalls: model.chatTemplate?.source.contains("tools") ?? false,
                          contextLength: model.engine.contextLength)
    }

    public func generate(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream<GenerationEvent, any Error>.makeStream()
        let prompt: [Int32]
        do {
            prompt = try promptTokens(for: request)
        } catch {
            continuation.finish(throwing: error)
            return stream
        }
        let options = GenerationOptions(sampling: request.sampling, maxTokens: request.maxTokens,
                                         stopStrings: request.stop, deadline: request.deadline?.instant)
        let events = model.generate(prompt: prompt, options: options)
        let task = Task {
            do {
                for try await event in events {
                    switch event {
                    case .tokens(let ids, let text):
                        continuation.yield(.text(text, tokens: ids))
                    case .finished(let stats):
                        continuation.yield(.finished(Self.stats(stats)))
                    }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// The prompt's token ids: a conversation rendered by the chat template, or raw text.
    func promptTokens(for request: GenerationRequest) throws -> [Int32] {
        if request.constraint != nil { throw ModelError.unsupported("output constraints on a local model (constrained decoding)") }
        switch request.prompt {
        case .raw(let text):
            return model.promptTokens(text)
        case .messages(let messages):
            let tools = request.tools.isEmpty || request.toolChoice == .none ? nil : request.tools.map(Self.json)
            return try model.fittedChatPrompt(messages: messages.map(Self.json), tools: tools, reserve: request.maxTokens ?? 1,
                                              overflow: request.contextOverflow).tokens
        }
    }

    /// A message as chat templates expect it (the OpenAI shape transformers uses).
    static func json(_ message: ChatMessage) -> JSONValue {
        var pairs: [(key: String, value: JSONValue)] = [("role", .string(message.role.rawValue)), ("content", .string(message.content))]
        if !message.toolCalls.isEmpty {
            pairs.append(("tool_calls", .array(message.toolCalls.map { call in
                .object([("id", .string(call.id)), ("type", "function"),
                         ("function", .object([("name", .string(call.name)), ("arguments", call.arguments)]))])
            })))
        }
        if let id = message.toolCallID { pairs.append(("tool_call_id", .string(id))) }
        if let name = message.name { pairs.append(("name", .string(name))) }
        return .object(pairs)
    }

    /// A tool as chat templates expect it.
    static func json(_ tool: ToolDefinition) -> JSONValue {
        .object([("type", "function"), ("function", .object([("name", .string(tool.name)), ("description", .string(tool.description)),
                                                              ("parameters", tool.parameters)]))])
    }

    static func stats(_ stats: EngineStats) -> GenerationStats {
        let reason: FinishReason
        switch stats.finishReason {
        case .stop: reason = .stop
        case .length: reason = .length
        case .deadline: reason = .deadline
        case .cancelled: reason = .cancelled
        }
        return GenerationStats(finishReason: reason, promptTokens: stats.promptTokens, cachedTokens: stats.cachedTokens,
                               generatedTokens: stats.generatedTokens, prefillTime: stats.prefillTime, decodeTime: stats.decodeTime)
    }
}
