import RefineryCore

/// A string enumeration describes itself: its raw values are the schema's `enum`, so a
/// constrained model can only pick one of the cases.
///
/// ```swift
/// enum Weekday: String, CaseIterable, Codable, JSONSchemaConvertible { case monday, tuesday }
/// ```
extension JSONSchemaConvertible where Self: CaseIterable & RawRepresentable, Self.RawValue == String {
    public static var jsonSchema: JSONValue { JSONSchema.string(oneOf: allCases.map(\.rawValue)) }
}

/// An optional value is its wrapped schema or `null` (list the property with
/// ``JSONSchema/Property/optional(_:_:)`` to let the model leave it out instead).
extension Optional: JSONSchemaConvertible where Wrapped: JSONSchemaConvertible {
    public static var jsonSchema: JSONValue { JSONSchema.anyOf([Wrapped.jsonSchema, .object([("type", "null")])]) }
}
