// research-pipeline: plan → research with tools (a calculator and a "researcher" sub-agent
// offered as a tool) → draft → critique → refine, written as one `Pipeline` and answered
// within one deadline that counts from the process's start, model loading included.
//
//     research-pipeline --model qwen2.5-coder-0.5b-instruct --deadline 5s [--trace] [--json] "QUESTION"
//
// The pipeline plans each step's share of the time left from the steps' estimates, and
// re-plans after every step; a step whose share runs out returns the best it has, and the
// pipeline stops with the best answer so far.
//
// Standard output receives the answer, or with --json one JSON object:
//   answer      the best answer by the deadline ("" when there is none)
//   outcome     complete — every step (plan, research, draft, critique, refine) ran to its end;
//               partial  — there is an answer, but a step was cut off by the deadline or failed,
//                          so the answer is the best so far (`status` says which);
//               failed   — no answer.
//               `complete` says the pipeline ran to its end, not that the answer is right: its
//               only check is the model's critique of its own answer (`score`).
//   status      how the pipeline ended, in the steps' vocabulary: completed, cut_off or failed
//   score       the critique's score of the answer it judged, 0–10 (null: not judged)
//   elapsed_ms  from the process's start to the answer; deadline_ms, the deadline
//   steps       one object per step (kind, status, elapsed_ms, allotted_ms, tokens…); a step
//               made of steps carries them in its own `steps` — the research step holds the
//               tool loop, which holds each call of the researcher sub-agent and its steps.
// --trace prints the steps as a tree to standard error. The exit status is 1 when the outcome
// is failed.
import ArgumentParser
import Foundation
import RefineryKit

struct ResearchPipelineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "research-pipeline",
        abstract: "Plan, research with tools and a sub-agent, draft, critique and refine within one deadline.")

    @Argument(help: "The question.")
    var question: String

    @Option(help: ArgumentHelp("A catalog or added model name, or a path to a GGUF file.", valueName: "name|path"))
    var model = "smollm2-135m-instruct"

    @Option(
        help: ArgumentHelp("Time for the whole command, model loading included: 250ms, 1.5s, 5s.", valueName: "time"),
        transform: { text in
            guard let duration = Duration(deadlineText: text) else {
                throw ValidationError("--deadline takes a time such as 250ms, 1.5s or 5s, not '\(text)'")
            }
            return duration
        })
    var deadline: Duration = .seconds(5)

    @Flag(help: "Print the steps as a tree to standard error.")
    var trace = false

    @Flag(help: "Print one JSON object instead of the answer.")
    var json = false

    func run() async throws {
        let start = ProcessStart.instant()
        let due = Deadline(start.advanced(by: deadline))
        let costs = CostBook.fromEnvironment()
        let local = try LocalModel(path: try ModelStore.fromEnvironment().locate(model), options: .init(maxSequences: 4))
        await costs.calibrateIfNeeded(local)

        var context = StepContext.standalone(models: [local], timeout: due.remaining(), costs: costs)
        context.runStart = start
        context = context.ending(at: Deadline(due.instant.advanced(by: .zero - Self.answerReserve)))

        let pipeline = try Self.pipeline(model: local, costs: costs, researcherTime: deadline / 3)
        let task = Answer(task: question, instructions: "Answer the question correctly and briefly.")
        let result = await pipeline.run(task, in: context)
        let elapsed = start.duration(to: .now)

        let report = Report(result: result, elapsed: elapsed, deadline: deadline)
        if trace { FileHandle.standardError.write(Data((report.tree + "\n").utf8)) }
        print(json ? report.json.serialized() : report.answer)
        if report.outcome == "failed" { throw ExitCode.failure }
    }

    /// Time kept back at the end: for the last step's cancellation to land at the engine (a
    /// forward step, longer on a loaded machine) and for the answer to be printed.
    static let answerReserve = Duration.milliseconds(200)

    /// The composition: plan → research → draft → critique → refine.
    static func pipeline(model: LocalModel, costs: CostBook, researcherTime: Duration) throws -> Pipeline<Answer, Answer> {
        let researcher = Agent(
            name: "researcher", instructions: "You are a careful researcher. Answer in two or three factual sentences.",
            model: model, draft: Draft(maxTokens: 128), costs: costs)
        let tools = try ToolSet([
            CalculatorTool(),
            researcher.asTool(
                description: "Ask a researcher a factual question; it answers in a few sentences.",
                maxTime: researcherTime),
        ])
        return Pipeline("research_pipeline") {
            planStep
            researchStep(researchLoop(tools))
            Draft(maxTokens: 192)
            Critique(maxTokens: 64)
            Refine(maxTokens: 192)
        }
    }

    /// The research step's tool loop: its first turn must ask the researcher (the sub-agent),
    /// then the model may use the calculator or answer.
    static func researchLoop(_ tools: ToolSet) -> ToolLoop {
        var loop = ToolLoop(tools: tools, maxToolRounds: 2, maxTokens: 96)
        loop.firstTurnChoice = .named("researcher")
        return loop
    }

    /// Asks the model for a short plan and adds it to the answer's notes. A plan cut at its
    /// token cap keeps its whole lines, and is a finished plan when at least one is left: the
    /// plan is only a note for the later steps, and a step of it is whole or absent.
    static let planStep = StepFunction<Answer, Answer>("plan", estimator: { planner.estimate(in: $0) }) { answer, context in
        let planning = Answer(
            task: answer.task,
            instructions: "List at most three short steps to answer the question. Do not answer it yet.")
        let planned = await planner.run(planning, in: context)
        var next = answer
        var status = planned.status
        if var plan = planned.output?.text, !plan.isEmpty {
            if status == .cutOff, let lastBreak = plan.lastIndex(of: "\n") {
                plan = String(plan[..<lastBreak]).trimmingCharacters(in: .whitespacesAndNewlines)
                if !plan.isEmpty, context.deadline.remaining(on: context.clock) > .zero { status = .completed }
            }
            next.notes.append("Plan:\n" + plan)
        }
        return StepResult(output: next, status: status, records: planned.records)
    }

    static let planner = Draft(maxTokens: 64)

    /// Runs `loop` with instructions to use the tools, and keeps what it found both as a note
    /// for the draft and as the best answer so far.
    static func researchStep(_ loop: ToolLoop) -> StepFunction<Answer, Answer> {
        StepFunction("research", estimator: { loop.estimate(in: $0) }) { answer, context in
            var researching = answer
            researching.instructions =
                "Use the tools when they help: calculator for arithmetic, researcher for facts. Then say what you found."
            let found = await loop.run(researching, in: context)
            var next = answer
            if let findings = found.output?.text, !findings.isEmpty {
                next = answer.rewritten(findings)
                next.notes.append("Findings:\n" + findings)
            }
            return StepResult(output: next, status: found.status, records: found.records)
        }
    }
}

