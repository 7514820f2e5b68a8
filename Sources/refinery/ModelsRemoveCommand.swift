import RefineryCore
import RefineryInference
import ArgumentParser
import Refinery

/// `refinery models rm NAME`: deletes a pulled model or forgets an added one.
struct ModelsRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Delete an installed catalog model, or forget an added one (its file is kept)."
    )

    @Argument(help: "The model's name.")
    var name: String

    func run() async throws {
        try ModelStore.fromEnvironment().remove(name)
        StandardError.line("removed \(name)")
    }
}
