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

            Prints accuracy per category and overall; with --json, one object: \
            {"categories": {NAME: {"accuracy", "unparseable", "total", "correct"}}, "overall": {…}}. \
            "unparseable" counts outputs that attempted a call which could not be read.
            """
    )

    @OptionGroup var modelArguments: ModelArguments

    @Option(
        help: ArgumentHelp(
            "Comma-separated categories (\(BFCLCategory.all.map(\.name).joined(separator: ", "))).",
            valueName: "list"))
    var categories: String = BFCLCategory.defaults.map(\.name).joined(separator: ",")

    @Flag(help: "Do not constrain calls to the tools' schemas.")
    var unconstrained = false

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
        if selectedCategories.isEmpty { throw ValidationError("--categories names no category") }
    }

    var selectedCategories: [String] {
        categories.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func run() async throws {
        let chosen = try selectedCategories.map { try BFCLCategory(named: $0) }
        let source = BFCLDataSource(location: data, storeRoot: ModelStore.defaultRoot(), fetcher: .fromEnvironment())
        var entries = try await source.entries(for: chosen)
        if let limit {
            var taken: [BFCLCategory: Int] = [:]
            entries = entries.filter { entry in
                taken[entry.category, default: 0] += 1
                return taken[entry.category]! <= limit
            }
        }
        let model = LocalModel(model: try modelArguments.load(maxSequences: concurrency))
        let evaluator = BFCLEvaluator(
            model: model,
            options: .init(constrained: !unconstrained, maxTokens: maxTokens, concurrency: concurrency, sampling: .greedy))
        let start = ContinuousClock.now
        var done = 0
        let total = entries.count
        let report = try await evaluator.run(entries, order: chosen) { result in
            done += 1
            let verdict = result.correct ? "correct" : (result.unparseable ? "unparseable" : result.check.errorType)
            StandardError.line("[\(done)/\(total)] \(result.id): \(verdict)")
        }
        let seconds = (ContinuousClock.now - start).milliseconds / 1000
        StandardError.line(String(format: "[%d entries in %.1f s, %@]", total, seconds, unconstrained ? "unconstrained" : "constrained"))
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
}
