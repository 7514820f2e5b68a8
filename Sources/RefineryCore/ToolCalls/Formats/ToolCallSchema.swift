import Foundation

/// JSON schemas for "a call to one of these tools", which the grammar engine uses to constrain a
/// call once the model has opened it: the name is one of the set's (`const` per branch of an
/// `anyOf`), and the arguments follow that tool's own schema.
public enum ToolCallSchema {
    /// One call as an object `{"<nameKey>": NAME, "<argumentsKey>": ARGUMENTS}`.
    ///
    /// With a single tool the `anyOf` is left out. With no tools the schema accepts nothing
    /// (`false`), since no call can be valid.
    public static func call(for tools: [ToolDefinition], nameKey: String = "name", argumentsKey: String = "arguments") -> JSONValue {
        let branches: [JSONValue] = tools.map { tool in
            .object([
                ("type", "object"),
                ("properties", .object([
                    (nameKey, .object([("const", .string(tool.name))])),
                    (argumentsKey, argumentsSchema(tool.parameters)),
                ])),
                ("required", [.string(nameKey), .string(argumentsKey)]),
                ("additionalProperties", false),
            ])
        }
        switch branches.count {
        case 0: return false
        case 1: return branches[0]
        default: return .object([("anyOf", .array(branches))])
        }
    }

    /// One or more calls as a JSON array of ``call(for:nameKey:argumentsKey:)`` objects.
    public static func callList(for tools: [ToolDefinition], nameKey: String = "name", argumentsKey: String = "arguments", maxCalls: Int? = nil) -> JSONValue {
        var pairs: [(key: String, value: JSONValue)] = [
            ("type", "array"), ("items", call(for: tools, nameKey: nameKey, argumentsKey: argumentsKey)), ("minItems", 1),
        ]
        if let maxCalls { pairs.append(("maxItems", .int(Int64(maxCalls)))) }
        return .object(pairs)
    }

    /// A tool's parameters as an arguments schema: an empty or missing schema becomes "an
    /// object", so a tool without parameters is still called with `{}`.
    static func argumentsSchema(_ parameters: JSONValue) -> JSONValue {
        switch parameters {
        case .object(let pairs) where pairs.isEmpty: return .object([("type", "object")])
        case .object: return parameters
        default: return .object([("type", "object")])
        }
    }
}
