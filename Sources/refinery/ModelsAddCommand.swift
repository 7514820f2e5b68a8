import RefineryCore
import RefineryInference
import ArgumentParser
import Refinery

/// `refinery models add PATH`: registers the user's own GGUF file.
struct ModelsAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Register your own GGUF file under a name (the file stays where it is)."
    )

    @Argument(help: "The GGUF file.")
    var path: String

    @Option(help: "The name to use (default: the file's name without .gguf).")
    var name: String?

    func run() async throws {
        let model = try ModelStore.fromEnvironment().add(file: path, name: name)
        print("\(model.name)\t\(model.path)")
    }
}
