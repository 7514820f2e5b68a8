import Foundation

/// What a tool returns: text, or a JSON value the model sees serialized.
public enum ToolOutput: Sendable, Hashable {
    case text(String)
    case json(JSONValue)

    /// The output as the model reads it in the tool-result message.
    public var content: String {
        switch self {
        case .text(let text): return text
        case .json(let value): return value.serialized()
        }
    }

    /// The JSON encoding of an `Encodable` value (keys sorted, so output is reproducible).
    public static func encoding<T: Encodable>(_ value: T) throws -> ToolOutput {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        return .json(try JSONValue(parsing: Array(data)))
    }
}
