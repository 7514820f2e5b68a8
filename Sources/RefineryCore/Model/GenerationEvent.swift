/// What a generation stream yields.
public enum GenerationEvent: Sendable {
    /// Newly generated text (always whole UTF-8 characters) and the token ids behind it.
    case text(String, tokens: [Int32])
    /// A piece of a tool call as it is generated.
    case toolCallDelta(ToolCallDelta)
    /// The generation ended; always the last event of a stream that did not throw.
    case finished(GenerationStats)
}

/// A fragment of a tool call: the first fragment of a call carries its id and name.
public struct ToolCallDelta: Sendable, Hashable {
    /// Position of the call among the calls of this turn.
    public var index: Int
    public var id: String?
    public var name: String?
    /// A fragment of the arguments' JSON text.
    public var argumentsFragment: String

    public init(index: Int, id: String? = nil, name: String? = nil, argumentsFragment: String = "") {
        self.index = index
        self.id = id
        self.name = name
        self.argumentsFragment = argumentsFragment
    }
}

/// Why a generation ended.
public enum FinishReason: String, Sendable, Hashable, Codable {
    /// An end-of-generation token or a stop string.
    case stop
    /// The token cap or the context size.
    case length
    /// The model called tools.
    case toolCalls
    /// The deadline passed.
    case deadline
    /// The caller cancelled.
    case cancelled
}

/// Figures about one finished generation.
public struct GenerationStats: Sendable, Hashable {
    public var finishReason: FinishReason
    public var promptTokens: Int
    /// Prompt tokens served from the prefix cache instead of being prefilled.
    public var cachedTokens: Int
    public var generatedTokens: Int
    public var prefillTime: Duration
    public var decodeTime: Duration

    public init(
        finishReason: FinishReason, promptTokens: Int, cachedTokens: Int = 0, generatedTokens: Int,
        prefillTime: Duration, decodeTime: Duration
    ) {
        self.finishReason = finishReason
        self.promptTokens = promptTokens
        self.cachedTokens = cachedTokens
        self.generatedTokens = generatedTokens
        self.prefillTime = prefillTime
        self.decodeTime = decodeTime
    }
}
