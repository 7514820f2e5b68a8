// A one-file pipeline for `refinery script`: the first answer is several candidates when the
// time allows and one draft otherwise (Fallback); then critique, and rewrite only when the
// critique found problems (Route), until a critique finds none (Loop) — all within one
// deadline, counted from the script's start.
//
//     refinery script Examples/scripts/pipeline.swift "Why do cats purr?"
//
// REFINERY_MODEL names the model (a catalog or added name, or a GGUF path; default
// smollm2-135m-instruct) and REFINERY_DEADLINE the deadline (default 4s). Prints the answer,
// then a line "[STATUS in N ms of M ms: STEP, STEP, …]" with the pipeline's status
// (completed, cut_off or failed) and its top-level steps.
import Foundation
import RefineryKit

let start = ContinuousClock.now
let environment = ProcessInfo.processInfo.environment
let deadline = environment["REFINERY_DEADLINE"].flatMap { Duration(deadlineText: $0) } ?? .seconds(4)
let question = CommandLine.arguments.dropFirst().joined(separator: " ")
guard !question.isEmpty else {
    FileHandle.standardError.write(Data("usage: refinery script pipeline.swift QUESTION\n".utf8))
    exit(2)
}

let model: LocalModel
do {
    model = try LocalModel(path: try ModelStore.fromEnvironment().locate(environment["REFINERY_MODEL"] ?? "smollm2-135m-instruct"))
} catch {
    FileHandle.standardError.write(Data("pipeline: \(error)\n".utf8))
    exit(1)
}

let keep = StepFunction<Answer, Answer>("keep", estimate: .zero) { answer, _ in .completed(answer) }
let improve = Pipeline<Answer, Answer>("improve") {
    Critique(maxTokens: 96)
    Route<Answer, Answer>(branches: ["refine": Refine(maxTokens: 128), "keep": keep], default: "keep") { answer, _ in
        answer.issues.isEmpty ? "keep" : "refine"
    }
}
let pipeline = Pipeline<Answer, Answer>("script_pipeline") {
    Fallback<Answer, Answer>([BestOfN(maxCandidates: 2), Draft(maxTokens: 128)], name: "first_answer")
    Loop<Answer>("improve", maxIterations: 2, until: { answer, _ in answer.checked && answer.issues.isEmpty }, body: improve)
}

var context = StepContext.standalone(models: [model], timeout: deadline - start.duration(to: .now))
context.runStart = start
let result = await pipeline.run(Answer(task: question, instructions: "Answer briefly and correctly."), in: context)
let elapsed = Int(start.duration(to: .now) / .milliseconds(1))
print(result.output?.text ?? "")
let steps = result.records.flatMap { $0.steps }.map(\.kind.rawValue).joined(separator: ", ")
print("[\(result.status.name) in \(elapsed) ms of \(Int(deadline / .milliseconds(1))) ms: \(steps)]")
