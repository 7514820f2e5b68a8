
/// A type that describes its own JSON encoding as a JSON schema.
///
/// Tools use it for their typed arguments: the schema is what the model is shown and what its
/// arguments are validated against before they are decoded. Build schemas with ``JSONSchema``
/// so descriptions, ranges and enumerations flow into them:
///
/// ```swift
/// struct Arguments: Decodable, JSONSchemaConvertible {
///     var city: String
///     var days: Int?
///     static var jsonSchema: JSONValue {
///         JSONSchema.object([
///             .required("city", JSONSchema.string(description: "City name")),
///             .optional("days", JSONSchema.integer(description: "Forecast length", minimum: 1, maximum: 14)),
///         ])
///     }
/// }
/// ```
public protocol JSONSchemaConvertible {
    /// The JSON schema every encoding of this type satisfies.
    static var jsonSchema: JSONValue { get }
}

extension String: JSONSchemaConvertible {
    public static var jsonSchema: JSONValue { JSONSchema.string() }
}
extension Int: JSONSchemaConvertible {
    public static var jsonSchema: JSONValue { JSONSchema.integer() }
}
extension Double: JSONSchemaConvertible {
    public static var jsonSchema: JSONValue { JSONSchema.number() }
}
extension Float: JSONSchemaConvertible {
    public static var jsonSchema: JSONValue { JSONSchema.number() }
}
extension Bool: JSONSchemaConvertible {
    public static var jsonSchema: JSONValue { JSONSchema.boolean() }
}
extension Array: JSONSchemaConvertible where Element: JSONSchemaConvertible {
    public static var jsonSchema: JSONValue { JSONSchema.array(of: Element.jsonSchema) }
}

/// Arguments of a tool that takes none.
public struct NoArguments: Decodable, Sendable, Hashable, JSONSchemaConvertible {
    public init() {}
    public static var jsonSchema: JSONValue { JSONSchema.object([]) }
}

extension GenerationRequest.OutputConstraint {
    /// A document of `type`'s JSON encoding: its ``JSONSchemaConvertible/jsonSchema``.
    public static func schema<T: JSONSchemaConvertible>(of type: T.Type) -> Self { .jsonSchema(T.jsonSchema) }
}
