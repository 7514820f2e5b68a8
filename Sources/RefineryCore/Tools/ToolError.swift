
/// Why a tool call did not produce an output. The executor turns each of these into a tool-result
/// message for the model; none of them escapes as a crash.
public struct ToolError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: String, Sendable, Hashable {
        case unknownTool, invalidArguments, timedOut, failed, cancelled, notAllowed, tooManyRounds, invalidDefinition
    }

    private let code: Code
    /// A human-readable explanation, written so a model can act on it.
    public let message: String
    /// The tool concerned.
    public let toolName: String
    /// The offending value (the arguments' JSON text, a path, an expression), when there is one.
    public let value: String?

    private init(_ code: Code, tool: String, _ message: String, value: String? = nil) {
        self.code = code
        self.toolName = tool
        self.message = message
        self.value = value
    }

    /// The model named a tool that is not in the set (or not allowed by the tool choice).
    public static func unknownTool(_ name: String, available: [String]) -> ToolError {
        .init(.unknownTool, tool: name, "unknown tool '\(name)'; available tools: \(available.joined(separator: ", "))", value: name)
    }
    /// The arguments are not JSON, break the schema, or do not decode.
    public static func invalidArguments(tool: String, _ detail: String, arguments: String) -> ToolError {
        .init(.invalidArguments, tool: tool, "invalid arguments for '\(tool)': \(detail)", value: arguments)
    }
    /// The call ran past its time limit and was cancelled.
    public static func timedOut(tool: String, after limit: Duration) -> ToolError {
        .init(.timedOut, tool: tool, "tool '\(tool)' did not finish within \(Self.seconds(limit)) and was stopped")
    }
    /// The tool threw.
    public static func failed(tool: String, _ detail: String) -> ToolError {
        .init(.failed, tool: tool, "tool '\(tool)' failed: \(detail)")
    }
    /// The caller cancelled the turn.
    public static func cancelled(tool: String) -> ToolError {
        .init(.cancelled, tool: tool, "tool '\(tool)' was cancelled")
    }
    /// The tool refused the request (a path outside its folder, a forbidden operation).
    public static func notAllowed(tool: String, _ detail: String, value: String? = nil) -> ToolError {
        .init(.notAllowed, tool: tool, "tool '\(tool)' refused: \(detail)", value: value)
    }
    /// The model kept calling tools past the cap on rounds.
    public static func tooManyRounds(_ cap: Int) -> ToolError {
        .init(.tooManyRounds, tool: "", "the model was still calling tools after \(cap) rounds")
    }
    /// A tool set that cannot be offered (two tools with one name, a bad name).
    public static func invalidDefinition(tool: String, _ detail: String) -> ToolError {
        .init(.invalidDefinition, tool: tool, "tool '\(tool)': \(detail)")
    }

    /// Whether `other` has the same code.
    public func isKind(of other: ToolError) -> Bool { code == other.code }

    /// Whether the arguments were refused before the tool ran.
    public var isInvalidArguments: Bool { code == .invalidArguments }
    /// Whether the call ran out of time.
    public var isTimeout: Bool { code == .timedOut }
    /// Whether the tool name was not in the set.
    public var isUnknownTool: Bool { code == .unknownTool }

    public var description: String { message }

    package static func seconds(_ d: Duration) -> String {
        let (s, atto) = d.components
        let value = Double(s) + Double(atto) / 1e18
        return value >= 10 ? "\(Int(value.rounded())) s" : "\(Double(Int(value * 1000)) / 1000) s"
    }
}
