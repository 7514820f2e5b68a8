import RefineryCore
/// A model that cannot be loaded or run: an unknown architecture, missing or inconsistent
/// metadata or tensors, an unsupported tensor format, or a request the model cannot serve.
public struct ModelError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: String, Sendable, Hashable {
        case unsupportedArchitecture, missingMetadata, invalidMetadata, missingTensor, badTensor
        case unsupportedTensorType, promptTooLong, contextFull, invalidToken, cancelled, shutDown, emptyPrompt, unsupported, queueFull
    }

    private let code: Code
    /// What went wrong.
    public let message: String
    /// The offending value: a metadata key, a tensor name, a token count.
    public let value: String

    private init(_ code: Code, _ message: String, value: String) {
        self.code = code
        self.message = message
        self.value = value
    }

    public var description: String { message }

    /// The file's `general.architecture` is not one the engine implements.
    public static func unsupportedArchitecture(_ name: String) -> ModelError {
        .init(.unsupportedArchitecture, "unsupported model architecture '\(name)' (supported: llama, qwen2, gemma3)", value: name)
    }
    /// A required metadata key is absent.
    public static func missingMetadata(_ key: String) -> ModelError {
        .init(.missingMetadata, "model metadata '\(key)' is missing", value: key)
    }
    /// A metadata value is out of range or inconsistent.
    public static func invalidMetadata(_ key: String, value: String) -> ModelError {
        .init(.invalidMetadata, "model metadata '\(key)' is invalid: \(value)", value: key)
    }
    /// A required tensor is absent.
    public static func missingTensor(_ name: String) -> ModelError {
        .init(.missingTensor, "tensor '\(name)' is missing", value: name)
    }
    /// A tensor has the wrong shape.
    public static func badTensor(_ name: String, _ detail: String) -> ModelError {
        .init(.badTensor, "tensor '\(name)': \(detail)", value: name)
    }
    /// A tensor is stored in a format the kernels cannot multiply.
    public static func unsupportedTensorType(_ name: String, type: GGMLType) -> ModelError {
        .init(.unsupportedTensorType, "tensor '\(name)' has unsupported type \(type)", value: name)
    }
    /// The prompt does not fit the context.
    public static func promptTooLong(tokens: Int, context: Int) -> ModelError {
        .init(.promptTooLong, "the prompt has \(tokens) tokens but the context holds \(context)", value: "\(tokens)")
    }
    /// The prompt does not leave `reserve` tokens of the context for the reply.
    public static func promptTooLong(tokens: Int, context: Int, reserve: Int) -> ModelError {
        .init(.promptTooLong, "the prompt has \(tokens) tokens; with \(reserve) kept for the reply the context holds \(context - reserve)",
              value: "\(tokens)")
    }
    /// The scheduler already holds `limit` waiting requests.
    public static func queueFull(limit: Int) -> ModelError {
        .init(.queueFull, "the model's queue is full: \(limit) requests are already waiting", value: "\(limit)")
    }
    /// Whether this is ``queueFull(limit:)`` (callers such as a server answer it with "retry later").
    public var isQueueFull: Bool { code == .queueFull }
    /// The KV cache has no free block left.
    public static func contextFull(_ detail: String) -> ModelError {
        .init(.contextFull, "the KV cache is full: \(detail)", value: detail)
    }
    /// A token id outside the vocabulary.
    public static func invalidToken(_ id: Int32, vocabulary: Int) -> ModelError {
        .init(.invalidToken, "token id \(id) is outside the vocabulary of \(vocabulary)", value: "\(id)")
    }
    /// The request asks for something this model or engine cannot do.
    public static func unsupported(_ feature: String) -> ModelError {
        .init(.unsupported, "not supported: \(feature)", value: feature)
    }
    /// The prompt has no tokens.
    public static var emptyPrompt: ModelError { .init(.emptyPrompt, "the prompt is empty", value: "") }
    /// The work was cancelled.
    public static var cancelled: ModelError { .init(.cancelled, "cancelled", value: "") }
    /// The engine was shut down.
    public static var shutDown: ModelError { .init(.shutDown, "the engine has shut down", value: "") }
}

extension ModelError: CancellationReporting {
    /// Whether this is ``cancelled``: the generation was stopped by its caller.
    public var isCancellation: Bool { code == .cancelled }
}
