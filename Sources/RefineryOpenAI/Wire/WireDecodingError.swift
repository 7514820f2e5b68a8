import RefineryCore

/// A JSON document that does not have the shape an OpenAI wire type expects; names the field.
public struct WireDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    fileprivate enum Kind: String, Sendable, Hashable {
        case missingField, wrongType, invalidValue
    }

    /// What is wrong with the field.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate let kind: Kind
        /// A required field is absent (or null).
        public static let missingField = Code(kind: .missingField)
        /// A field holds the wrong JSON type.
        public static let wrongType = Code(kind: .wrongType)
        /// A field has the right type but a value outside what is allowed.
        public static let invalidValue = Code(kind: .invalidValue)

        public var description: String { kind.rawValue }
    }

    public let code: Code
    /// The field, as a path from the document's root: `messages[2].role`.
    public let field: String
    public let message: String

    public init(code: Code, field: String, message: String) {
        self.code = code
        self.field = field
        self.message = message
    }

    public var description: String { "\(field.isEmpty ? "document" : field): \(message)" }

    static func missing(_ field: String) -> WireDecodingError {
        WireDecodingError(code: .missingField, field: field, message: "is required")
    }

    static func wrongType(_ field: String, expected: String, found: JSONValue) -> WireDecodingError {
        WireDecodingError(code: .wrongType, field: field, message: "expected \(expected), found \(found.typeName)")
    }

    static func invalid(_ field: String, _ message: String) -> WireDecodingError {
        WireDecodingError(code: .invalidValue, field: field, message: message)
    }
}

extension JSONValue {
    /// The JSON type's name, for messages.
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int, .double: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// Reads the members of one JSON object, naming fields by their path in errors.
struct ObjectReader {
    let pairs: [(key: String, value: JSONValue)]
    let path: String

    init(_ value: JSONValue, path: String) throws(WireDecodingError) {
        guard case .object(let pairs) = value else { throw .wrongType(path, expected: "an object", found: value) }
        self.pairs = pairs
        self.path = path
    }

    func field(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The member's value; `nil` when absent or null.
    func value(_ key: String) -> JSONValue? {
        for pair in pairs where pair.key == key {
            if case .null = pair.value { return nil }
            return pair.value
        }
        return nil
    }

    func require(_ key: String) throws(WireDecodingError) -> JSONValue {
        guard let v = value(key) else { throw .missing(field(key)) }
        return v
    }

    func string(_ key: String) throws(WireDecodingError) -> String? {
        guard let v = value(key) else { return nil }
        guard case .string(let s) = v else { throw .wrongType(field(key), expected: "a string", found: v) }
        return s
    }

    func requireString(_ key: String) throws(WireDecodingError) -> String {
        guard let s = try string(key) else { throw .missing(field(key)) }
        return s
    }

    func int(_ key: String) throws(WireDecodingError) -> Int? {
        guard let v = value(key) else { return nil }
        switch v {
        case .int(let i): return Int(i)
        case .double(let d) where d == d.rounded() && abs(d) < 9e15: return Int(d)
        default: throw .wrongType(field(key), expected: "an integer", found: v)
        }
    }

    func double(_ key: String) throws(WireDecodingError) -> Double? {
        guard let v = value(key) else { return nil }
        switch v {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: throw .wrongType(field(key), expected: "a number", found: v)
        }
    }

    func bool(_ key: String) throws(WireDecodingError) -> Bool? {
        guard let v = value(key) else { return nil }
        guard case .bool(let b) = v else { throw .wrongType(field(key), expected: "a boolean", found: v) }
        return b
    }

    func array(_ key: String) throws(WireDecodingError) -> [JSONValue]? {
        guard let v = value(key) else { return nil }
        guard case .array(let a) = v else { throw .wrongType(field(key), expected: "an array", found: v) }
        return a
    }

    /// Each element of the array member decoded by `decode`, with `key[i]` paths.
    func objects<T>(_ key: String, _ decode: (JSONValue, String) throws(WireDecodingError) -> T) throws(WireDecodingError) -> [T]? {
        guard let items = try array(key) else { return nil }
        var out: [T] = []
        out.reserveCapacity(items.count)
        for (i, item) in items.enumerated() { out.append(try decode(item, "\(field(key))[\(i)]")) }
        return out
    }

    /// Members whose keys are not in `known`, in document order.
    func unknown(_ known: Set<String>) -> [(key: String, value: JSONValue)] {
        pairs.filter { !known.contains($0.key) }
    }
}

/// Builds a JSON object member by member, leaving out absent optionals.
struct ObjectBuilder {
    var pairs: [(key: String, value: JSONValue)] = []

    mutating func add(_ key: String, _ value: JSONValue?) {
        if let value { pairs.append((key: key, value: value)) }
    }

    mutating func add(_ key: String, _ value: String?) { add(key, value.map(JSONValue.string)) }
    mutating func add(_ key: String, _ value: Int?) { add(key, value.map { JSONValue.int(Int64($0)) }) }
    mutating func add(_ key: String, _ value: Double?) { add(key, value.map(JSONValue.double)) }
    mutating func add(_ key: String, _ value: Bool?) { add(key, value.map(JSONValue.bool)) }

    var value: JSONValue { .object(pairs) }
}
