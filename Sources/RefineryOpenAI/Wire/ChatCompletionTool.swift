import RefineryCore

/// A tool offered to the model (`tools[i]`): a function with a JSON schema for its arguments.
public struct ChatCompletionTool: Sendable, Hashable {
    public var name: String
    public var description: String?
    /// The JSON schema of the arguments object.
    public var parameters: JSONValue?
    /// Asks the provider to hold the arguments to the schema exactly.
    public var strict: Bool?

    public init(name: String, description: String? = nil, parameters: JSONValue? = nil, strict: Bool? = nil) {
        self.name = name
        self.description = description
        self.parameters = parameters
        self.strict = strict
    }

    public init(json: JSONValue, path: String) throws(WireDecodingError) {
        let r = try ObjectReader(json, path: path)
        let type = try r.string("type") ?? "function"
        guard type == "function" else { throw .invalid(r.field("type"), "tool type \"\(type)\" is not supported") }
        let f = try ObjectReader(try r.require("function"), path: r.field("function"))
        name = try f.requireString("name")
        description = try f.string("description")
        if let p = f.value("parameters") {
            guard case .object = p else { throw .wrongType(f.field("parameters"), expected: "an object", found: p) }
            parameters = p
        }
        strict = try f.bool("strict")
    }

    public var json: JSONValue {
        var f = ObjectBuilder()
        f.add("name", name)
        f.add("description", description)
        f.add("parameters", parameters)
        f.add("strict", strict)
        return ["type": "function", "function": f.value]
    }
}

/// Whether and which tool the model must call (`tool_choice`).
public enum ChatCompletionToolChoice: Sendable, Hashable {
    case none, auto, required
    /// This function must be called.
    case function(String)

    public init(json: JSONValue, path: String = "tool_choice") throws(WireDecodingError) {
        switch json {
        case .string("none"): self = .none
        case .string("auto"): self = .auto
        case .string("required"): self = .required
        case .string(let s): throw .invalid(path, "\"\(s)\" is not one of none, auto, required")
        case .object:
            let r = try ObjectReader(json, path: path)
            let f = try ObjectReader(try r.require("function"), path: r.field("function"))
            self = .function(try f.requireString("name"))
        default: throw .wrongType(path, expected: "a string or an object", found: json)
        }
    }

    public var json: JSONValue {
        switch self {
        case .none: "none"
        case .auto: "auto"
        case .required: "required"
        case .function(let name): ["type": "function", "function": ["name": .string(name)]]
        }
    }
}
