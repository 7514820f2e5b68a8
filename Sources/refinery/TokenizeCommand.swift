import RefineryCore
import ArgumentParser
import Foundation
import RefineryInference

/// `refinery tokenize`: the token ids of a text, as llama.cpp's tokenizer gives them.
struct TokenizeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the token ids of a text as a JSON array (no BOS).",
        discussion: "TEXT may be '-' to read standard input as bytes. Special tokens are parsed only with --special."
    )

    @Option(name: .long, help: ArgumentHelp("A catalog or added model name, or a path to a GGUF file.", valueName: "name|path"))
    var model: String

    @Flag(name: .long, help: "Parse special tokens such as <|im_start|> (llama.cpp's `special`).")
    var special = false

    @Flag(name: .long, help: "Print the ids as a JSON array (the only output format).")
    var json = false

    @Argument(help: ArgumentHelp("The text, or '-' for standard input.", valueName: "TEXT"))
    var text: String

    func run() async throws {
        let input = InputText.bytes(text)
        let path = try ModelArguments.parse(["--model", model]).resolvedPath()
        let file = try GGUFFile.open(path: path)
        let tokenizer = try Tokenizer(data: TokenizerData(gguf: file))
        let ids = tokenizer.encode(input, addSpecial: false, parseSpecial: special)
        StandardOutput.write("[" + ids.map(String.init).joined(separator: ", ") + "]\n")
    }
}
