import RefineryCore

/// Evaluates an arithmetic expression with ``ArithmeticExpression`` (no `eval`, no code).
public struct CalculatorTool: Tool {
    public struct Arguments: Decodable, Sendable, JSONSchemaConvertible {
        public var expression: String
        public static var jsonSchema: JSONValue {
            JSONSchema.object([
                .required("expression", JSONSchema.string(
                    description: "An arithmetic expression, e.g. \"(2 + 3) * sqrt(16) ^ 2 % 7\". Operators + - * / % ^, "
                        + "functions sqrt abs min max round floor ceil log exp sin cos, constants pi e.",
                    minLength: 1, maxLength: ArithmeticExpression.maxLength)),
            ])
        }
    }

    public init() {}

    public var name: String { "calculator" }
    public var description: String { "Evaluates an arithmetic expression exactly as written and returns the number." }

    public func call(_ arguments: Arguments) async throws -> ToolOutput {
        do {
            return .text(ArithmeticExpression.format(try ArithmeticExpression.evaluate(arguments.expression)))
        } catch {
            throw ToolError.failed(tool: name, error.message)
        }
    }
}
