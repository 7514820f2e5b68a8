import RefineryCore
import RefineryInference
import ArgumentParser
import Refinery

/// `refinery models path NAME`: prints where a model's file is.
struct ModelsPathCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "path",
        abstract: "Print the path of an installed or added model's GGUF file (exit 1 if absent)."
    )

    @Argument(help: "A catalog model or a name given to `models add`.")
    var name: String

    func run() async throws {
        print(try ModelStore.fromEnvironment().path(of: name))
    }
}
