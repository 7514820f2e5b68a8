import RefineryCore
import ArgumentParser
import Foundation
import RefineryInference

/// `refinery chat`: an interactive conversation with a local model, streamed.
struct ChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Chat with a local model interactively.",
        discussion: """
            Each line read from standard input is a user turn; the reply streams to standard output. \
            The conversation is rendered through the model's chat template. An empty line or end of \
            input ends the chat; /reset starts a new conversation.
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

    func run() async throws {
        let model = try modelArguments.load()
        guard model.chatTemplate != nil else {
            throw ModelError.unsupported("chat: model '\(model.name)' has no chat template (use `refinery generate --raw`)")
        }
        let opening: [JSONValue] = system.map { [["role": "system", "content": .string($0)]] } ?? []
        var messages = opening
        let interactive = isatty(0) == 1
        var sampling = greedy ? SamplingParameters.greedy : SamplingParameters(temperature: temperature, seed: seed)
        while true {
            if interactive { StandardError.write("> ") }
            guard let line = readLine(strippingNewline: true), !line.isEmpty else { break }
            if line == "/reset" {
                messages = opening
                continue
            }
            messages.append(["role": "user", "content": .string(line)])
            // A long conversation forgets its oldest turns instead of failing; a quarter of the
            // context (at most the reply's cap) stays free for the reply.
            let reserve = min(maxTokens, model.engine.contextLength / 4)
            let prompt = try model.fittedChatPrompt(messages: messages, reserve: reserve, overflow: .dropOldestTurns)
            if prompt.droppedMessages > 0 {
                messages.removeSubrange(opening.count..<(opening.count + prompt.droppedMessages))
                StandardError.write("(the context is full: dropped the \(prompt.droppedMessages) oldest messages)\n")
            }
            var reply = ""
            for try await event in model.generate(prompt: prompt.tokens, options: GenerationOptions(sampling: sampling, maxTokens: maxTokens)) {
                if case .tokens(_, let text) = event {
                    reply += text
                    StandardOutput.write(text)
                }
            }
            StandardOutput.write("\n")
            messages.append(["role": "assistant", "content": .string(reply)])
            // A fixed seed gives a reproducible conversation, not the same draw at every turn.
            if let current = sampling.seed { sampling.seed = current &+ 1 }
        }
    }
}
