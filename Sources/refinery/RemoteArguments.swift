import RefineryCore
import ArgumentParser
import Foundation
import Refinery
import RefineryOpenAI

/// The options that put a remote OpenAI-compatible model behind a command:
/// `--remote PRESET|URL --remote-model NAME [--remote-api-key-env VAR]`.
struct RemoteArguments: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "An OpenAI-compatible endpoint: a preset (\(ProviderPreset.all.map(\.name).joined(separator: ", "))) or a base URL ending in /v1.",
            valueName: "preset|url"))
    var remote: String?

    @Option(name: .long, help: ArgumentHelp("The model id the remote endpoint serves.", valueName: "name"))
    var remoteModel: String?

    @Option(
        name: .long,
        help: ArgumentHelp("The environment variable holding the remote API key (default: the preset's).", valueName: "VAR"))
    var remoteApiKeyEnv: String?

    func validate() throws {
        if remote != nil && remoteModel == nil { throw ValidationError("--remote needs --remote-model NAME") }
        if remote == nil && remoteModel != nil { throw ValidationError("--remote-model needs --remote PRESET|URL") }
        if remote == nil && remoteApiKeyEnv != nil { throw ValidationError("--remote-api-key-env needs --remote PRESET|URL") }
    }

    /// The remote model these options name, or nil without `--remote`. The key is read from the
    /// environment and never printed.
    func model() throws -> OpenAICompatibleModel? {
        guard let remote, let remoteModel else { return nil }
        do {
            let configuration = try RemoteModelConfiguration.resolve(remote, model: remoteModel, apiKeyVariable: remoteApiKeyEnv)
            return OpenAICompatibleModel(configuration: configuration)
        } catch {
            throw ValidationError("--remote \(remote): \(error.message)")
        }
    }
}

/// `refinery generate --remote …`: the same request through the ``LanguageModel`` protocol.
enum RemoteGenerate {
    /// Streams the completion of `prompt` (one user message, its output held to `constraint`
    /// by the endpoint and checked on receipt) from `model` to standard output, or prints one JSON object (the local command's fields; token ids are not sent by the API).
    static func run(
        _ model: any LanguageModel, prompt: String, constraint: GenerationRequest.OutputConstraint?, sampling: SamplingParameters,
        stop: [String], maxTokens: Int, json: Bool
    ) async throws {
        let request = GenerationRequest(
            prompt: .messages([.user(prompt)]), constraint: constraint, sampling: sampling, stop: stop, maxTokens: maxTokens)
        var text = ""
        var stats: GenerationStats?
        for try await event in model.generate(request) {
            switch event {
            case .text(let delta, _):
                if json { text += delta } else { StandardOutput.write(delta) }
            case .toolCallDelta:
                break
            case .finished(let final):
                stats = final
            }
        }
        guard let stats else { return }
        if json {
            let output = GenerateOutput(
                text: text, tokens: [], prompt_tokens: stats.promptTokens, generated_tokens: stats.generatedTokens,
                prefill_ms: stats.prefillTime.milliseconds, decode_ms: stats.decodeTime.milliseconds,
                finish_reason: stats.finishReason.rawValue, seed: sampling.seed ?? 0)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            StandardOutput.write(String(decoding: try encoder.encode(output), as: UTF8.self) + "\n")
        } else {
            StandardOutput.write("\n")
            StandardError.line(
                String(
                    format: "[%@: %d prompt tokens, first text after %.0f ms, %d generated in %.0f ms, %@]", model.name,
                    stats.promptTokens, stats.prefillTime.milliseconds, stats.generatedTokens, stats.decodeTime.milliseconds,
                    stats.finishReason.rawValue))
        }
    }
}
