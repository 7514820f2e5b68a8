import RefineryCore
import ArgumentParser
import Foundation
import RefineryInference

/// `refinery chat`: an interactive conversation with a local model, streamed, read the way
/// `ollama run` and `llama-cli` read it.
struct ChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Chat with a local model interactively.",
        discussion: """
            Each line read from standard input is a user turn; the reply streams to standard output. \
            A message of several lines goes between two lines of \"\"\" (text may follow the opening \
            quotes and precede the closing ones). Blank lines are skipped. /bye or end of input \
            (Ctrl-D) ends the chat; /clear starts a new conversation (the --system message stays); \
            /? lists the commands. On a terminal, '>>> ' marks where to type ('... ' inside a \
            \"\"\" block). The conversation is rendered through the model's chat template; when it \
            outgrows the context, the oldest turns are dropped. Without --model the catalog's \
            default model is used.
            """
    )

    @OptionGroup var modelArguments: ModelArguments

    @Option(name: .long, help: ArgumentHelp("A system message opening the conversation.", valueName: "text"))
    var system: String?

    @Flag(name: .long, help: "Always pick the most likely token.")
    var greedy = false

    @Option(name: .long, help: ArgumentHelp("Sampling temperature; 0 is greedy.", valueName: "t"))
    var temperature: Float = 0.8

    @Option(name: .long, help: ArgumentHelp("Random seed: the same seed gives the same output.", valueName: "s"))
    var seed: UInt64?

    @Option(name: .long, help: ArgumentHelp("Generate at most this many tokens per reply.", valueName: "n"))
    var maxTokens: Int = 1024

    @Flag(name: .long, help: "After each reply, print its prompt and generated tokens and the speed on standard error.")
    var verbose = false

    func validate() throws {
        if maxTokens < 1 { throw ValidationError("--max-tokens must be at least 1") }
        if temperature < 0 { throw ValidationError("--temperature must not be negative") }
    }

    func run() async throws {
        let model = try modelArguments.withDefaultModel().load()
        guard model.chatTemplate != nil else {
            throw ModelError.unsupported("chat: model '\(model.name)' has no chat template (use `refinery generate --raw`)")
        }
        let opening: [JSONValue] = system.map { [["role": "system", "content": .string($0)]] } ?? []
        var messages = opening
        let interactive = isatty(0) == 1
        if interactive { StandardError.line("Chatting with \(model.name). /? for help, /bye or Ctrl-D to end.") }
        var input = ChatInput(readLine: { Swift.readLine(strippingNewline: true) }) { marker in
            guard interactive else { return }
            StandardOutput.write(marker == .entry ? ">>> " : "... ")
        }
        var sampling = greedy ? SamplingParameters.greedy : SamplingParameters(temperature: temperature, seed: seed)
        while let entry = input.next() {
            switch entry {
            case .bye: return
            case .clear:
                messages = opening
                StandardError.line("Cleared the conversation.")
            case .help: StandardError.line(ChatInput.help)
            case .unknownCommand(let word): StandardError.line("Unknown command '\(word)'. Type /? for help.")
            case .message(let text):
                messages.append(["role": "user", "content": .string(text)])
                let reply = try await answer(model, &messages, opening: opening, sampling: sampling)
                messages.append(["role": "assistant", "content": .string(reply)])
                // A fixed seed gives a reproducible conversation, not the same draw at every turn.
                if let current = sampling.seed { sampling.seed = current &+ 1 }
            }
        }
        // End of input: leave the terminal's cursor on a fresh line.
        if interactive { StandardOutput.write("\n") }
    }

    /// Streams the reply to the conversation in `messages` and returns its text; drops the
    /// oldest turns (after the opening) when the conversation outgrows the context.
    private func answer(
        _ model: InferenceModel, _ messages: inout [JSONValue], opening: [JSONValue], sampling: SamplingParameters
    ) async throws -> String {
        // A quarter of the context (at most the reply's cap) stays free for the reply.
        let reserve = min(maxTokens, model.engine.contextLength / 4)
        let prompt = try model.fittedChatPrompt(messages: messages, reserve: reserve, overflow: .dropOldestTurns)
        if prompt.droppedMessages > 0 {
            messages.removeSubrange(opening.count..<(opening.count + prompt.droppedMessages))
            StandardError.line("(the context is full: dropped the \(prompt.droppedMessages) oldest messages)")
        }
        var reply = ""
        var stats: EngineStats?
        for try await event in model.generate(prompt: prompt.tokens, options: GenerationOptions(sampling: sampling, maxTokens: maxTokens)) {
            switch event {
            case .tokens(_, let text):
                reply += text
                StandardOutput.write(text)
            case .finished(let final): stats = final
            }
        }
        StandardOutput.write("\n")
        if verbose, let stats {
            let seconds = stats.decodeTime.milliseconds / 1000
            let rate = seconds > 0 ? Double(max(0, stats.generatedTokens - 1)) / seconds : 0
            StandardError.line(String(format: "[%d prompt tokens, %d generated at %.1f tokens/s, %@]", stats.promptTokens,
                                      stats.generatedTokens, rate, stats.finishReason.rawValue))
        }
        return reply
    }
}
