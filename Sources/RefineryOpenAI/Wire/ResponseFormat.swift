import RefineryCore

/// The shape the reply must take (`response_format`).
public enum ResponseFormat: Sendable, Hashable {
    /// Free text (the default).
    case text
    /// Any JSON object.
    case jsonObject
    /// A document valid under `schema`; with `strict` the provider guarantees it.
    case jsonSchema(name: String, schema: JSONValue, strict: Bool?, description: String? = nil)
    /// llama.cpp's form of a schema constraint, `{"type": "json_object", "schema": …}`, which both
    /// its C++ server and llama-cpp-python's accept (the latter refuses `json_schema`).
    case jsonObjectSchema(JSONValue)

    public init(json: JSONValue, path: String = "response_format") throws(WireDecodingError) {
        let r = try ObjectReader(json, path: path)
        let type = try r.requireString("type")
        switch type {
        case "text": self = .text
        case "json_object":
            if let schema = r.value("schema") {
                guard case .object = schema else { throw .wrongType(r.field("schema"), expected: "an object", found: schema) }
                self = .jsonObjectSchema(schema)
            } else {
                self = .jsonObject
            }
        case "json_schema":
            let s = try ObjectReader(try r.require("json_schema"), path: r.field("json_schema"))
            let schema = try s.require("schema")
            guard case .object = schema else { throw .wrongType(s.field("schema"), expected: "an object", found: schema) }
            self = .jsonSchema(
                name: try s.string("name") ?? "output", schema: schema, strict: try s.bool("strict"),
                description: try s.string("description"))
        default:
            throw .invalid(r.field("type"), "\"\(type)\" is not one of text, json_object, json_schema")
        }
    }

    public var json: JSONValue {
        switch self {
        case .text: return ["type": "text"]
        case .jsonObject: return ["type": "json_object"]
        case .jsonObjectSchema(let schema): return ["type": "json_object", "schema": schema]
        case .jsonSchema(let name, let schema, let strict, let description):
            var s = ObjectBuilder()
            s.add("name", name)
            s.add("description", description)
            s.add("schema", schema)
            s.add("strict", strict)
            return ["type": "json_schema", "json_schema": s.value]
        }
    }
}
