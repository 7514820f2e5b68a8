
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
    /// Another opening that starts a call: `{"name":` for formats that wrap a
    /// `{"name": …, "arguments": …}` object in tags (Hermes, prompted), since small models often
    /// leave the tags out and write the object bare (or in a ```json fence) — which the lenient
    /// parser (``ToolCallFormats/parseLeniently(_:format:toolNames:)``) reads as a call. The JSON
    /// from this opening on is held to ``schema`` too. `nil` for formats whose opening is already
    /// JSON (Llama 3) or whose calls are a list (Mistral).
    public let bareOpening: String?

    /// The constraint for a request's tool definitions and choice (a named choice keeps only
    /// that tool), or `nil` when no tool may be called.
    public init?(definitions: [ToolDefinition], choice: GenerationRequest.ToolChoice, format: any ToolCallFormat) {
        let offered: [ToolDefinition]
        switch choice {
        case .none: offered = []
        case .auto, .required: offered = definitions
        case .named(let name): offered = definitions.filter { $0.name == name }
        }
        guard !offered.isEmpty else { return nil }
        opening = format.callOpening
        closing = format.callClosing
        schema = format.callSchema(for: offered)
        let jsonOpening = opening.hasPrefix("{") || opening.hasPrefix("[")
        bareOpening = jsonOpening || schema["type"] == "array" ? nil : "{\"name\":"
        switch choice {
        case .required, .named: mustCall = true
        case .auto, .none: mustCall = false
        }
    }
}
