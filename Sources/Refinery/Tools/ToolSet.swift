import RefineryCore

/// The tools offered for one request, how the model may use them, and how many rounds of
/// calls a conversation may take.
public struct ToolSet: Sendable {
    /// The tools, in the order they are shown to the model.
    public let tools: [AnyTool]
    /// Whether the model may, must, or must not call tools (or must call one by name).
    public var choice: GenerationRequest.ToolChoice
    /// The most rounds of tool calls before the conversation must end with an answer.
    public var maxRounds: Int

    /// A tool set; throws ``ToolError/invalidDefinition(tool:_:)`` for a repeated or malformed
    /// name, or a named choice that is not in the set.
    public init(_ tools: [AnyTool], choice: GenerationRequest.ToolChoice = .auto, maxRounds: Int = 8) throws(ToolError) {
        var seen = Set<String>()
        for tool in tools {
            guard Self.isValidName(tool.name) else {
                throw .invalidDefinition(tool: tool.name, "names use 1 to 64 letters, digits, '_', '-' or '.'")
            }
            guard seen.insert(tool.name).inserted else { throw .invalidDefinition(tool: tool.name, "two tools share this name") }
        }
        if case .named(let name) = choice, !seen.contains(name) {
            throw .invalidDefinition(tool: name, "the tool choice names a tool that is not in the set")
        }
        self.tools = tools
        self.choice = choice
        self.maxRounds = max(0, maxRounds)
    }

    /// A tool set from typed tools.
    public init(_ tools: [any Tool], choice: GenerationRequest.ToolChoice = .auto, maxRounds: Int = 8) throws(ToolError) {
        try self.init(tools.map { AnyTool($0) }, choice: choice, maxRounds: maxRounds)
    }

    /// The tool called `name`, if it is in the set.
    public subscript(name: String) -> AnyTool? { tools.first { $0.name == name } }

    /// The tools the model may call under ``choice``: all of them for `auto` and `required`,
    /// none for `none`, one for `named`.
    public var offered: [AnyTool] {
        switch choice {
        case .auto, .required: return tools
        case .none: return []
        case .named(let name): return tools.filter { $0.name == name }
        }
    }

    /// Definitions of the offered tools, as a request carries them.
    public var definitions: [ToolDefinition] { offered.map(\.definition) }

    /// Puts the offered tools and the choice on `request`.
    public func apply(to request: inout GenerationRequest) {
        request.tools = choice == .none ? tools.map(\.definition) : definitions
        request.toolChoice = choice
    }

    /// The tool a call may run under ``choice``, or the error that goes back to the model.
    public func resolve(_ call: ToolCall) -> Result<AnyTool, ToolError> {
        let allowed = offered
        if let tool = allowed.first(where: { $0.name == call.name }) { return .success(tool) }
        if choice == .none {
            return .failure(.notAllowed(tool: call.name, "tool calls are disabled for this request", value: call.name))
        }
        return .failure(.unknownTool(call.name, available: allowed.map(\.name)))
    }

    static func isValidName(_ name: String) -> Bool { ToolDefinition.isValidName(name) }
}

extension ToolCallConstraint {
    /// The constraint for `tools` in `format`, or `nil` when no tool may be called.
    public init?(tools: ToolSet, format: any ToolCallFormat) {
        self.init(definitions: tools.definitions, choice: tools.choice, format: format)
    }
}
