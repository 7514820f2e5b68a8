/// Anything that turns a conversation into generated text: the local engine or a remote
/// OpenAI-compatible endpoint. Agents and steps see only this protocol.
public protocol LanguageModel: Sendable {
    /// A short name for traces and logs (a catalog name, a file name or a remote model id).
    var name: String { get }

    /// What this model can do, so steps and the budget planner choose how to use it.
    var capabilities: ModelCapabilities { get }

    /// Starts generating. The stream yields deltas as they are produced and ends with
    /// `.finished`; cancelling the consuming task (or the stream's termination) stops the
    /// generation at the engine.
    func generate(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationEvent, any Error>
}

/// What a ``LanguageModel`` supports.
public struct ModelCapabilities: Sendable, Hashable {
    /// Output can be constrained to a JSON schema token by token.
    public var constrainedDecoding: Bool
    /// Repeated prompt prefixes are served from a cache.
    public var prefixCache: Bool
    /// Several sequences decode together in one forward pass.
    public var batching: Bool
    /// The model calls tools natively.
    public var toolCalls: Bool
    /// The context window in tokens.
    public var contextLength: Int

    public init(constrainedDecoding: Bool, prefixCache: Bool, batching: Bool, toolCalls: Bool, contextLength: Int) {
        self.constrainedDecoding = constrainedDecoding
        self.prefixCache = prefixCache
        self.batching = batching
        self.toolCalls = toolCalls
        self.contextLength = contextLength
    }
}
