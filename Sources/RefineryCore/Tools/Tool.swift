
/// Something a model can call: a name, a description, typed arguments with a JSON schema, and
/// an async body.
///
/// The model only ever sees ``name``, ``description`` and the arguments' schema. Before ``call(_:)``
/// runs, the executor validates the model's JSON against that schema and decodes it into
/// ``Arguments``; a call that fails either step never reaches the tool.
///
/// ```swift
/// struct Weather: Tool {
///     struct Arguments: Decodable, JSONSchemaConvertible {
///         var city: String
///         static var jsonSchema: JSONValue {
///             JSONSchema.object([.required("city", JSONSchema.string(description: "City name"))])
///         }
///     }
///     let name = "weather"
///     let description = "Current weather for a city."
///     func call(_ arguments: Arguments) async throws -> ToolOutput { .text("Sunny in \(arguments.city)") }
/// }
/// ```
public protocol Tool: Sendable {
    /// The typed arguments, decoded from the model's JSON after validation.
    associatedtype Arguments: Decodable & JSONSchemaConvertible

    /// The name the model calls the tool by (letters, digits, `_` and `-`).
    var name: String { get }

    /// What the tool does and when to use it, as the model is told.
    var description: String { get }

    /// The JSON schema of the arguments object; by default `Arguments.jsonSchema`.
    var parametersSchema: JSONValue { get }

    /// Runs the tool. Throwing is fine: the error's description goes back to the model as the
    /// call's result. Long-running tools should check for cancellation (timeouts cancel).
    func call(_ arguments: Arguments) async throws -> ToolOutput
}

extension Tool {
    public var parametersSchema: JSONValue { Arguments.jsonSchema }

    /// What a model is told about this tool.
    public var definition: ToolDefinition {
        ToolDefinition(name: name, description: description, parameters: parametersSchema)
    }
}
