import Foundation

/// How one model family writes tool calls in plain text, and how tools are presented to it.
///
/// Local models call tools by generating text in the format their chat template taught them;
/// a format parses that text back into ``ToolCall``s, renders calls for the transcript, and
/// describes the JSON that follows ``callOpening`` so the engine can constrain it (see
/// ``callSchema(for:)``). Pick one with ``ToolCallFormats/detect(templateSource:)``.
public protocol ToolCallFormat: Sendable {
    /// A short identifier (`hermes`, `llama3`, `mistral`, `prompted`).
    var name: String { get }

    /// The text that opens a call; once the model has produced it, the JSON that follows is
    /// constrained to ``callSchema(for:)``.
    var callOpening: String { get }

    /// The text that closes a call (empty when the JSON's end closes it).
    var callClosing: String { get }

    /// The schema of the JSON between ``callOpening`` and ``callClosing`` for these tools.
    func callSchema(for tools: [ToolDefinition]) -> JSONValue

    /// Instructions and tool descriptions for the system prompt, for templates that do not
    /// render the tools themselves.
    func systemPrompt(for tools: [ToolDefinition]) -> String

    /// `calls` written as the model would write them.
    func render(_ calls: [ToolCall]) -> String

    /// Splits model output into its text and its calls. Text that opens a call but does not
    /// hold a well-formed one is reported in ``ParsedToolCalls/malformed``, never dropped.
    func parse(_ output: String) -> ParsedToolCalls
}

/// What a ``ToolCallFormat`` found in model output.
public struct ParsedToolCalls: Sendable, Hashable {
    /// The output with the calls taken out (trimmed).
    public var content: String
    /// The calls, in output order, with ids `call_0`, `call_1`, …
    public var calls: [ToolCall]
    /// Fragments that opened a call but did not parse into one.
    public var malformed: [String]

    public init(content: String, calls: [ToolCall], malformed: [String] = []) {
        self.content = content
        self.calls = calls
        self.malformed = malformed
    }
}
