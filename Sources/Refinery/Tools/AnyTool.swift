import RefineryCore
import Foundation

/// A type-erased tool: its definition plus a body that takes the model's JSON arguments.
///
/// Every way in goes through ``invoke(_:)``, which validates the arguments against the
/// schema before anything else runs, so a body never sees arguments that break it.
public struct AnyTool: Sendable {
    /// The name the model calls the tool by.
    public let name: String
    /// What the tool does, as the model is told.
    public let description: String
    /// The arguments' JSON schema.
    public let parameters: JSONValue
    /// This tool's own time limit per call, when it should differ from the executor's.
    public var timeout: Duration?
    private let validator: JSONSchemaValidator
    private let body: @Sendable (JSONValue) async throws -> ToolOutput

    /// Wraps a typed tool: arguments are validated, then decoded into `T.Arguments`.
    public init<T: Tool>(_ tool: T) {
        let name = tool.name
        self.init(name: name, description: tool.description, parameters: tool.parametersSchema) { json in
            let arguments: T.Arguments
            do {
                arguments = try JSONDecoder().decode(T.Arguments.self, from: Data(json.serializedBytes()))
            } catch {
                throw ToolError.invalidArguments(tool: name, Self.describe(decodingError: error), arguments: json.serialized())
            }
            return try await tool.call(arguments)
        }
    }

    /// A tool whose body takes the validated JSON arguments as they are (MCP tools, tools
    /// defined at run time).
    public init(
        name: String, description: String, parameters: JSONValue,
        body: @escaping @Sendable (JSONValue) async throws -> ToolOutput
    ) {
        self.name = name
        self.description = description
        self.parameters = parameters
        self.validator = JSONSchemaValidator(schema: parameters)
        self.body = body
    }

    /// This tool with its own time limit per call (the deadline still applies).
    public func withTimeout(_ limit: Duration) -> AnyTool {
        var copy = self
        copy.timeout = limit
        return copy
    }

    /// What a model is told about this tool.
    public var definition: ToolDefinition { ToolDefinition(name: name, description: description, parameters: parameters) }

    /// The reasons `arguments` would be refused; empty when they are valid.
    public func violations(of arguments: JSONValue) -> [SchemaViolation] {
        guard case .object = arguments else {
            return [SchemaViolation(path: "", message: "arguments must be a JSON object, got \(JSONSchemaValidator.kind(of: arguments))")]
        }
        return validator.violations(of: arguments)
    }

    /// Validates `arguments` and runs the tool. Throws ``ToolError/invalidArguments(tool:_:arguments:)``
    /// without running anything when they break the schema; other errors come from the tool.
    public func invoke(_ arguments: JSONValue) async throws -> ToolOutput {
        let problems = violations(of: arguments)
        if !problems.isEmpty {
            let detail = problems.prefix(5).map(\.description).joined(separator: "; ")
            throw ToolError.invalidArguments(tool: name, detail, arguments: arguments.serialized())
        }
        return try await body(arguments)
    }

    private static func describe(decodingError error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            let p = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: "/")
            return p.isEmpty ? "" : "at /\(p): "
        }
        switch error {
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c): return path(c) + c.debugDescription
        case .keyNotFound(let key, let c): return path(c) + "missing '\(key.stringValue)'"
        @unknown default: return "\(error)"
        }
    }
}
