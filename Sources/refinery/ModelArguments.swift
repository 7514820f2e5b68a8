import RefineryCore
import ArgumentParser
import Foundation
import Refinery
import RefineryInference

/// The options shared by the commands that load a model: which model, context and threads.
///
/// `--model` is optional here so that `generate` can run on `--remote` alone; the commands
/// that need a local model fail at ``resolvedPath()`` with a usage error when it is missing.
struct ModelArguments: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("A catalog or added model name, or a path to a GGUF file.", valueName: "name|path"))
    var model: String?

    @Option(name: .long, help: ArgumentHelp("Context size in tokens (default: the model's, at most 4096).", valueName: "n"))
    var ctx: Int?

    @Option(name: .long, help: ArgumentHelp("Threads of the forward pass (default: the number of cores).", valueName: "n"))
    var threads: Int?

    func validate() throws {
        if let ctx, ctx < 8 { throw ValidationError("--ctx must be at least 8") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    /// The GGUF file `--model` names (a path, or a model in the store).
    func resolvedPath() throws -> String {
        guard let model else { throw ValidationError("give --model NAME|PATH (a catalog or added model name, or a GGUF file)") }
        return try ModelStore.fromEnvironment().locate(model)
    }

    /// These arguments, naming the catalog's default model when `--model` is not given.
    func withDefaultModel() throws -> ModelArguments {
        guard model == nil else { return self }
        guard let name = try ModelStore.fromEnvironment().catalog.defaultEntry?.name else {
            throw ValidationError("give --model NAME|PATH (a catalog or added model name, or a GGUF file)")
        }
        var arguments = self
        arguments.model = name
        return arguments
    }

    /// Loads the model with the engine options these arguments give.
    func load(maxSequences: Int = 1) throws -> InferenceModel {
        let path = try resolvedPath()
        return try InferenceModel(path: path, options: .init(threads: threads, contextLength: ctx, maxSequences: maxSequences))
    }
}

/// Reads a PROMPT or TEXT argument: `-` means standard input, read as bytes.
enum InputText {
    static func bytes(_ argument: String) -> [UInt8] {
        if argument == "-" { return Array(FileHandle.standardInput.readDataToEndOfFile()) }
        return Array(argument.utf8)
    }
}

/// Writes to standard output without buffering surprises (text streams as it is generated).
enum StandardOutput {
    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

/// Milliseconds of a duration, for JSON output.
extension Duration {
    var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
