import RefineryCore
import ArgumentParser
import Foundation
import Refinery
import RefineryInference

/// `refinery generate`: one completion from a local model, streamed to standard output.
struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate text from a prompt with a local or remote model.",
        discussion: """
            The prompt is rendered through the model's chat template as one user message, unless \
            --raw feeds it as is (special tokens such as <|im_start|> are parsed in both cases). \
            With --remote PRESET|URL --remote-model NAME instead of --model, the prompt goes as one \
            user message to that OpenAI-compatible endpoint (its key from the preset's variable or \
            --remote-api-key-env; --json then has no token ids). \
            PROMPT may be '-' to read standard input as bytes. Standard output receives only the \
            generated text (or, with --json, one JSON object: text, tokens, prompt_tokens, \
            generated_tokens, prefill_ms, decode_ms, finish_reason, seed); diagnostics go to standard error.

            --schema FILE constrains the output to one JSON document valid under the JSON schema in             FILE, and --any-json to any JSON value (token by token: every output parses). Generation             stops when the document is complete; standard output then holds exactly the document and             a newline. A schema keyword that cannot be enforced is an error naming it and its path (parts             left out as a sound narrowing are noted on standard error); a document left unfinished             (--max-tokens too small, for instance) is an error carrying the partial text, with exit             status 1, and nothing is written to standard output. The model is shown the schema             itself when it is small, and a shorter form (annotations dropped, or an outline of its             properties) when it would crowd the context; the grammar always holds the output to the             whole schema. Without --model and --remote, the catalog's default model is used.

            Default sampling (llama.cpp's defaults): temperature 0.8, top-k 40, top-p 0.95, \
            min-p 0.05, repeat penalty 1.0 over the last 64 tokens, a random seed; at most 512 \
            tokens. --greedy always takes the most likely token.
            """
    )

    @OptionGroup var modelArguments: ModelArguments

    @OptionGroup var remoteArguments: RemoteArguments

    @Flag(name: .long, help: "Feed the prompt as is instead of through the chat template.")
    var raw = false

    @Flag(name: .long, help: "Always pick the most likely token (overrides the sampling options).")
    var greedy = false

    @Option(name: .long, help: ArgumentHelp("Sampling temperature; 0 is greedy.", valueName: "t"))
    var temperature: Float = 0.8

    @Option(name: .long, help: ArgumentHelp("Keep the k most likely tokens; 0 disables.", valueName: "k"))
    var topK: Int = 40

    @Option(name: .long, help: ArgumentHelp("Keep the most likely tokens up to this probability mass; 1 disables.", valueName: "p"))
    var topP: Float = 0.95

    @Option(name: .long, help: ArgumentHelp("Drop tokens below this fraction of the top probability; 0 disables.", valueName: "p"))
    var minP: Float = 0.05

    @Option(name: .long, help: ArgumentHelp("Penalty for tokens among the last 64; 1 disables.", valueName: "r"))
    var repeatPenalty: Float = 1.0

    @Option(name: .long, help: ArgumentHelp("Random seed: the same seed gives the same output.", valueName: "s"))
    var seed: UInt64?

    @Option(name: .long, help: ArgumentHelp("Stop before this string (repeatable).", valueName: "str"))
    var stop: [String] = []

    @Option(name: .long, help: ArgumentHelp("Generate at most this many tokens.", valueName: "n"))
    var maxTokens: Int = 512

    @Flag(name: .long, help: "Print one JSON object instead of the text.")
    var json = false

    @Option(name: .long, help: ArgumentHelp("Constrain the output to the JSON schema in this file.", valueName: "file"))
    var schema: String?

    @Flag(name: .long, help: "Constrain the output to any JSON value.")
    var anyJSON = false

    @Argument(help: ArgumentHelp("The prompt, or '-' for standard input.", valueName: "PROMPT"))
    var prompt: String

    func validate() throws {
        if maxTokens < 1 { throw ValidationError("--max-tokens must be at least 1") }
        if temperature < 0 { throw ValidationError("--temperature must not be negative") }
        if topK < 0 { throw ValidationError("--top-k must not be negative") }
        if !(0...1).contains(topP) { throw ValidationError("--top-p must be between 0 and 1") }
        if !(0...1).contains(minP) { throw ValidationError("--min-p must be between 0 and 1") }
        if repeatPenalty <= 0 { throw ValidationError("--repeat-penalty must be positive") }
        if schema != nil && anyJSON { throw ValidationError("--schema and --any-json exclude each other") }
        if remoteArguments.remote != nil {
            if modelArguments.model != nil { throw ValidationError("give either --model or --remote, not both") }
            if raw { throw ValidationError("--raw needs a local --model: a chat completions endpoint takes messages") }
        }
    }

    /// The schema the output must follow (`true` for --any-json), if any.
    func outputSchema() throws -> JSONValue? {
        if anyJSON { return .bool(true) }
        guard let schema else { return nil }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: schema))
        } catch {
            throw ValidationError("cannot read the schema file '\(schema)': \(error.localizedDescription)")
        }
        do {
            return try JSONValue(parsing: Array(data))
        } catch {
            throw ValidationError("the schema file '\(schema)' is not JSON: \(error.message)")
        }
    }

    var sampling: SamplingParameters {
        if greedy { return .greedy }
        return SamplingParameters(temperature: temperature, topK: topK, topP: topP, minP: minP,
                                  repetitionPenalty: repeatPenalty, seed: seed)
    }

    func run() async throws {
        let input = InputText.bytes(prompt)
        let schema = try outputSchema()
        if let remote = try remoteArguments.model() {
            let constraint = schema.map { anyJSON ? GenerationRequest.OutputConstraint.anyJSON : .jsonSchema($0) }
            try await RemoteGenerate.run(remote, prompt: String(decoding: input, as: UTF8.self), constraint: constraint,
                                         sampling: sampling, stop: stop, maxTokens: maxTokens, json: json)
            return
        }
        // Compile before loading the model, so a bad schema fails fast.
        let grammar = try schema.map { try JSONSchemaGrammar(schema: $0) }
        for omission in grammar?.omissions ?? [] {
            StandardError.line("note: the output leaves out part of the schema: \(omission.message)")
        }
        var arguments = modelArguments
        if arguments.model == nil {
            // No --model: the catalog's default model.
            guard let name = try ModelStore.fromEnvironment().catalog.defaultEntry?.name else {
                throw ValidationError("give --model NAME|PATH, or --remote PRESET|URL --remote-model NAME")
            }
            arguments.model = name
        }
        let model = try arguments.load()
        let tokens: [Int32]
        if raw {
            tokens = model.tokenize(input, addSpecial: true, parseSpecial: true)
        } else {
            guard model.chatTemplate != nil else {
                throw ModelError.unsupported("chat templating: model '\(model.name)' has no chat template (use --raw to feed the prompt as is)")
            }
            let user: JSONValue = ["role": "user", "content": .string(String(decoding: input, as: UTF8.self))]
            guard let schema else {
                tokens = model.promptTokens(try model.chatPrompt(messages: [user]))
                return try await generate(model, prompt: tokens, grammar: grammar)
            }
            // Tell the model what the constraint will hold it to. The grammar carries the whole
            // schema, so a large one is described in a shorter form that leaves room for the answer.
            var limit = 3000
            var prompt: [Int32] = []
            while true {
                let instruction: String
                if anyJSON {
                    instruction = "Reply with JSON only."
                } else {
                    let summary = JSONSchemaPromptSummary(schema: schema, limit: limit)
                    instruction = summary.form == .outline
                        ? "Reply with one JSON value of this shape (an outline of its JSON schema):\n" + summary.text
                        : "Reply with one JSON value matching this JSON schema:\n" + summary.text
                }
                let messages: [JSONValue] = [["role": "system", "content": .string(instruction)], user]
                prompt = model.promptTokens(try model.chatPrompt(messages: messages))
                if anyJSON || prompt.count + maxTokens <= model.engine.contextLength || limit <= 250 { break }
                limit /= 2
            }
            tokens = prompt
        }
        try await generate(model, prompt: tokens, grammar: grammar)
    }

    /// Generates from `tokens` and writes the result.
    private func generate(_ model: InferenceModel, prompt tokens: [Int32], grammar: JSONSchemaGrammar?) async throws {
        var options = GenerationOptions(sampling: sampling, maxTokens: maxTokens, stopStrings: stop)
        if let grammar { options.constraint = GrammarConstraint(grammar: grammar.grammar, masks: model.makeTokenMasks()) }
        // A constrained document is written whole, once complete.
        let buffered = json || grammar != nil
        var text = ""
        var generated: [Int32] = []
        var stats: EngineStats?
        for try await event in model.generate(prompt: tokens, options: options) {
            switch event {
            case .tokens(let ids, let delta):
                generated += ids
                if buffered { text += delta } else { StandardOutput.write(delta) }
            case .finished(let final):
                stats = final
            }
        }
        guard let stats else { return }
        if grammar != nil, stats.constraintOpen {
            StandardError.line("partial output: \(text)")
            throw StructuredOutputError.incompleteOutput(text, reason: LocalModel.stats(stats).finishReason)
        }
        if grammar != nil, !json {
            StandardOutput.write(text + "\n")
            StandardError.line(String(format: "[%d prompt tokens, %d generated, %@, mask and grammar %.1f ms]",
                                      stats.promptTokens, stats.generatedTokens, stats.finishReason.rawValue,
                                      stats.constraintTime.milliseconds))
        } else if json {
            let output = GenerateOutput(text: text, tokens: generated, prompt_tokens: stats.promptTokens,
                                        generated_tokens: stats.generatedTokens, prefill_ms: stats.prefillTime.milliseconds,
                                        decode_ms: stats.decodeTime.milliseconds, finish_reason: stats.finishReason.rawValue,
                                        seed: stats.seed)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            StandardOutput.write(String(decoding: try encoder.encode(output), as: UTF8.self) + "\n")
        } else {
            StandardOutput.write("\n")
            let decodeSeconds = stats.decodeTime.milliseconds / 1000
            let rate = decodeSeconds > 0 ? Double(max(0, stats.generatedTokens - 1)) / decodeSeconds : 0
            StandardError.line(String(format: "[%d prompt tokens in %.0f ms, %d generated at %.1f tokens/s, %@]",
                                      stats.promptTokens, stats.prefillTime.milliseconds, stats.generatedTokens, rate,
                                      stats.finishReason.rawValue))
        }
    }
}

/// The `--json` output of `refinery generate`.
struct GenerateOutput: Encodable {
    var text: String
    var tokens: [Int32]
    var prompt_tokens: Int
    var generated_tokens: Int
    var prefill_ms: Double
    var decode_ms: Double
    var finish_reason: String
    var seed: UInt64
}
