import Foundation

/// Checking and decoding a generated JSON document: shared by the typed API
/// (``LanguageModel/respond(to:generating:sampling:maxTokens:deadline:includeSchemaInPrompt:)``)
/// and by remote models, whose replies are validated on receipt.
public enum StructuredOutput {
    /// The JSON document in `text`, checked against `schema` (`nil`: any JSON value).
    ///
    /// A document that does not parse, or breaks the schema, is
    /// ``StructuredOutputError/incompleteOutput(_:reason:)`` when generation stopped early
    /// (`finishReason` is `length`, `deadline` or `cancelled`, or `nil` for a stream that ended
    /// without finishing) and ``StructuredOutputError/nonConforming(_:problems:)`` otherwise. A
    /// complete valid document is returned whatever the finish reason.
    public static func document(_ text: String, schema: JSONValue?, finishReason: FinishReason?) throws(StructuredOutputError) -> JSONValue {
        let stoppedEarly: Bool
        switch finishReason {
        case .length?, .deadline?, .cancelled?, nil: stoppedEarly = true
        case .stop?, .toolCalls?: stoppedEarly = false
        }
        let value: JSONValue
        do {
            value = try JSONValue(parsing: text.trimmingWhitespace())
        } catch {
            if stoppedEarly { throw .incompleteOutput(text, reason: finishReason) }
            throw .nonConforming(text, problems: ["not a JSON document: \(error.message)"])
        }
        if let schema {
            let violations = JSONSchemaValidator(schema: schema).violations(of: value)
            if !violations.isEmpty {
                if stoppedEarly { throw .incompleteOutput(text, reason: finishReason) }
                throw .nonConforming(text, problems: violations.map(\.description))
            }
        }
        return value
    }

    /// `value` decoded as `T` (through its compact JSON text).
    public static func decode<T: Decodable>(_ value: JSONValue, as type: T.Type, text: String) throws(StructuredOutputError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(value.serializedBytes()))
        } catch {
            throw .undecodable(text, typeName: String(describing: T.self), String(describing: error))
        }
    }
}
