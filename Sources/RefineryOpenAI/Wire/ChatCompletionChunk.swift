import RefineryCore

/// One server-sent event of a streaming chat completion (`object: chat.completion.chunk`).
public struct ChatCompletionChunk: Sendable, Hashable {
    /// A fragment of a tool call: the first fragment of a call carries its id and name.
    public struct ToolCallDelta: Sendable, Hashable {
        public var index: Int
        public var id: String?
        public var type: String?
        public var name: String?
        public var arguments: String?

        public init(index: Int, id: String? = nil, type: String? = nil, name: String? = nil, arguments: String? = nil) {
            self.index = index
            self.id = id
            self.type = type
            self.name = name
            self.arguments = arguments
        }

        public init(json: JSONValue, path: String) throws(WireDecodingError) {
            let r = try ObjectReader(json, path: path)
            index = try r.int("index") ?? 0
            id = try r.string("id")
            type = try r.string("type")
            if let f = r.value("function") {
                let fr = try ObjectReader(f, path: r.field("function"))
                name = try fr.string("name")
                switch fr.value("arguments") {
                case nil: arguments = nil
                case .string(let s)?: arguments = s
                case let object?: arguments = object.serialized()
                }
            }
        }

        public var json: JSONValue {
            var f = ObjectBuilder()
            f.add("name", name)
            f.add("arguments", arguments)
            var b = ObjectBuilder()
            b.add("index", index)
            b.add("id", id)
            b.add("type", type)
            b.add("function", f.value)
            return b.value
        }
    }

    /// What one choice adds in this chunk.
    public struct Delta: Sendable, Hashable {
        public var role: String?
        public var content: String?
        public var reasoningContent: String?
        public var toolCalls: [ToolCallDelta]?

        public init(role: String? = nil, content: String? = nil, reasoningContent: String? = nil, toolCalls: [ToolCallDelta]? = nil) {
            self.role = role
            self.content = content
            self.reasoningContent = reasoningContent
            self.toolCalls = toolCalls
        }
    }

    public struct Choice: Sendable, Hashable {
        public var index: Int
        public var delta: Delta
        public var finishReason: String?

        public init(index: Int, delta: Delta, finishReason: String? = nil) {
            self.index = index
            self.delta = delta
            self.finishReason = finishReason
        }
    }

    public var id: String
    public var object: String
    public var created: Int
    public var model: String
    public var choices: [Choice]
    /// Present on the last chunk when `stream_options.include_usage` was asked for.
    public var usage: ChatCompletionUsage?

    public init(
        id: String, object: String = "chat.completion.chunk", created: Int, model: String, choices: [Choice],
        usage: ChatCompletionUsage? = nil
    ) {
        self.id = id
        self.object = object
        self.created = created
        self.model = model
        self.choices = choices
        self.usage = usage
    }

    public init(json: JSONValue) throws(WireDecodingError) {
        let r = try ObjectReader(json, path: "")
        id = try r.string("id") ?? ""
        object = try r.string("object") ?? "chat.completion.chunk"
        created = try r.int("created") ?? 0
        model = try r.string("model") ?? ""
        choices = try r.objects("choices") { (v, p) throws(WireDecodingError) -> Choice in
            let c = try ObjectReader(v, path: p)
            var delta = Delta()
            if let d = c.value("delta") {
                let dr = try ObjectReader(d, path: c.field("delta"))
                delta.role = try dr.string("role")
                delta.content = try dr.string("content")
                delta.reasoningContent = try dr.string("reasoning_content")
                delta.toolCalls = try dr.objects("tool_calls") { (v, p) throws(WireDecodingError) in try ToolCallDelta(json: v, path: p) }
            }
            return Choice(index: try c.int("index") ?? 0, delta: delta, finishReason: try c.string("finish_reason"))
        } ?? []
        usage = try r.value("usage").map { (v) throws(WireDecodingError) in try ChatCompletionUsage(json: v) }
    }

    public var json: JSONValue {
        var b = ObjectBuilder()
        b.add("id", id)
        b.add("object", object)
        b.add("created", created)
        b.add("model", model)
        b.add("choices", .array(choices.map { c in
            var d = ObjectBuilder()
            d.add("role", c.delta.role)
            d.add("content", c.delta.content)
            d.add("reasoning_content", c.delta.reasoningContent)
            if let calls = c.delta.toolCalls { d.add("tool_calls", .array(calls.map(\.json))) }
            return ["index": .int(Int64(c.index)), "delta": d.value, "finish_reason": c.finishReason.map(JSONValue.string) ?? .null]
        }))
        b.add("usage", usage?.json)
        return b.value
    }
}
