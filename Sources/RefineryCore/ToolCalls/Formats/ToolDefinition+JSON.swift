import Foundation

extension ToolDefinition {
    /// The OpenAI-style JSON templates receive as a tool:
    /// `{"type": "function", "function": {"name", "description", "parameters"}}`.
    public var functionJSON: JSONValue {
        .object([
            ("type", "function"),
            ("function", .object([
                ("name", .string(name)), ("description", .string(description)), ("parameters", parameters),
            ])),
        ])
    }
}

