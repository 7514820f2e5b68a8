import RefineryCore

/// Which schema keywords the grammar compiler acts on.
///
/// JSON Schema tells validators to ignore keywords they do not know, and annotations
/// (`title`, `description`, `markdownDescription`, `examples`, `default`, `x-…` vendor keys,
/// `deprecated`, `readOnly`, …) never constrain a value, so the compiler ignores every keyword
/// outside ``constraining``. Of the constraining keywords, ``refused`` ones (dynamic scoping)
/// are an error; every other one is enforced exactly or by a documented sound
/// under-approximation, or refused with an error naming the keyword where that is impossible.
enum JSONSchemaVocabulary {
    /// Keywords of the published drafts (4 to 2020-12) that restrict which values validate.
    static let constraining: Set<String> = [
        "type", "enum", "const",
        "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
        "maxLength", "minLength", "pattern", "format",
        "items", "prefixItems", "additionalItems", "unevaluatedItems", "contains", "minContains", "maxContains",
        "maxItems", "minItems", "uniqueItems",
        "properties", "patternProperties", "additionalProperties", "unevaluatedProperties", "propertyNames",
        "required", "dependentRequired", "dependentSchemas", "dependencies", "maxProperties", "minProperties",
        "allOf", "anyOf", "oneOf", "not", "if", "then", "else",
        "$ref", "$dynamicRef", "$recursiveRef",
    ]

    /// Constraining keywords no grammar can follow: their target depends on the dynamic scope
    /// of the validation (allowed only in the form `"#"`, which means the document root here).
    static let refused: Set<String> = ["$dynamicRef", "$recursiveRef"]

    /// Keywords that make a schema without `type` describe objects.
    static let objectKeywords: Set<String> = [
        "properties", "required", "additionalProperties", "patternProperties", "propertyNames", "minProperties",
        "maxProperties", "dependentRequired", "dependencies", "unevaluatedProperties",
    ]
    /// Keywords that make a schema without `type` describe arrays.
    static let arrayKeywords: Set<String> = [
        "items", "prefixItems", "additionalItems", "minItems", "maxItems", "uniqueItems", "contains", "minContains",
        "maxContains", "unevaluatedItems",
    ]
    /// Keywords that make a schema without `type` describe strings.
    static let stringKeywords: Set<String> = ["minLength", "maxLength", "pattern"]
    /// Keywords that make a schema without `type` describe numbers.
    static let numberKeywords: Set<String> = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"]

    /// All type names.
    static let typeNames: [String] = ["object", "array", "string", "number", "integer", "boolean", "null"]

    /// Throws for a refused keyword in `pairs` (the members of the schema object at `path`).
    static func check(_ pairs: [(key: String, value: JSONValue)], path: String) throws(GrammarError) {
        for (key, value) in pairs where refused.contains(key) && value != .string("#") {
            throw .unsupportedKeyword(key, path: path, "dynamic references depend on the validation's scope")
        }
    }
}
