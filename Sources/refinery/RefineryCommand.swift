import RefineryCore
import ArgumentParser
import Refinery

/// The `refinery` command: runs agents and models, and manages the model store.
///
/// Each subcommand lives in its own file in this folder; add one by listing its type in
/// `subcommands` below (one line each).
@main
struct RefineryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refinery",
        abstract: "Multi-step agents on an in-process LLM engine, within one response deadline.",
        discussion: """
            Results go to standard output; progress and diagnostics go to standard error. \
            Models live in $REFINERY_HOME (default ~/.cache/refinery); `refinery models pull` \
            is the only command that downloads anything.
            """,
        version: Refinery.version,
        subcommands: [
            ModelsCommand.self,
            GenerateCommand.self, ChatCommand.self, TokenizeCommand.self, PerplexityCommand.self, BenchCommand.self,
            ToolsCommand.self, AgentsCommand.self, RunCommand.self,
            CalibrateCommand.self, ScriptCommand.self, EvalCommand.self,
            ServeCommand.self,
        ]
    )

    @OptionGroup var global: GlobalOptions

    /// Sets up logging before any command runs, then parses and runs the command. A bad flag
    /// value's message says what the flag wants (``ArgumentErrors``).
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        GlobalOptions.bootstrapLogging(arguments: arguments)
        do {
            var command = try ArgumentErrors.parse(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            ArgumentErrors.exit(withError: error)
        }
    }
}
