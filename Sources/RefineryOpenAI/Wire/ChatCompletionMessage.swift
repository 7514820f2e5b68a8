import RefineryCore

/// A message of a chat completion request or response (`messages[i]`, `choices[i].message`).
public struct ChatCompletionMessage: Sendable, Hashable {
    /// `system`, `developer`, `user`, `assistant` or `tool` (kept open: providers add roles).
    public var role: String
    /// The text. Array-of-parts content is read as its text parts joined; `nil` when absent.
    public var content: String?
    /// An optional participant name; for legacy `function` messages, the function's name.
    public var name: String?
    /// Calls an assistant message makes.
    public var toolCalls: [ChatCompletionToolCall]?
    /// For a `tool` message, the id of the call it answers.
    public var toolCallID: String?
    /// Reasoning text some servers return beside the content (`reasoning_content`).
    public var reasoningContent: String?

    public init(
        role: String, content: String?, name: String? = nil, toolCalls: [ChatCompletionToolCall]? = nil,
        toolCallID: String? = nil, reasoningContent: String? = nil
    ) {
        self.role = role
        self.content = content
        self.name = name
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
        self.reasoningContent = reasoningContent
    }

    /// Reads a message; `path` names it in errors.
    public init(json: JSONValue, path: String = "message") throws(WireDecodingError) {
        let r = try ObjectReader(json, path: path)
        role = try r.requireString("role")
        switch r.value("content") {
        case nil: content = nil
        case .string(let s)?: content = s
        case .array(let parts)?:
            var text = ""
            for (i, part) in parts.enumerated() {
                let p = try ObjectReader(part, path: "\(r.field("content"))[\(i)]")
                let type = try p.requireString("type")
                guard type == "text" else {
                    throw .invalid(p.field("type"), "content part type \"\(type)\" is not supported (only text)")
                }
                text += try p.requireString("text")
            }
            content = text
        case let other?: throw .wrongType(r.field("content"), expected: "a string or an array of parts", found: other)
        }
        name = try r.string("name")
        toolCalls = try r.objects("tool_calls") { (v, p) throws(WireDecodingError) in try ChatCompletionToolCall(json: v, path: p) }
        toolCallID = try r.string("tool_call_id")
        reasoningContent = try r.string("reasoning_content")
    }

    /// The message as wire JSON. An assistant message with tool calls and no text sends `content: null`.
    public var json: JSONValue {
        var b = ObjectBuilder()
        b.add("role", role)
        b.add("content", content.map(JSONValue.string) ?? .null)
        b.add("name", name)
        if let toolCalls, !toolCalls.isEmpty { b.add("tool_calls", .array(toolCalls.map(\.json))) }
        b.add("tool_call_id", toolCallID)
        b.add("reasoning_content", reasoningContent)
        return b.value
    }
}

/// A function call an assistant message makes (`tool_calls[i]`).
public struct ChatCompletionToolCall: Sendable, Hashable {
    public var id: String
    /// Always `function` today.
    public var type: String
    public var name: String
    /// The arguments as JSON text, exactly as the model wrote them (possibly invalid).
    public var arguments: String

    public init(id: String, type: String = "function", name: String, arguments: String) {
        self.id = id
        self.type = type
        self.name = name
        self.arguments = arguments
    }

    public init(json: JSONValue, path: String) throws(WireDecodingError) {
        let r = try ObjectReader(json, path: path)
        id = try r.string("id") ?? ""
        type = try r.string("type") ?? "function"
        let f = try ObjectReader(try r.require("function"), path: r.field("function"))
        name = try f.requireString("name")
        switch f.value("arguments") {
        case nil: arguments = "{}"
        case .string(let s)?: arguments = s
        // Some servers send the arguments as an object instead of its text.
        case let object?: arguments = object.serialized()
        }
    }

    public var json: JSONValue {
        ["id": .string(id), "type": .string(type), "function": ["name": .string(name), "arguments": .string(arguments)]]
    }
}
