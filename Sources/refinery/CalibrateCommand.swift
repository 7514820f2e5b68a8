import RefineryCore
import RefineryInference
import ArgumentParser
import Foundation
import Refinery

/// `refinery calibrate --model NAME`: measures a model's prefill and decode rates and its
/// first-token latency, and stores them as the cost model the latency planner starts from.
struct CalibrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Measure a model's speed and store it as the latency planner's cost model.",
        discussion: """
            Runs a warm-up call, a call with a prompt of --prompt-tokens generating --gen-tokens \
            (prefill and decode rates) and a one-token call (first-token latency), then stores the \
            figures in $REFINERY_HOME/costs/<model>.json, replacing what was learned before. \
            Every later generation refines them. `refinery run` calibrates on its own (briefly) \
            the first time it uses a model with no stored figures.
            """
    )

    @Option(name: .long, help: ArgumentHelp("A catalog or added model name, or a path to a GGUF file.", valueName: "name|path"))
    var model: String

    @Option(name: .long, help: ArgumentHelp("Threads of the forward pass (default: the number of cores).", valueName: "n"))
    var threads: Int?

    @Option(name: .long, help: ArgumentHelp("Prompt tokens of the measured call.", valueName: "n"))
    var promptTokens: Int = 128

    @Option(name: .long, help: ArgumentHelp("Tokens the measured call generates.", valueName: "n"))
    var genTokens: Int = 32

    @Flag(name: .long, help: "Print the stored figures as JSON.")
    var json = false

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if promptTokens < 8 { throw ValidationError("--prompt-tokens must be at least 8") }
        if genTokens < 2 { throw ValidationError("--gen-tokens must be at least 2") }
    }

    func run() async throws {
        let path = try ModelStore.fromEnvironment().locate(model)
        let local = try LocalModel(path: path, options: .init(threads: threads, maxSequences: 1))
        let costs = CostBook.fromEnvironment()
        let measured: CostModel
        do {
            measured = try await CostCalibration(promptTokens: promptTokens, generatedTokens: genTokens)
                .measure(local)
        } catch {
            StandardError.line("error: \(error)")
            throw ExitCode.failure
        }
        try costs.record(measured)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            StandardOutput.write(String(decoding: try encoder.encode(measured), as: UTF8.self) + "\n")
        } else {
            StandardOutput.write(Self.describe(measured) + "\n")
        }
    }

    /// One line: `smollm2-135m-instruct: prefill 480 tok/s, decode 170 tok/s, first token 4 ms, overhead 1 ms`.
    static func describe(_ cost: CostModel) -> String {
        let rate = { (x: Double) in String(Int(x.rounded())) }
        let ms = { (s: Double) in String(format: "%.1f", s * 1000) }
        return "\(cost.model): prefill \(rate(cost.prefillTokensPerSecond)) tok/s, decode "
            + "\(rate(cost.decodeTokensPerSecond)) tok/s, first token \(ms(cost.timeToFirstToken)) ms, "
            + "overhead \(ms(cost.perCallOverhead)) ms"
    }
}
