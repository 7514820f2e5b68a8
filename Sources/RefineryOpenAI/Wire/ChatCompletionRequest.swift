import RefineryCore

/// The body of `POST /v1/chat/completions`.
///
/// Fields the type does not model are kept in ``extra`` (in document order) so a server can
/// read provider extensions (`top_k`, `min_p`, `repeat_penalty`) and a client can send them.
public struct ChatCompletionRequest: Sendable, Hashable {
    public var model: String
    public var messages: [ChatCompletionMessage]
    public var tools: [ChatCompletionTool]?
    public var toolChoice: ChatCompletionToolChoice?
    public var parallelToolCalls: Bool?
    public var responseFormat: ResponseFormat?
    public var temperature: Double?
    public var topP: Double?
    public var maxTokens: Int?
    public var maxCompletionTokens: Int?
    public var stop: [String]?
    public var stream: Bool?
    /// `stream_options.include_usage`: a last chunk carries the usage.
    public var streamIncludeUsage: Bool?
    public var seed: Int?
    public var n: Int?
    public var frequencyPenalty: Double?
    public var presencePenalty: Double?
    public var user: String?
    /// Other members, written after the known ones.
    public var extra: [(key: String, value: JSONValue)]

    public init(
        model: String, messages: [ChatCompletionMessage], tools: [ChatCompletionTool]? = nil,
        toolChoice: ChatCompletionToolChoice? = nil, parallelToolCalls: Bool? = nil, responseFormat: ResponseFormat? = nil,
        temperature: Double? = nil, topP: Double? = nil, maxTokens: Int? = nil, maxCompletionTokens: Int? = nil,
        stop: [String]? = nil, stream: Bool? = nil, streamIncludeUsage: Bool? = nil, seed: Int? = nil, n: Int? = nil,
        frequencyPenalty: Double? = nil, presencePenalty: Double? = nil, user: String? = nil,
        extra: [(key: String, value: JSONValue)] = []
    ) {
        self.model = model
        self.messages = messages
        self.tools = tools
        self.toolChoice = toolChoice
        self.parallelToolCalls = parallelToolCalls
        self.responseFormat = responseFormat
        self.temperature = temperature
        self.topP = topP
        self.maxTokens = maxTokens
        self.maxCompletionTokens = maxCompletionTokens
        self.stop = stop
        self.stream = stream
        self.streamIncludeUsage = streamIncludeUsage
        self.seed = seed
        self.n = n
        self.frequencyPenalty = frequencyPenalty
        self.presencePenalty = presencePenalty
        self.user = user
        self.extra = extra
    }

    static let knownKeys: Set<String> = [
        "model", "messages", "tools", "tool_choice", "parallel_tool_calls", "response_format", "temperature",
        "top_p", "max_tokens", "max_completion_tokens", "stop", "stream", "stream_options", "seed", "n",
        "frequency_penalty", "presence_penalty", "user",
    ]

    /// Reads a request body; errors name the offending field.
    public init(json: JSONValue) throws(WireDecodingError) {
        let r = try ObjectReader(json, path: "")
        model = try r.requireString("model")
        guard let messages = try r.objects("messages", { (v, p) throws(WireDecodingError) in try ChatCompletionMessage(json: v, path: p) }) else {
            throw .missing("messages")
        }
        self.messages = messages
        tools = try r.objects("tools") { (v, p) throws(WireDecodingError) in try ChatCompletionTool(json: v, path: p) }
        toolChoice = try r.value("tool_choice").map { (v) throws(WireDecodingError) in try ChatCompletionToolChoice(json: v) }
        parallelToolCalls = try r.bool("parallel_tool_calls")
        responseFormat = try r.value("response_format").map { (v) throws(WireDecodingError) in try ResponseFormat(json: v) }
        temperature = try r.double("temperature")
        topP = try r.double("top_p")
        maxTokens = try r.int("max_tokens")
        maxCompletionTokens = try r.int("max_completion_tokens")
        switch r.value("stop") {
        case nil: stop = nil
        case .string(let s)?: stop = [s]
        case .array(let items)?:
            var out: [String] = []
            for (i, item) in items.enumerated() {
                guard case .string(let s) = item else { throw .wrongType("stop[\(i)]", expected: "a string", found: item) }
                out.append(s)
            }
            stop = out
        case let other?: throw .wrongType("stop", expected: "a string or an array of strings", found: other)
        }
        stream = try r.bool("stream")
        if let options = r.value("stream_options") {
            streamIncludeUsage = try ObjectReader(options, path: "stream_options").bool("include_usage")
        } else {
            streamIncludeUsage = nil
        }
        seed = try r.int("seed")
        n = try r.int("n")
        frequencyPenalty = try r.double("frequency_penalty")
        presencePenalty = try r.double("presence_penalty")
        user = try r.string("user")
        extra = r.unknown(Self.knownKeys)
    }

    public var json: JSONValue {
        var b = ObjectBuilder()
        b.add("model", model)
        b.add("messages", .array(messages.map(\.json)))
        if let tools, !tools.isEmpty { b.add("tools", .array(tools.map(\.json))) }
        b.add("tool_choice", toolChoice?.json)
        b.add("parallel_tool_calls", parallelToolCalls)
        b.add("response_format", responseFormat?.json)
        b.add("temperature", temperature)
        b.add("top_p", topP)
        b.add("max_tokens", maxTokens)
        b.add("max_completion_tokens", maxCompletionTokens)
        if let stop, !stop.isEmpty { b.add("stop", .array(stop.map(JSONValue.string))) }
        b.add("stream", stream)
        if let streamIncludeUsage { b.add("stream_options", ["include_usage": .bool(streamIncludeUsage)]) }
        b.add("seed", seed)
        b.add("n", n)
        b.add("frequency_penalty", frequencyPenalty)
        b.add("presence_penalty", presencePenalty)
        b.add("user", user)
        for pair in extra where !Self.knownKeys.contains(pair.key) { b.add(pair.key, pair.value) }
        return b.value
    }

    public static func == (lhs: ChatCompletionRequest, rhs: ChatCompletionRequest) -> Bool { lhs.json == rhs.json }
    public func hash(into hasher: inout Hasher) { hasher.combine(json) }
}
