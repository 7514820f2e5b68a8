import RefineryInference

/// What a constrained decoder needs to make every tool call of a turn parse: the text that opens
/// a call, the JSON schema of the call that follows it (names limited to the offered tools,
/// arguments to each tool's schema), and the text that closes it.
///
/// With tool choice `auto` the model decides whether to open a call, and the schema applies
/// once it has written ``opening``; with `required` or a named tool ``mustCall`` is set and the
/// output starts with a call.
public struct ToolCallConstraint: Sendable, Hashable {
    /// The text that opens a call.
    public let opening: String
    /// The schema of the JSON after ``opening``.
    public let schema: JSONValue
    /// The text that closes a call (empty when the JSON's end closes it).
    public let closing: String
    /// Whether the output must begin with a call instead of the model choosing.
    public let mustCall: Bool

    /// The constraint for `tools` in `format`, or `nil` when no tool may be called.
    public init?(tools: ToolSet, format: any ToolCallFormat) {
        let offered = tools.definitions
        guard !offered.isEmpty else { return nil }
        opening = format.callOpening
        closing = format.callClosing
        schema = format.callSchema(for: offered)
        switch tools.choice {
        case .required, .named: mustCall = true
        case .auto, .none: mustCall = false
        }
    }
}
