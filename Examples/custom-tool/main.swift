import RefineryInference
import Foundation
import Refinery

// A tool of your own: typed arguments with a JSON schema, validated before the body runs.
struct Convert: Tool {
    struct Arguments: Decodable, JSONSchemaConvertible {
        var celsius: Double
        static var jsonSchema: JSONValue {
            JSONSchema.object([.required("celsius", JSONSchema.number(description: "Degrees Celsius"))])
        }
    }
    let name = "celsius_to_fahrenheit"
    let description = "Converts a temperature from degrees Celsius to degrees Fahrenheit."

    func call(_ arguments: Arguments) async throws -> ToolOutput {
        .text(ArithmeticExpression.format(arguments.celsius * 9 / 5 + 32))
    }
}

let tools = try ToolSet([Convert()])
print(tools.definitions[0].parameters.serialized())

// What happens to a model's calls: a valid one runs, an invalid one is refused with an error
// the model reads, before the tool sees it.
let calls = [
    ToolCall(id: "1", name: "celsius_to_fahrenheit", arguments: ["celsius": 100]),
    ToolCall(id: "2", name: "celsius_to_fahrenheit", arguments: ["celsius": "hot"]),
]
for result in await ToolInvoker().execute(calls, in: tools, deadline: .after(.seconds(5))) {
    print("\(result.call.id): \(result.content)")
}

// An agent acting with it: the tool loop offers the tool, runs the calls, answers in text.
if let name = ProcessInfo.processInfo.environment["REFINERY_MODEL"] {
    let model = try LocalModel(path: try ModelStore.fromEnvironment().locate(name))
    let agent = Agent(
        name: "weather", instructions: "Use the tool to convert temperatures.", model: model,
        toolLoop: ToolLoop(tools: tools, maxToolRounds: 2, maxTokens: 96))
    let result = await agent.run("What is 37 degrees Celsius in Fahrenheit?", timeout: .seconds(5))
    print("agent: \(result.answer) [\(result.outcome.rawValue)]")
}
