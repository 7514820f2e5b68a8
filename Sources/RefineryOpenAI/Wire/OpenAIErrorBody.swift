import RefineryCore

/// OpenAI's error JSON: `{"error": {"message": …, "type": …, "param": …, "code": …}}`.
public struct OpenAIErrorBody: Sendable, Hashable {
    public var message: String
    /// `invalid_request_error`, `rate_limit_exceeded`, `server_error`, …
    public var type: String?
    /// The request field at fault, when there is one.
    public var param: String?
    /// A machine-readable code (numbers are kept as their text).
    public var code: String?

    public init(message: String, type: String? = nil, param: String? = nil, code: String? = nil) {
        self.message = message
        self.type = type
        self.param = param
        self.code = code
    }

    /// Reads OpenAI's shape, and the looser ones other servers send: `{"error": "text"}`,
    /// `{"detail": …}` (FastAPI) or `{"message": …}`. `nil` when the value is none of these.
    public init?(json: JSONValue) {
        func text(_ v: JSONValue?) -> String? {
            switch v {
            case .string(let s)?: s
            case .int(let i)?: String(i)
            case .double(let d)?: String(d)
            case nil, .null?: nil
            case let other?: other.serialized()
            }
        }
        if case .object? = json["error"], let e = json["error"] {
            self.init(message: text(e["message"]) ?? e.serialized(), type: text(e["type"]), param: text(e["param"]), code: text(e["code"]))
        } else if let s = json["error"]?.stringValue {
            self.init(message: s)
        } else if let detail = json["detail"] {
            self.init(message: text(detail) ?? "")
        } else if let m = json["message"]?.stringValue {
            self.init(message: m, type: text(json["type"]), code: text(json["code"]))
        } else {
            return nil
        }
    }

    public var json: JSONValue {
        ["error": ["message": .string(message), "type": type.map(JSONValue.string) ?? .null,
                   "param": param.map(JSONValue.string) ?? .null, "code": code.map(JSONValue.string) ?? .null]]
    }
}
