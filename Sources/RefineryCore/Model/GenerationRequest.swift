/// One call to a ``LanguageModel``.
public struct GenerationRequest: Sendable {
    /// What the model continues.
    public enum Prompt: Sendable, Hashable {
        /// A conversation, rendered through the model's chat template.
        case messages([ChatMessage])
        /// Text fed as is (special tokens parsed).
        case raw(String)
    }

    /// Which tools the model may (or must) call.
    public enum ToolChoice: Sendable, Hashable {
        case auto, none, required
        case named(String)
    }

    /// A constraint on the shape of the output.
    public enum OutputConstraint: Sendable, Hashable {
        /// A document valid under this JSON schema.
        case jsonSchema(JSONValue)
        /// Any JSON value.
        case anyJSON
    }

    public var prompt: Prompt
    public var tools: [ToolDefinition]
    public var toolChoice: ToolChoice
    public var constraint: OutputConstraint?
    public var sampling: SamplingParameters
    /// Generation ends before the first occurrence of any of these strings.
    public var stop: [String]
    /// At most this many generated tokens; `nil` means up to the context size.
    public var maxTokens: Int?
    /// Generation ends (with what it has) when this passes.
    public var deadline: Deadline?
    /// Requests with the same key are likely to share a prefix (a conversation, an agent run).
    public var sessionKey: String?
    /// What a local model does when the conversation does not fit its context: fail (the
    /// default) or drop the oldest turns (``ContextOverflow/dropOldestTurns``).
    public var contextOverflow: ContextOverflow = .fail
    /// Speculative decoding on a local model (a remote model ignores it). ``Speculation/promptLookup(maxDraft:)``
    /// suits a rewrite of text the prompt contains: runs copied from the prompt are verified
    /// several tokens per step. Greedy output is identical; sampled output keeps its distribution.
    public var speculation: Speculation = .none
    /// Words the output must not contain, in any case and with any ending ("water" also keeps
    /// out "Water", "waters" and "waterfall"). A local model never samples a token that starts
    /// one, so the text cannot contain it as a word spelled the usual way; a remote model, whose
    /// tokens Refinery does not know, ignores it — check the text where it matters.
    public var avoidWords: [String] = []

    public init(
        prompt: Prompt, tools: [ToolDefinition] = [], toolChoice: ToolChoice = .auto,
        constraint: OutputConstraint? = nil, sampling: SamplingParameters = SamplingParameters(),
        stop: [String] = [], maxTokens: Int? = nil, deadline: Deadline? = nil, sessionKey: String? = nil
    ) {
        self.prompt = prompt
        self.tools = tools
        self.toolChoice = toolChoice
        self.constraint = constraint
        self.sampling = sampling
        self.stop = stop
        self.maxTokens = maxTokens
        self.deadline = deadline
        self.sessionKey = sessionKey
    }

    /// A request continuing `messages`.
    public static func chat(_ messages: [ChatMessage], maxTokens: Int? = nil, deadline: Deadline? = nil) -> GenerationRequest {
        GenerationRequest(prompt: .messages(messages), maxTokens: maxTokens, deadline: deadline)
    }
}
