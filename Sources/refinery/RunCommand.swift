import RefineryCore
import ArgumentParser
import Foundation
import Logging
import Refinery
import RefineryAgents
import RefineryInference

/// `refinery run AGENT INPUT`: runs a ready agent on a local or remote model and prints its answer by
/// the deadline.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a ready agent on an input and answer within a deadline.",
        discussion: """
            The clock starts when the process starts: loading the model counts against the \
            deadline, and elapsed_ms is measured from that instant. The agent drafts, checks and \
            refines as far as the deadline allows and returns its best answer so far; the outcome \
            says how far it got and whether code vouches for the answer (complete: it passed the \
            agent's external checks; unverified, refined_partially, draft_only, truncated: an \
            answer no check vouches for; failed: none). \
            INPUT may be '-' to read standard input. `refinery agents` lists the agents. \
            With --remote PRESET|URL --remote-model NAME the agent runs on that OpenAI-compatible \
            endpoint: alone, or as the fallback of --model when both are given.

            Standard output receives only the answer (or, with --json, one JSON object: answer, \
            outcome, stop_reason, partial, elapsed_ms, deadline_ms, score, steps with kind, \
            elapsed_ms and generated_tokens, plans). Progress, --trace and diagnostics go to \
            standard error; with --log-level debug each plan and step is logged there as it \
            happens. Exit status: 0 when the answer is verified (complete), 3 when there is an \
            answer but no check vouches for it, 1 when there is no answer (failed).
            """
    )

    @Argument(help: ArgumentHelp("The agent's name (see `refinery agents`).", valueName: "AGENT"))
    var agent: String

    @Argument(help: ArgumentHelp("The input, or '-' for standard input.", valueName: "INPUT"))
    var input: String

    @Option(
        name: .long,
        help: ArgumentHelp(
            "A catalog or added model name, or a path to a GGUF file (default: the catalog default, qwen2.5-coder-0.5b-instruct, unless --remote is given).",
            valueName: "name|path"))
    var model: String?

    @OptionGroup var remoteArguments: RemoteArguments

    @Option(name: .long, help: ArgumentHelp("Time for the whole command, as 250ms, 1.5s or 2s.", valueName: "time"))
    var deadline: DeadlineArgument = DeadlineArgument(argument: "10s")!

    @Option(
        name: .long, help: ArgumentHelp("Threads of the forward pass (default: the number of cores).", valueName: "n"))
    var threads: Int?

    @Flag(name: .long, help: "Print the run's timeline (plans, steps, timings) to standard error.")
    var trace = false

    @Flag(name: .long, help: "Print one JSON object instead of the answer.")
    var json = false

    func validate() throws {
        if ReadyAgents.named(agent) == nil {
            throw ValidationError(
                "no agent named '\(agent)'; ready agents: \(ReadyAgents.all.map(\.name).joined(separator: ", "))")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() async throws {
        let start = ProcessStart.instant()
        let due = Deadline(start.advanced(by: deadline.duration))
        guard let ready = ReadyAgents.named(agent) else { throw ValidationError("no agent named '\(agent)'") }
        let text = String(decoding: InputText.bytes(input), as: UTF8.self)
        let progress = Progress(enabled: StandardError.isTerminal && !trace)
        // The local model first and the remote one as its fallback; either alone with only one given.
        var models: [any LanguageModel] = []
        var localModel: LocalModel?
        let costs = CostBook.fromEnvironment()
        let defaultName = remoteArguments.remote == nil ? try ModelStore.fromEnvironment().catalog.defaultEntry?.name : nil
        if let name = model ?? defaultName {
            progress.show("loading \(name)")
            let path = try ModelStore.fromEnvironment().locate(name)
            let local = try LocalModel(path: path, options: .init(threads: threads, maxSequences: 4))
            if !costs.isMeasured(local.name) {
                progress.show("calibrating \(local.name) (first use)")
                await costs.calibrateIfNeeded(local)
            }
            models.append(local)
            localModel = local
        }
        if let remote = try remoteArguments.model() { models.append(remote) }
        var agent = ready.make(text, models[0], costs)
        agent.models += models.dropFirst()
        var result: AgentResult?
        let log = Logger(label: "refinery.run")
        for try await event in agent.stream(text, deadline: due, startedAt: start) {
            switch event {
            case .plan(let plan):
                log.debug("plan \(plan.summary)")
                progress.show("plan: \(plan.summary)")
            case .step(let step):
                log.debug("step \(Self.describe(step))")
                progress.show(
                    "\(step.kind.rawValue) \(Int(step.elapsed.milliseconds)) ms, \(step.generatedTokens) tokens")
            case .answer: break
            case .finished(let final): result = final
            }
        }
        progress.clear()
        guard let result else { throw ExitCode.failure }
        if trace { StandardError.line(result.timeline) }
        if json {
            StandardOutput.write(result.json().serialized() + "\n")
        } else {
            StandardOutput.write(result.answer + "\n")
            if !trace {
                StandardError.line(
                    "[\(agent.name): \(result.outcome.rawValue) in \(Int(result.elapsed.milliseconds)) ms of \(Int(result.deadline.milliseconds)) ms, \(result.steps.count) steps]"
                )
            }
        }
        // The answer is out: now let the prompt prefixes being saved reach the disk, so the next
        // run starts from them.
        localModel?.waitForSavedPrefixes()
        switch result.outcome {
        case .complete: return
        case .failed: throw ExitCode.failure
        case .unverified, .refinedPartially, .draftOnly, .truncated: throw ExitCode(Self.unverifiedStatus)
        }
    }

    /// The exit status of a run that answered, but whose answer no check vouches for.
    static let unverifiedStatus: Int32 = 3

    /// One line for a finished step: kind and round, model, time against its allotment,
    /// tokens, how it ended, and its verdict or checks.
    static func describe(_ step: StepRecord) -> String {
        var line = step.kind.rawValue + (step.round > 0 ? " \(step.round)" : "")
        line += " \(step.model ?? "-") \(Int(step.elapsed.milliseconds))/\(Int(step.allotted.milliseconds)) ms"
        line += " \(step.promptTokens)+\(step.generatedTokens) tokens \(step.status.name)"
        if case .failed(let message) = step.status { line += ": \(message)" }
        if let verdict = step.verdict {
            line += ", score \(verdict.score) \(verdict.acceptable ? "acceptable" : "not acceptable")"
            if !verdict.issues.isEmpty { line += ": " + verdict.issues.joined(separator: "; ") }
        }
        if let verification = step.verification {
            line += verification.passed ? ", checks passed" : ", checks failed: " + verification.failures.joined(separator: "; ")
        }
        return line
    }
}

/// One line of progress on standard error, redrawn in place; silent when it is not a terminal.
private struct Progress {
    let enabled: Bool

    func show(_ text: String) {
        guard enabled else { return }
        StandardError.write("\r\u{1B}[K" + String(text.prefix(100)))
    }

    func clear() {
        guard enabled else { return }
        StandardError.write("\r\u{1B}[K")
    }
}
