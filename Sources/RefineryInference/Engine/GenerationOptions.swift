import RefineryCore
/// Turns generated token ids into text as they arrive, never splitting a UTF-8 character.
public protocol TokenTextDecoder: Sendable {
    /// Adds `token`; returns the text it completes (possibly empty while a character is split).
    mutating func decode(_ token: Int32) -> String
    /// Returns whatever is held back at the end of generation.
    mutating func finish() -> String
}

/// What the engine generates for one request, in tokens.
public struct GenerationOptions: Sendable {
    /// How tokens are chosen.
    public var sampling: SamplingParameters
    /// At most this many generated tokens (`nil`: until the context is full).
    public var maxTokens: Int?
    /// Tokens that end generation (not emitted): the model's end-of-generation tokens.
    public var stopTokens: Set<Int32>
    /// Strings that end generation; the text before the first one is emitted, the rest dropped.
    public var stopStrings: [String]
    /// Generation ends (reason `deadline`) once this passes.
    public var deadline: ContinuousClock.Instant?
    /// Turns tokens into text for the text of each event; without one, events carry ids only.
    public var decoder: (any TokenTextDecoder)?
    /// A grammar the output must follow (masked per sequence before each draw; see
    /// ``GrammarConstraint``). Its mask builder's end-of-generation tokens should be among
    /// ``stopTokens``.
    public var constraint: GrammarConstraint?
    /// Speculative decoding (ignored for a constrained generation). Greedy output is identical
    /// with or without it; sampled output keeps its distribution (and, with a seed, its tokens).
    public var speculation: Speculation = .none

    public init(sampling: SamplingParameters = SamplingParameters(), maxTokens: Int? = nil, stopTokens: Set<Int32> = [],
                stopStrings: [String] = [], deadline: ContinuousClock.Instant? = nil, decoder: (any TokenTextDecoder)? = nil,
                constraint: GrammarConstraint? = nil, speculation: Speculation = .none) {
        self.speculation = speculation
        self.sampling = sampling
        self.maxTokens = maxTokens
        self.stopTokens = stopTokens
        self.stopStrings = stopStrings
        self.deadline = deadline
        self.decoder = decoder
        self.constraint = constraint
    }
}

/// What an engine generation stream yields.
public enum EngineEvent: Sendable {
    /// Newly generated tokens and the text they complete (text held back by a possible stop
    /// string or a split character comes in a later event).
    case tokens([Int32], text: String)
    /// The end of the generation; always the last event of a stream that did not throw.
    case finished(EngineStats)
}

/// Figures about one finished generation.
public struct EngineStats: Sendable, Hashable {
    /// Why it ended, in the vocabulary every layer shares (the engine never reports `toolCalls`:
    /// `LocalModel` does, when the text held calls).
    public var finishReason: FinishReason
    public var promptTokens: Int
    /// Prompt tokens whose keys and values came from a cache.
    public var cachedTokens: Int
    public var generatedTokens: Int
    /// From admission to the first sampled token.
    public var prefillTime: Duration
    /// From the first sampled token to the end.
    public var decodeTime: Duration
    /// The sampler's seed (to reproduce a sampled generation).
    public var seed: UInt64
    /// Time spent masking logits and advancing the grammar (zero without a constraint).
    public var constraintTime: Duration = .zero
    /// Constrained documents completed (tool calls for a triggered constraint).
    public var constrainedDocuments: Int = 0
    /// Whether a constrained document was begun but not complete when the generation ended.
    public var constraintOpen: Bool = false
    /// Tokens proposed by speculative decoding (see ``Speculation``).
    public var draftTokens: Int = 0
    /// Proposed tokens the sampler confirmed (each saved one forward step).
    public var acceptedDraftTokens: Int = 0
}
