/// One turn of a conversation.
public struct ChatMessage: Sendable, Hashable {
    /// Who speaks.
    public enum Role: String, Sendable, Hashable, Codable {
        case system, user, assistant, tool
    }

    public var role: Role
    public var content: String
    /// Calls an assistant turn asked for.
    public var toolCalls: [ToolCall]
    /// For a `tool` turn, the id of the call it answers.
    public var toolCallID: String?
    /// For a `tool` turn, the tool's name.
    public var name: String?

    public init(role: Role, content: String, toolCalls: [ToolCall] = [], toolCallID: String? = nil, name: String? = nil) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
        self.name = name
    }

    public static func system(_ text: String) -> ChatMessage { ChatMessage(role: .system, content: text) }
    public static func user(_ text: String) -> ChatMessage { ChatMessage(role: .user, content: text) }
    public static func assistant(_ text: String, toolCalls: [ToolCall] = []) -> ChatMessage {
        ChatMessage(role: .assistant, content: text, toolCalls: toolCalls)
    }
    public static func tool(_ text: String, callID: String?, name: String?) -> ChatMessage {
        ChatMessage(role: .tool, content: text, toolCallID: callID, name: name)
    }
}

/// A model's request to run a tool.
public struct ToolCall: Sendable, Hashable {
    public var id: String
    public var name: String
    /// The arguments as a JSON object.
    public var arguments: JSONValue

    public init(id: String, name: String, arguments: JSONValue) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}

/// What a model is told about a tool it may call.
public struct ToolDefinition: Sendable, Hashable {
    public var name: String
    public var description: String
    /// The JSON schema of the arguments object.
    public var parameters: JSONValue

    public init(name: String, description: String, parameters: JSONValue) {
        self.name = name
        self.description = description
        self.parameters = parameters
    }

    /// Whether `name` is a valid tool name: 1 to 64 ASCII letters, digits, `_`, `-` or `.`
    /// (what OpenAI-compatible APIs accept).
    public static func isValidName(_ name: String) -> Bool {
        guard (1...64).contains(name.utf8.count) else { return false }
        return name.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D || b == 0x2E
        }
    }
}
