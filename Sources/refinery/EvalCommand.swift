import ArgumentParser

/// `refinery eval`: benchmarks run on a local model.
struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Run a benchmark on a local model.",
        subcommands: [EvalBFCLCommand.self]
    )
}
