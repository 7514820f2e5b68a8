import RefineryCore
import RefineryEval
import ArgumentParser
import Foundation
import Refinery
import RefineryInference

/// `refinery eval bfcl`: the Berkeley function-calling benchmark with BFCL's AST matching.
struct EvalBFCLCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bfcl",
        abstract: "Run the Berkeley function-calling benchmark (BFCL) on a local model.",
        discussion: """
            The data comes from the bfcl-eval package on PyPI (\(BFCLDataSource.package)==\(BFCLDataSource.version)), \
            downloaded with pip --no-deps into $REFINERY_HOME/datasets on first use (REFINERY_PIP_ARGS and \
            REFINERY_PYTHON apply, as for `models pull`), or read from --data. Each question's functions are \
            offered as tools through the model's chat template; decoding is greedy. Calls are read leniently \
            (the template's tags, fenced or bare JSON) and checked with BFCL's AST matching; an irrelevance \
            question is answered right when no call is made or attempted. By default each call the model opens \
            is constrained to the tools' schemas; --unconstrained turns that off.

            Categories are discovered from the package's data files: every single-turn AST category it ships \
            (simple_python, multiple, parallel, parallel_multiple, irrelevance, live_simple, live_multiple, \
            live_parallel, live_parallel_multiple, live_irrelevance, live_relevance in bfcl-eval \
            \(BFCLDataSource.version)); --categories all runs every one whose values are Python's (the Java and \
            JavaScript categories need BFCL's conversions for those languages, which are not ported).

            --agent runs an agent per question instead of one call: after its first calls the model says how \
            many calls the question needs, and when it counts more it \
            writes all of them as a JSON list under the tools' call schema. --candidates such runs (the first \
            greedy, the rest sampled, batched together) vote: no call when most made none, else the calls all \
            of them made. Each question gets --deadline (default 10s) for all of it.

            Prints accuracy per category and overall; with --json, one object: \
            {"categories": {NAME: {"accuracy", "unparseable", "total", "correct"}}, "overall": {…}}. \
            "unparseable" counts outputs that attempted a call which could not be read.
            """
    )

    @OptionGroup var modelArguments: ModelArguments

    @Option(
        help: ArgumentHelp(
            "Comma-separated categories (any AST category of the package, or 'all').", valueName: "list"))
    var categories: String = BFCLCategory.defaults.map(\.name).joined(separator: ",")

    @Flag(help: "Do not constrain calls to the tools' schemas.")
    var unconstrained = false

    @Flag(help: "Agent mode: ask for every call the question needs, turn by turn, and vote over candidates.")
    var agent = false

    @Option(help: ArgumentHelp("Agent mode: candidate runs voted on per question.", valueName: "n"))
    var candidates: Int = 3

    @Option(help: ArgumentHelp("Agent mode: time per question, e.g. 10s.", valueName: "time"))
    var deadline: DeadlineArgument = DeadlineArgument(argument: "10s")!

    @Option(help: ArgumentHelp("Run the first n entries of each category.", valueName: "n"))
    var limit: Int?

    @Option(help: ArgumentHelp("Generate at most this many tokens per entry.", valueName: "n"))
    var maxTokens: Int = 384

    @Option(help: ArgumentHelp("Entries generated at once (batched by the engine).", valueName: "n"))
    var concurrency: Int = 4

    @Option(help: ArgumentHelp("A bfcl-eval wheel, or a folder of BFCL data files, to read instead of the store's.",
                               valueName: "path"))
    var data: String?

    @Option(help: ArgumentHelp("Write one JSON line per entry (output, calls, verdict) to this file.", valueName: "path"))
    var details: String?

    @Flag(help: "Print one JSON object instead of the table.")
    var json = false

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        if maxTokens < 1 { throw ValidationError("--max-tokens must be at least 1") }
        if concurrency < 1 { throw ValidationError("--concurrency must be at least 1") }
        if candidates < 1 { throw ValidationError("--candidates must be at least 1") }
        if selectedCategories.isEmpty { throw ValidationError("--categories names no category") }
    }

    var selectedCategories: [String] {
        categories.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func run() async throws {
        let source = BFCLDataSource(location: data, storeRoot: ModelStore.defaultRoot(), fetcher: .fromEnvironment())
        let chosen = try Self.resolve(selectedCategories, among: try await source.categories())
        var entries = try await source.entries(for: chosen)
        if let limit {
            var taken: [BFCLCategory: Int] = [:]
            entries = entries.filter { entry in
                taken[entry.category, default: 0] += 1
                return taken[entry.category]! <= limit
            }
        }
        let width = agent ? concurrency * candidates : concurrency
        let model = LocalModel(model: try modelArguments.load(maxSequences: width))
        let gathering = agent ? BFCLCallGatherer.Options(candidates: candidates, timePerEntry: deadline.duration) : nil
        let evaluator = BFCLEvaluator(
            model: model,
            options: .init(
                constrained: !unconstrained, maxTokens: maxTokens, concurrency: concurrency, sampling: .greedy,
                agent: gathering))
        let start = ContinuousClock.now
        var done = 0
        let total = entries.count
        let report = try await evaluator.run(entries, order: chosen) { result in
            done += 1
            let verdict = result.correct ? "correct" : (result.unparseable ? "unparseable" : result.check.errorType)
            StandardError.line("[\(done)/\(total)] \(result.id): \(verdict)")
        }
        let seconds = (ContinuousClock.now - start).milliseconds / 1000
        let mode = (unconstrained ? "unconstrained" : "constrained") + (agent ? ", agent, \(candidates) candidates, \(deadline)" : "")
        StandardError.line(String(format: "[%d entries in %.1f s, %@]", total, seconds, mode))
        if let details {
            let lines = report.results.map { $0.json.serialized() + "\n" }.joined()
            guard FileManager.default.createFile(atPath: details, contents: Data(lines.utf8)) else {
                throw ValidationError("cannot write --details file \(details)")
            }
        }
        if json {
            StandardOutput.write(report.json.serialized() + "\n")
        } else {
            StandardOutput.write(report.table)
        }
    }

    /// The categories named by `names` among the `discovered` ones (`all`: every discovered
    /// category with Python values); an unknown or unsupported name is a validation error.
    static func resolve(_ names: [String], among discovered: [BFCLCategory]) throws -> [BFCLCategory] {
        let runnable = discovered.filter { $0.language == .python }
        if names == ["all"] { return runnable }
        return try names.map { name in
            guard let category = discovered.first(where: { $0.name == name }) else {
                throw ValidationError(
                    "unknown BFCL category '\(name)' (the data has no \(BFCLCategory(name: name).questionFile) of "
                        + "single-turn AST questions); it has: \(discovered.map(\.name).joined(separator: ", "))")
            }
            guard category.language == .python else {
                throw ValidationError(
                    "category '\(name)' has \(category.language.rawValue) values, whose checks (BFCL's type conversions "
                        + "for that language) are not ported; run one of: \(runnable.map(\.name).joined(separator: ", "))")
            }
            return category
        }
    }
}
