import RefineryCore

/// The body of a non-streaming chat completion reply.
public struct ChatCompletionResponse: Sendable, Hashable {
    /// One generated alternative.
    public struct Choice: Sendable, Hashable {
        public var index: Int
        public var message: ChatCompletionMessage
        /// `stop`, `length`, `tool_calls`, `content_filter` (kept open).
        public var finishReason: String?

        public init(index: Int, message: ChatCompletionMessage, finishReason: String?) {
            self.index = index
            self.message = message
            self.finishReason = finishReason
        }
    }

    public var id: String
    public var object: String
    /// Unix seconds.
    public var created: Int
    public var model: String
    public var choices: [Choice]
    public var usage: ChatCompletionUsage?
    public var systemFingerprint: String?

    public init(
        id: String, object: String = "chat.completion", created: Int, model: String, choices: [Choice],
        usage: ChatCompletionUsage?, systemFingerprint: String? = nil
    ) {
        self.id = id
        self.object = object
        self.created = created
        self.model = model
        self.choices = choices
        self.usage = usage
        self.systemFingerprint = systemFingerprint
    }

    public init(json: JSONValue) throws(WireDecodingError) {
        let r = try ObjectReader(json, path: "")
        id = try r.string("id") ?? ""
        object = try r.string("object") ?? "chat.completion"
        created = try r.int("created") ?? 0
        model = try r.string("model") ?? ""
        guard let choices = try r.objects("choices", { (v, p) throws(WireDecodingError) -> Choice in
            let c = try ObjectReader(v, path: p)
            return Choice(
                index: try c.int("index") ?? 0,
                message: try ChatCompletionMessage(json: try c.require("message"), path: c.field("message")),
                finishReason: try c.string("finish_reason"))
        }) else { throw .missing("choices") }
        self.choices = choices
        usage = try r.value("usage").map { (v) throws(WireDecodingError) in try ChatCompletionUsage(json: v) }
        systemFingerprint = try r.string("system_fingerprint")
    }

    public var json: JSONValue {
        var b = ObjectBuilder()
        b.add("id", id)
        b.add("object", object)
        b.add("created", created)
        b.add("model", model)
        b.add("choices", .array(choices.map { c in
            ["index": .int(Int64(c.index)), "message": c.message.json, "finish_reason": c.finishReason.map(JSONValue.string) ?? .null]
        }))
        b.add("usage", usage?.json)
        b.add("system_fingerprint", systemFingerprint)
        return b.value
    }
}
