import RefineryCore
import Refinery
import RefineryInference

/// Turns BFCL's function documents into tool definitions with JSON-schema parameters, as BFCL's
/// own `convert_to_tool` does for function-calling models (`GORILLA_TO_OPENAPI`):
/// `dict` → `object`, `float` → `number` (with "This is a float type value." added to the
/// description), `tuple` → `array`, `any` → `string`, a missing or unknown type → `string`.
///
/// Only the keywords that describe the value are kept (`type`, `description`, `enum`,
/// `default`, `items`, `properties`, `required`); BFCL's own markers such as `optional` are
/// dropped, so every schema is one the grammar compiler accepts, and `required` keeps only
/// names that are properties.
public enum BFCLToolConversion {
    /// BFCL's type names and the JSON-schema types they become.
    static let typeMapping: [String: String] = [
        "integer": "integer", "number": "number", "float": "number", "string": "string", "boolean": "boolean",
        "bool": "boolean", "array": "array", "list": "array", "dict": "object", "object": "object", "tuple": "array",
        "any": "string", "byte": "integer", "short": "integer", "long": "integer", "double": "number", "char": "string",
        "ArrayList": "array", "Array": "array", "HashMap": "object",
    ]

    /// The tool definition for one BFCL function document.
    public static func definition(_ function: JSONValue) -> ToolDefinition {
        let name = function["name"]?.stringValue ?? ""
        let description = function["description"]?.stringValue ?? ""
        let parameters = function["parameters"] ?? .object([])
        return ToolDefinition(name: name, description: description, parameters: objectSchema(parameters))
    }

    /// `{"type": "object", "properties": …, "required": …}` from a BFCL parameters object.
    static func objectSchema(_ parameters: JSONValue) -> JSONValue {
        var properties: [(key: String, value: JSONValue)] = []
        if case .object(let pairs)? = parameters["properties"] {
            properties = pairs.map { ($0.key, propertySchema($0.value)) }
        }
        var out: [(key: String, value: JSONValue)] = [("type", "object"), ("properties", .object(properties))]
        if case .array(let names)? = parameters["required"] {
            let known = Set(properties.map(\.key))
            let kept = names.filter { $0.stringValue.map(known.contains) ?? false }
            out.append(("required", .array(kept)))
        }
        return .object(out)
    }

    /// The schema of one parameter (or array item).
    static func propertySchema(_ property: JSONValue) -> JSONValue {
        guard case .object = property else { return .object([("type", "string")]) }
        let original = property["type"]?.stringValue
        let type = original.flatMap { typeMapping[$0] } ?? "string"
        var out: [(key: String, value: JSONValue)] = [("type", .string(type))]
        var description = property["description"]?.stringValue
        if original == "float" { description = (description ?? "") + " This is a float type value." }
        if let description { out.append(("description", .string(description))) }
        if let values = property["enum"], case .array = values { out.append(("enum", values)) }
        if let value = property["default"] { out.append(("default", value)) }
        if type == "array", let items = property["items"] {
            out.append(("items", propertySchema(items)))
        }
        if type == "object", property["properties"] != nil {
            let object = objectSchema(property)
            if let properties = object["properties"] { out.append(("properties", properties)) }
            if let required = object["required"] { out.append(("required", required)) }
        }
        return .object(out)
    }
}
