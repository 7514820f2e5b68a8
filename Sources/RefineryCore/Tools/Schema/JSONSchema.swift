
/// Builders for JSON schemas (as ``JSONValue``) in the subset the grammar engine compiles and
/// ``JSONSchemaValidator`` checks. Keys come out in a fixed order (`type`, `description`, then
/// the constraints), and object properties in the order given, which is the order a constrained
/// model emits them.
public enum JSONSchema {
    /// One property of an object schema.
    public struct Property: Sendable {
        public var name: String
        public var schema: JSONValue
        public var isRequired: Bool

        public init(_ name: String, _ schema: JSONValue, required: Bool = true) {
            self.name = name
            self.schema = schema
            self.isRequired = required
        }

        /// A property that must be present.
        public static func required(_ name: String, _ schema: JSONValue) -> Property { Property(name, schema, required: true) }
        /// A property that may be left out.
        public static func optional(_ name: String, _ schema: JSONValue) -> Property { Property(name, schema, required: false) }
    }

    /// An object with exactly these properties (`additionalProperties: false`).
    public static func object(_ properties: [Property], description: String? = nil, additionalProperties: Bool = false) -> JSONValue {
        var pairs: [(key: String, value: JSONValue)] = [("type", "object")]
        if let description { pairs.append(("description", .string(description))) }
        pairs.append(("properties", .object(properties.map { ($0.name, $0.schema) })))
        let required = properties.filter(\.isRequired).map { JSONValue.string($0.name) }
        if !required.isEmpty { pairs.append(("required", .array(required))) }
        if !additionalProperties { pairs.append(("additionalProperties", false)) }
        return .object(pairs)
    }

    /// A string, optionally one of `oneOf`, bounded in length or matching `pattern`.
    public static func string(
        description: String? = nil, oneOf choices: [String]? = nil, minLength: Int? = nil, maxLength: Int? = nil,
        pattern: String? = nil
    ) -> JSONValue {
        var pairs: [(key: String, value: JSONValue)] = [("type", "string")]
        if let description { pairs.append(("description", .string(description))) }
        if let choices { pairs.append(("enum", .array(choices.map { .string($0) }))) }
        if let minLength { pairs.append(("minLength", .int(Int64(minLength)))) }
        if let maxLength { pairs.append(("maxLength", .int(Int64(maxLength)))) }
        if let pattern { pairs.append(("pattern", .string(pattern))) }
        return .object(pairs)
    }

    /// An integer, optionally within `minimum...maximum`.
    public static func integer(description: String? = nil, minimum: Int? = nil, maximum: Int? = nil) -> JSONValue {
        var pairs: [(key: String, value: JSONValue)] = [("type", "integer")]
        if let description { pairs.append(("description", .string(description))) }
        if let minimum { pairs.append(("minimum", .int(Int64(minimum)))) }
        if let maximum { pairs.append(("maximum", .int(Int64(maximum)))) }
        return .object(pairs)
    }

    /// A number (integer or fraction).
    public static func number(description: String? = nil) -> JSONValue {
        var pairs: [(key: String, value: JSONValue)] = [("type", "number")]
        if let description { pairs.append(("description", .string(description))) }
        return .object(pairs)
    }

    /// `true` or `false`.
    public static func boolean(description: String? = nil) -> JSONValue {
        var pairs: [(key: String, value: JSONValue)] = [("type", "boolean")]
        if let description { pairs.append(("description", .string(description))) }
        return .object(pairs)
    }

    /// An array of `items`, optionally bounded in length.
    public static func array(of items: JSONValue, description: String? = nil, minItems: Int? = nil, maxItems: Int? = nil) -> JSONValue {
        var pairs: [(key: String, value: JSONValue)] = [("type", "array")]
        if let description { pairs.append(("description", .string(description))) }
        pairs.append(("items", items))
        if let minItems { pairs.append(("minItems", .int(Int64(minItems)))) }
        if let maxItems { pairs.append(("maxItems", .int(Int64(maxItems)))) }
        return .object(pairs)
    }

    /// Any JSON value.
    public static func any(description: String? = nil) -> JSONValue {
        guard let description else { return .object([]) }
        return .object([("description", .string(description))])
    }

    /// One of the given schemas.
    public static func anyOf(_ schemas: [JSONValue]) -> JSONValue { .object([("anyOf", .array(schemas))]) }

    /// Exactly `value`.
    public static func constant(_ value: JSONValue) -> JSONValue { .object([("const", value)]) }

    /// `schema` with `description` set (replacing any description it had).
    public static func describing(_ schema: JSONValue, as description: String) -> JSONValue {
        guard case .object(var pairs) = schema else { return schema }
        pairs.removeAll { $0.key == "description" }
        let at = pairs.first?.key == "type" ? 1 : 0
        pairs.insert(("description", .string(description)), at: at)
        return .object(pairs)
    }
}
