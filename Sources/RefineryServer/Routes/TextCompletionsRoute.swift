import RefineryCore
import HTTPTypes
import Hummingbird
import Logging
import Refinery
import RefineryOpenAI

/// `POST /v1/completions`: OpenAI's legacy text completion on a loaded model. Each prompt is fed
/// as is (no chat template; special tokens written in it are parsed) and gets `n` choices, all
/// generated concurrently, answered whole or as server-sent events, with `usage`.
///
/// Agents answer conversations, so `agent:<name>` is refused here with a pointer to
/// `/v1/chat/completions`. Checks, admission and disconnect handling are those of chat completions.
struct TextCompletionsRoute: Sendable {
    let intake: RequestIntake
    let logger: Logger

    func handle(_ incoming: Request, context: some RequestContext) async throws -> Response {
        let arrival = ContinuousClock.now
        var request = incoming
        let wire = try TextCompletionRequest(json: try await intake.json(&request))
        AccessRecord.current?.model(wire.sampling.model)
        if wire.sampling.model.hasPrefix(RefineryServer.agentPrefix) {
            throw APIError(.unsupported, "agents answer conversations: use POST /v1/chat/completions", param: "model")
        }
        let configuration = intake.configuration
        let deadlineHeader = request.headers[HTTPField.Name(RefineryServer.deadlineHeader)!]
        let parameters = try CompletionParameters(wire.sampling, deadlineHeader: deadlineHeader, arrival: arrival,
                                                  configuration: configuration)
        guard wire.prompts.count * parameters.choices <= configuration.maxChoices else {
            throw APIError(.invalidRequest, "asks for \(wire.prompts.count * parameters.choices) completions (prompts × n); the limit is \(configuration.maxChoices)",
                           param: "prompt")
        }
        let served = try intake.model(named: wire.sampling.model, for: parameters, maxTokensField: "max_tokens")
        let ticket = try intake.reserve()
        let run = TextCompletion(served: served, prompts: wire.prompts, echo: wire.echo, parameters: parameters, arrival: arrival,
                                 metrics: intake.metrics, logger: logger)
        return parameters.stream
            ? run.streamingResponse(request: request, ticket: ticket)
            : try await run.response(request: request, ticket: ticket)
    }
}
