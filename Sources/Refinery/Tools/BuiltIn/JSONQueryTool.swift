import RefineryCore

/// Selects values from a JSON document with a ``JSONPath`` (`$.items[0].name`, `$.items[*].id`).
public struct JSONQueryTool: Tool {
    public struct Arguments: Decodable, Sendable, JSONSchemaConvertible {
        public var document: String
        public var path: String
        public static var jsonSchema: JSONValue {
            JSONSchema.object([
                .required("document", JSONSchema.string(description: "The JSON document, as JSON text")),
                .required("path", JSONSchema.string(description: "A path such as $.items[0].name or $.items[*].id (dot keys, [index], [*], [\"key\"])")),
            ])
        }
    }

    public init() {}

    public var name: String { "json_query" }
    public var description: String {
        "Extracts values from a JSON document by path. Returns the value, or an array of values when the path has [*]."
    }

    public func call(_ arguments: Arguments) async throws -> ToolOutput {
        let document: JSONValue
        do { document = try JSONValue(parsing: arguments.document) } catch {
            throw ToolError.failed(tool: name, "the document is not valid JSON: \(error)")
        }
        let path: JSONPath
        do { path = try JSONPath(arguments.path) } catch { throw ToolError.failed(tool: name, "bad path: \(error)") }
        let found = path.select(in: document)
        if path.isWildcard { return .json(.array(found)) }
        guard let value = found.first else { throw ToolError.failed(tool: name, "nothing at \(arguments.path)") }
        return .json(value)
    }
}
