import RefineryCore
import ArgumentParser
import Foundation
import RefineryInference

/// `refinery perplexity`: a model's perplexity on a text file, by llama.cpp's method.
struct PerplexityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perplexity",
        abstract: "Measure a model's perplexity on a text file (llama-perplexity's method).",
        discussion: """
            The file is tokenized (BOS as the model asks), cut into chunks of --ctx tokens, and the \
            second half of each chunk is scored. Progress goes to standard error; the last line of \
            standard output is the perplexity as a bare number.
            """
    )

    @Option(name: .long, help: ArgumentHelp("A catalog or added model name, or a path to a GGUF file.", valueName: "name|path"))
    var model: String

    @Option(name: .long, help: ArgumentHelp("Tokens per chunk.", valueName: "n"))
    var ctx: Int = 512

    @Option(name: .long, help: ArgumentHelp("Threads of the forward pass (default: the number of cores).", valueName: "n"))
    var threads: Int?

    @Argument(help: ArgumentHelp("The text file, or '-' for standard input.", valueName: "FILE"))
    var file: String

    func validate() throws {
        if ctx < 8 { throw ValidationError("--ctx must be at least 8") }
    }

    func run() async throws {
        let bytes: [UInt8]
        if file == "-" {
            bytes = InputText.bytes("-")
        } else {
            guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
            bytes = Array(data)
        }
        var arguments = ["--model", model, "--ctx", String(ctx)]
        if let threads { arguments += ["--threads", String(threads)] }
        let loaded = try ModelArguments.parse(arguments).load()
        let tokens = loaded.tokenizer.encode(bytes, addSpecial: false, parseSpecial: false)
        let bos = loaded.tokenizer.addsBOS ? loaded.tokenizer.bosID : nil
        let start = ContinuousClock.now
        let result = try await loaded.engine.perplexity(tokens: bos.map { [$0] + tokens } ?? tokens, contextLength: ctx, bos: bos) { chunk, count, running in
            StandardError.line(String(format: "[%d/%d] %.4f", chunk + 1, count, running))
        }
        let seconds = start.duration(to: .now).milliseconds / 1000
        StandardError.line(String(format: "%d chunks of %d tokens, %d scored, %.1f s", result.chunks, ctx, result.scoredTokens, seconds))
        StandardOutput.write(String(format: "%.4f\n", result.perplexity))
    }
}
