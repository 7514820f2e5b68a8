import RefineryInference
import Foundation
import Refinery
import RefineryAgents

// Runs the ready `writer` agent on the default model; the answer comes within 3 seconds of the
// start, model loading included. REFINERY_MODEL may name another model or a GGUF path.
let start = ContinuousClock.now
let task =
    CommandLine.arguments.dropFirst().first
    ?? "Write one sentence about the sea. Use the word \"blue\". At most 20 words."
do {
    let name = ProcessInfo.processInfo.environment["REFINERY_MODEL"] ?? "smollm2-135m-instruct"
    let model = try LocalModel(path: try ModelStore.fromEnvironment().locate(name))
    let writer = Writer.agent(for: task, model: model)
    let result = await writer.run(task, deadline: Deadline(start.advanced(by: .seconds(3))), startedAt: start)
    print(result.answer)
    print("[\(result.outcome.rawValue) in \(Int(result.elapsed / .milliseconds(1))) ms, \(result.steps.count) steps]")
} catch {
    FileHandle.standardError.write(Data("hello-agent: \(error)\n".utf8))
    exit(1)
}