/// What the run produced, as the answer, a JSON object or a tree of steps.
struct Report {
    let result: StepResult<Answer>
    let elapsed: Duration
    let deadline: Duration

    var answer: String { result.output?.text ?? "" }

    var outcome: String {
        if answer.isEmpty { return "failed" }
        return result.status == .completed ? "complete" : "partial"
    }

    var json: JSONValue {
        let milliseconds = { (duration: Duration) -> JSONValue in .int(Int64(duration / .milliseconds(1))) }
        return .object([
            ("answer", .string(answer)),
            ("outcome", .string(outcome)),
            ("status", .string(result.status.name)),
            ("score", result.output?.score.map(JSONValue.double) ?? .null),
            ("elapsed_ms", milliseconds(elapsed)),
            ("deadline_ms", milliseconds(deadline)),
            ("steps", .array(result.records.map { $0.json() })),
        ])
    }

    /// One line a step, children indented under their parent.
    var tree: String {
        var lines = ["\(outcome) (\(result.status.name)) in \(Int(elapsed / .milliseconds(1))) ms of \(Int(deadline / .milliseconds(1))) ms"]
        func add(_ records: [StepRecord], depth: Int) {
            for record in records {
                let indent = String(repeating: "  ", count: depth + 1)
                var line = "\(indent)\(record.kind.rawValue)  +\(Int(record.startOffset / .milliseconds(1)))ms"
                line += "  \(Int(record.elapsed / .milliseconds(1)))/\(Int(record.allotted / .milliseconds(1)))ms"
                line += "  \(record.generatedTokens) tok  \(record.status.name)"
                if let verdict = record.verdict { line += "  score \(verdict.score)" }
                if let note = record.note { line += "  (\(note))" }
                lines.append(line)
                add(record.steps, depth: depth + 1)
            }
        }
        add(result.records, depth: 0)
        return lines.joined(separator: "\n")
    }
}

// Top-level code calls the command itself: `main()` here would resolve to the synchronous entry
// point, which never reaches the asynchronous `run()`.
do {
    let command = try ResearchPipelineCommand.parse()
    try await command.run()
} catch {
    ResearchPipelineCommand.exit(withError: error)
}
