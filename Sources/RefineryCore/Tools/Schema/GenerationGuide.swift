
/// A constraint on a generated value — a range, a count, a pattern, a set of choices — written
/// as `@Guide`'s arguments and applied to the property's schema, so the decoding constraint
/// holds the model to it and the validator checks it.
///
/// The names follow FoundationModels' `GenerationGuide`. One type serves every property type (the
/// macro's argument list cannot be generic over the property it annotates); `@Generable` rejects
/// at compile time a guide that does not fit its property's type.
public struct GenerationGuide: Sendable {
    /// The schema keywords the guide sets.
    let keywords: [(key: String, value: JSONValue)]
    /// For an array, a guide for its elements.
    let element: [GenerationGuide]

    init(_ keywords: [(key: String, value: JSONValue)], element: [GenerationGuide] = []) {
        self.keywords = keywords
        self.element = element
    }

    /// An integer at least `range.lowerBound` and at most `range.upperBound`.
    public static func range(_ range: ClosedRange<Int>) -> GenerationGuide {
        GenerationGuide([("minimum", .int(Int64(range.lowerBound))), ("maximum", .int(Int64(range.upperBound)))])
    }
    /// A number within `range`.
    public static func range(_ range: ClosedRange<Double>) -> GenerationGuide {
        GenerationGuide([("minimum", .double(range.lowerBound)), ("maximum", .double(range.upperBound))])
    }
    /// An integer at least `value`.
    public static func minimum(_ value: Int) -> GenerationGuide { GenerationGuide([("minimum", .int(Int64(value)))]) }
    /// An integer at most `value`.
    public static func maximum(_ value: Int) -> GenerationGuide { GenerationGuide([("maximum", .int(Int64(value)))]) }
    /// A number at least `value`.
    public static func minimum(_ value: Double) -> GenerationGuide { GenerationGuide([("minimum", .double(value))]) }
    /// A number at most `value`.
    public static func maximum(_ value: Double) -> GenerationGuide { GenerationGuide([("maximum", .double(value))]) }

    /// An array of exactly `count` elements.
    public static func count(_ count: Int) -> GenerationGuide {
        GenerationGuide([("minItems", .int(Int64(count))), ("maxItems", .int(Int64(count)))])
    }
    /// An array whose length is within `range`.
    public static func count(_ range: ClosedRange<Int>) -> GenerationGuide {
        GenerationGuide([("minItems", .int(Int64(range.lowerBound))), ("maxItems", .int(Int64(range.upperBound)))])
    }
    /// An array of at least `count` elements.
    public static func minimumCount(_ count: Int) -> GenerationGuide { GenerationGuide([("minItems", .int(Int64(count)))]) }
    /// An array of at most `count` elements.
    public static func maximumCount(_ count: Int) -> GenerationGuide { GenerationGuide([("maxItems", .int(Int64(count)))]) }
    /// An array each of whose elements follows `guides`.
    public static func element(_ guides: GenerationGuide...) -> GenerationGuide { GenerationGuide([], element: guides) }

    /// A string matching the regular expression `pattern` (JSON Schema's `pattern`: searched,
    /// not anchored — write `^…$` for the whole string).
    public static func pattern(_ pattern: String) -> GenerationGuide { GenerationGuide([("pattern", .string(pattern))]) }
    /// A string that is one of `choices`.
    public static func anyOf(_ choices: [String]) -> GenerationGuide {
        GenerationGuide([("enum", .array(choices.map { .string($0) }))])
    }
    /// Exactly the string `value`.
    public static func constant(_ value: String) -> GenerationGuide { GenerationGuide([("const", .string(value))]) }

    /// `schema` with this guide's keywords set (replacing any it had) and its element guides
    /// applied to `items`.
    func apply(to schema: JSONValue) -> JSONValue {
        guard case .object(var pairs) = schema else { return schema }
        for (key, value) in keywords {
            if let i = pairs.firstIndex(where: { $0.key == key }) { pairs[i].value = value } else { pairs.append((key, value)) }
        }
        if !element.isEmpty, let i = pairs.firstIndex(where: { $0.key == "items" }) {
            pairs[i].value = element.reduce(pairs[i].value) { $1.apply(to: $0) }
        }
        return .object(pairs)
    }
}

extension JSONSchema {
    /// `type`'s schema with `description` set and `guides` applied: how `@Generable` writes a
    /// property's schema from its `@Guide`.
    public static func guided<T: JSONSchemaConvertible>(
        _ type: T.Type, description: String? = nil, _ guides: [GenerationGuide] = []
    ) -> JSONValue {
        var schema = guides.reduce(T.jsonSchema) { $1.apply(to: $0) }
        if let description { schema = describing(schema, as: description) }
        return schema
    }
}
