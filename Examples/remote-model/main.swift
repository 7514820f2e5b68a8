import Foundation
import Refinery
import RefineryAgents
import RefineryOpenAI

// The writer agent on an OpenAI-compatible provider chosen by environment variables:
//   REFINERY_REMOTE=groq (a preset) or a base URL such as http://localhost:8080/v1
//   REFINERY_REMOTE_MODEL=<model id>, and the provider's API key variable (e.g. GROQ_API_KEY).
let configuration: RemoteModelConfiguration
do {
    configuration = try RemoteModelConfiguration.fromEnvironment()
} catch {
    FileHandle.standardError.write(Data("remote-model: \((error as? RemoteModelError)?.message ?? "\(error)")\n".utf8))
    FileHandle.standardError.write(
        Data("set REFINERY_REMOTE (a preset or a base URL) and REFINERY_REMOTE_MODEL\n".utf8))
    exit(2)
}
let model = OpenAICompatibleModel(configuration: configuration)
let task = CommandLine.arguments.dropFirst().first ?? "Write a haiku about the sea. Use the word \"salt\"."
let result = await Writer.agent(for: task, model: model).run(task, timeout: .seconds(10))
print(result.answer)
print("[\(result.outcome.rawValue), \(result.steps.count) steps]")
if result.outcome == .failed {
    FileHandle.standardError.write(Data((result.timeline + "\n").utf8))
    exit(1)
}
