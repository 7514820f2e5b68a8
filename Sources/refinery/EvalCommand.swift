import ArgumentParser

/// `refinery eval`: benchmarks of the ready agents on public datasets.
struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a ready agent on a public benchmark.",
        subcommands: [EvalHumanEvalCommand.self]
    )
}
