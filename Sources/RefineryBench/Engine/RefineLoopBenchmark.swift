import RefineryCore
import Refinery
import RefineryInference
/// The agent loop the engine is built for: three fixed tasks, each run as draft → critique →
/// refine chat turns (greedy; at most 120, 80 and 120 generated tokens), every turn extending
/// the same conversation, so the prefix cache serves the history and the refine turn, which
/// rewrites the draft, uses prompt-lookup speculation.
///
/// The report gives per task the wall time of its three turns (median over runs) and the tokens
/// generated, plus the turns' prompts (`turns`), which `scripts/refine-loop-vs-llamacpp` replays
/// against llama.cpp's server.
public struct RefineLoopBenchmark: BenchmarkScenario {
    public let name = "refine-loop"
    public let summary = "three draft → critique → refine conversations (greedy), seconds per task"

    /// One task: a name and the user's request.
    public struct Task: Sendable {
        public let name: String
        public let request: String
    }

    /// The fixed tasks.
    public static let tasks = [
        Task(name: "email", request: "Write a short email to a colleague asking to move our Thursday design review to Friday afternoon, and explain that the benchmark figures are not ready yet."),
        Task(name: "code", request: "Write a Python function `median(values)` that returns the median of a list of numbers and raises ValueError for an empty list."),
        Task(name: "explain", request: "Explain in one paragraph why a prefix cache makes multi-step agents faster on a local language model."),
    ]
    /// The user messages of the critique and refine turns.
    public static let critiqueRequest = "Critique your answer: list its two most important problems, briefly."
    public static let refineRequest = "Rewrite your answer, fixing those problems. Reply with the improved answer only."
    /// Generated-token caps of the draft, critique and refine turns.
    public static let caps = [120, 80, 120]
    /// Draft tokens proposed per step in the refine turn.
    public static let maxDraft = 10

    public init() {}

    public func configure(_ options: inout InferenceEngine.Options, settings: BenchmarkSettings) {
        options.contextLength = max(options.contextLength ?? 0, 2048)
    }

    /// One task's loop: the seconds it took and the tokens generated.
    struct Outcome {
        var seconds: Double
        var generated: Int
        var texts: [String]
    }

    static func runTask(_ task: Task, model: InferenceModel) async throws -> Outcome {
        let start = ContinuousClock.now
        var turns: [(role: String, content: String)] = [("user", task.request)]
        var generated = 0
        var texts: [String] = []
        for (index, cap) in caps.enumerated() {
            if index == 1 { turns.append(("user", critiqueRequest)) }
            if index == 2 { turns.append(("user", refineRequest)) }
            let prompt = try model.benchmarkChatPrompt(turns)
            let options = GenerationOptions(sampling: .greedy, maxTokens: cap,
                                            speculation: index == 2 ? .promptLookup(maxDraft: maxDraft) : .none)
            let result = try await BenchmarkGeneration.run(model.engine, model: model, prompt: prompt, options: options)
            generated += result.stats.generatedTokens
            texts.append(result.text)
            turns.append(("assistant", result.text))
        }
        return Outcome(seconds: start.duration(to: .now).seconds, generated: generated, texts: texts)
    }

    public func run(_ context: BenchmarkContext) async throws -> BenchmarkReport {
        let model = context.model
        let settings = context.settings
        var seconds: [String: [Double]] = [:]
        var generated: [String: Int] = [:]
        for run in 0..<(settings.warmupRuns + settings.runs) {
            for task in Self.tasks {
                let outcome = try await Self.runTask(task, model: model)
                let measured = run >= settings.warmupRuns
                if measured { seconds[task.name, default: []].append(outcome.seconds) }
                generated[task.name] = outcome.generated
                context.progress("\(measured ? "run \(run - settings.warmupRuns + 1)" : "warm-up") \(task.name): "
                                 + "\(BenchmarkText.fixed(outcome.seconds, 2)) s, \(outcome.generated) tokens")
            }
        }
        var rows: [JSONValue] = []
        var lines = ["task     seconds  generated tokens   (median of \(settings.runs) runs)"]
        for task in Self.tasks {
            let median = BenchmarkStatistics.median(seconds[task.name] ?? [])
            rows.append(.object([
                ("task", .string(task.name)),
                ("seconds", BenchmarkReport.number(median, digits: 3)),
                ("generated_tokens", .int(Int64(generated[task.name] ?? 0))),
                ("runs_seconds", BenchmarkReport.numbers(seconds[task.name] ?? [], digits: 3)),
            ]))
            lines.append("\(BenchmarkText.pad(task.name, 9))\(BenchmarkText.pad(BenchmarkText.fixed(median, 2), 9))\(generated[task.name] ?? 0)")
        }
        var report = BenchmarkReport()
        report.set("results", .array(rows))
        report.set("turns", .object([
            ("tasks", .array(Self.tasks.map { .object([("task", .string($0.name)), ("request", .string($0.request))]) })),
            ("critique", .string(Self.critiqueRequest)),
            ("refine", .string(Self.refineRequest)),
            ("caps", .array(Self.caps.map { .int(Int64($0)) })),
        ]))
        report.lines = lines
        return report
    }
}
