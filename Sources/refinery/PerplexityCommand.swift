import RefineryCore
import ArgumentParser
import Foundation
import RefineryInference

/// `refinery perplexity`: a model's perplexity on a text file, by llama.cpp's method.
struct PerplexityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perplexity",
        abstract: "Measure a model's perplexity on a text file, or its KL divergence from a reference (llama-perplexity's methods).",
        discussion: """
            The file is tokenized (BOS as the model asks), cut into chunks of --ctx tokens, and the \
            second half of each chunk is scored. Progress goes to standard error; the last line of \
            standard output is the perplexity as a bare number.

            With --kl-divergence-base FILE (written by llamacpp_ref.py kld-base), no text file is \
            given: the base's own token ids are evaluated, and the model's distribution at every \
            scored position is compared with the base's. The report gives both perplexities, the \
            mean KL divergence, its 99th percentile and maximum, and the share of positions whose \
            most likely token is the same; --json prints it as one object (perplexity, \
            base_perplexity, mean_kld, kld_p99, kld_max, same_top_p, positions).
            """
    )

    @Option(name: .long, help: ArgumentHelp("A catalog or added model name, or a path to a GGUF file.", valueName: "name|path"))
    var model: String

    @Option(name: .long, help: ArgumentHelp("Tokens per chunk.", valueName: "n"))
    var ctx: Int = 512

    @Option(name: .long, help: ArgumentHelp("Threads of the forward pass (default: the number of cores).", valueName: "n"))
    var threads: Int?

    @Option(name: .customLong("kl-divergence-base"),
            help: ArgumentHelp("Compare with the reference distributions in FILE (llamacpp_ref.py kld-base) instead of scoring a text.",
                               valueName: "FILE"))
    var klDivergenceBase: String?

    @Flag(name: .long, help: "With --kl-divergence-base: print the figures as one JSON object.")
    var json = false

    @Argument(help: ArgumentHelp("The text file, or '-' for standard input (not with --kl-divergence-base).", valueName: "FILE"))
    var file: String?

    func validate() throws {
        if ctx < 8 { throw ValidationError("--ctx must be at least 8") }
        if klDivergenceBase != nil, file != nil { throw ValidationError("--kl-divergence-base brings its own tokens: give no text file") }
        if klDivergenceBase == nil, file == nil { throw ValidationError("give a text file, or --kl-divergence-base FILE") }
        if json, klDivergenceBase == nil { throw ValidationError("--json goes with --kl-divergence-base") }
    }

    /// Loads the model at --ctx with the --threads asked for.
    func loadModel() throws -> InferenceModel {
        var arguments = ["--model", model, "--ctx", String(ctx)]
        if let threads { arguments += ["--threads", String(threads)] }
        return try ModelArguments.parse(arguments).load()
    }

    /// `--kl-divergence-base`: the base is checked before the model loads, and against it after.
    func compare(with basePath: String) async throws {
        let base = try KLDivergenceBase(path: basePath)
        if base.contextLength != ctx { throw KLDivergenceBaseError.contextMismatch(base: base.contextLength, requested: ctx) }
        let loaded = try loadModel()
        let start = ContinuousClock.now
        let result = try await loaded.engine.klDivergence(against: base, contextLength: ctx) { chunk, count, meanKLD in
            StandardError.line(String(format: "[%d/%d] mean KLD %.6f", chunk + 1, count, meanKLD))
        }
        let seconds = start.duration(to: .now).milliseconds / 1000
        StandardError.line(String(format: "%d chunks of %d tokens, %d positions, %.1f s", result.chunks, ctx, result.positions, seconds))
        if json {
            let fields: [(String, String)] = [
                ("perplexity", Self.jsonNumber(result.perplexity)), ("base_perplexity", Self.jsonNumber(result.basePerplexity)),
                ("mean_kld", Self.jsonNumber(result.meanKLD)), ("kld_p99", Self.jsonNumber(result.kldP99)),
                ("kld_max", Self.jsonNumber(result.kldMax)), ("same_top_p", Self.jsonNumber(result.sameTopFraction)),
                ("positions", String(result.positions)),
            ]
            StandardOutput.write("{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}\n")
        } else {
            StandardOutput.write(String(format: """
                Perplexity (ours)  : %.4f
                Perplexity (base)  : %.4f
                Mean KLD           : %.6f
                99.0%% KLD          : %.6f
                Maximum KLD        : %.6f
                Same top p         : %.3f %%
                Positions          : %d

                """, result.perplexity, result.basePerplexity, result.meanKLD, result.kldP99, result.kldMax,
                100 * result.sameTopFraction, result.positions))
        }
    }

    /// A JSON number (`null` where it is not finite).
    static func jsonNumber(_ value: Double) -> String { value.isFinite ? "\(value)" : "null" }

    func run() async throws {
        if let klDivergenceBase {
            try await compare(with: klDivergenceBase)
            return
        }
        guard let file else { return }
        let bytes: [UInt8]
        if file == "-" {
            bytes = InputText.bytes("-")
        } else {
            guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
            bytes = Array(data)
        }
        let loaded = try loadModel()
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
