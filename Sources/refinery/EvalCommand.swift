import RefineryCore
import ArgumentParser

/// `refinery eval`: public benchmarks of the models and the ready agents.
struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Run a public benchmark: function calling (bfcl) or code agents (humaneval).",
        subcommands: [EvalBFCLCommand.self, EvalHumanEvalCommand.self]
    )
}
