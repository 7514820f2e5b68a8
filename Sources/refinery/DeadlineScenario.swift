import RefineryCore
import RefineryBench
import Foundation
import Refinery
import RefineryAgents
import RefineryInference

/// `refinery bench --scenario deadline`: the `writer` agent under deadlines from 250 ms to 3 s
/// (see ``DeadlineBenchmark``), its constraints checked by code.
enum DeadlineScenario {
    static let name = "deadline"
    static let summary = "the writer agent under deadlines spread from 250 ms to 3 s: overshoot and refinement per deadline"
    /// Runs when `--runs` is not given.
    static let defaultRuns = 200

    /// Writing requests with constraints the writer reads and code checks.
    static let requests = [
        "Write two sentences about the sea. Use the word \"blue\". Avoid the word \"water\". At most 40 words.",
        "Describe a city at night in at most 30 words. Include the word \"lights\".",
        "Write a short note about autumn. Use the words \"leaves\" and \"cold\". At most 35 words.",
        "Write about a mountain hike. Use the word \"summit\". Avoid the word \"tired\". At most 40 words.",
        "Write three sentences about coffee. Never use the word \"bitter\". At least 20 words. At most 60 words.",
    ]

    static func run(modelPath: String, threads: Int?, runs: Int, json: Bool, quiet: Bool) async throws {
        let model = try LocalModel(path: modelPath, options: .init(threads: threads, maxSequences: 4))
        let costs = CostBook.fromEnvironment()
        let calibrated = !costs.isMeasured(model.name)
        await costs.calibrateIfNeeded(model)
        let load = { (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.map(String.init) ?? "?" }
        let loadBefore = load()
        let cases = requests.map { request in
            let constraints = WritingConstraints(parsing: request)
            return DeadlineBenchmark.Case(input: request) { constraints.violations(of: $0).isEmpty }
        }
        let benchmark = DeadlineBenchmark(runs: runs)
        // One unmeasured run: first-touch page faults and thread start-up are not the planner's to hide.
        _ = await Writer.agent(for: requests[0], model: model, costs: costs).run(requests[0], timeout: .seconds(1))
        let results = await benchmark.run(
            cases: cases, makeAgent: { Writer.agent(for: $0, model: model, costs: costs) },
            progress: { line in if !quiet { StandardError.line(line) } })
        let cost = costs.cost(for: model.name)
        let report = benchmark.report(
            results,
            notes: [
                ("model", .string(model.name)),
                ("agent", "writer"),
                ("cost_model", .string(CalibrateCommand.describe(cost) + (calibrated ? " (calibrated now)" : ""))),
                ("load_average_1m", .string("\(loadBefore) before, \(load()) after")),
                ("cores", .int(Int64(ProcessInfo.processInfo.activeProcessorCount))),
            ])
        if json {
            StandardOutput.write(report.json.serialized() + "\n")
        } else {
            StandardOutput.write(report.lines.joined(separator: "\n") + "\n")
        }
    }
}
