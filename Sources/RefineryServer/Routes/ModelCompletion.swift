import RefineryCore
import Hummingbird
import Logging
import NIOCore
import Prometheus
import Refinery
import RefineryOpenAI

/// One chat completion on a loaded model: `n` choices generated concurrently, answered whole
/// or as server-sent events.
struct ModelCompletion: Sendable {
    let served: ServedModel
    let parameters: CompletionParameters
    let arrival: ContinuousClock.Instant
    let metrics: ServerMetrics
    let logger: Logger
    /// Where the access log line learns the tokens used.
    let record = AccessRecord.current

    /// The whole answer; the generation is cancelled if the client disconnects.
    func response(request: Request, ticket: AdmissionTicket) async throws -> Response {
        let choices: [ChoiceAccumulator]
        do {
            choices = try await request.body.consumeWithCancellationOnInboundClose { _ in
                let permit = try await ticket.wait()
                defer { permit.release() }
                var choices = Array(repeating: ChoiceAccumulator(), count: parameters.choices)
                var first = true
                for try await (index, event) in choiceEvents(model: served.model, parameters: parameters) {
                    if first, case .text = event {
                        first = false
                        metrics.timeToFirstToken.record(arrival.duration(to: .now))
                    }
                    if case .finished(let stats) = event { metrics.generation(stats) }
                    choices[index].add(event)
                }
                return choices
            }
        } catch is CancellationError {
            metrics.disconnects.increment()
            logger.debug("client went away; generation cancelled")
            throw CancellationError()
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(.internalError, "generation failed: \(error)")
        }
        let usage = Self.usage(choices.map(\.stats))
        record?.tokens(prompt: usage.promptTokens, completion: usage.completionTokens)
        let reply = ChatCompletionResponse(
            id: CompletionWire.newID(), created: CompletionWire.unixTime(), model: served.id,
            choices: choices.enumerated().map { i, c in .init(index: i, message: c.message, finishReason: c.finishReason) },
            usage: usage)
        var json = reply.json
        if parameters.deadline != nil {
            let reasons: [JSONValue] = choices.map { .string(($0.stats?.finishReason ?? .stop).rawValue) }
            json = json.adding("refinery", ["finish_reasons": .array(reasons)])
        }
        return CompletionWire.json(json)
    }

    /// Server-sent `chat.completion.chunk` events, then `[DONE]`.
    func streamingResponse(request: Request, ticket: AdmissionTicket) -> Response {
        let id = CompletionWire.newID()
        let created = CompletionWire.unixTime()
        let model = served.id
        let parameters = self.parameters
        let metrics = self.metrics
        let arrival = self.arrival
        let logger = self.logger
        let servedModel = served.model
        let record = self.record
        @Sendable func chunk(_ choices: [ChatCompletionChunk.Choice], usage: ChatCompletionUsage? = nil) -> ByteBuffer {
            CompletionWire.event(ChatCompletionChunk(id: id, created: created, model: model, choices: choices, usage: usage).json)
        }
        return Response(status: .ok, headers: CompletionWire.sseHeaders, body: ResponseBody { writer in
            do {
                try await request.body.consumeWithCancellationOnInboundClose { _ in
                    let permit = try await ticket.wait()
                    defer { permit.release() }
                    for index in 0..<parameters.choices {
                        try await writer.write(chunk([.init(index: index, delta: .init(role: "assistant", content: ""))]))
                    }
                    var stats = [GenerationStats?](repeating: nil, count: parameters.choices)
                    var calledTools = [Bool](repeating: false, count: parameters.choices)
                    var ids = [ToolCallIDs](repeating: ToolCallIDs(), count: parameters.choices)
                    var first = true
                    do {
                        for try await (index, event) in choiceEvents(model: servedModel, parameters: parameters) {
                            switch event {
                            case .text(let text, _):
                                if first {
                                    first = false
                                    metrics.timeToFirstToken.record(arrival.duration(to: .now))
                                }
                                guard !text.isEmpty else { continue }
                                try await writer.write(chunk([.init(index: index, delta: .init(content: text))]))
                            case .toolCallDelta(let d):
                                calledTools[index] = true
                                // The call's first delta carries the server's unique id, whatever the model numbered it.
                                let id = ids[index].assign(forCall: d.index)
                                let delta = ChatCompletionChunk.ToolCallDelta(
                                    index: d.index, id: id, type: id != nil || d.name != nil ? "function" : nil, name: d.name,
                                    arguments: d.argumentsFragment)
                                try await writer.write(chunk([.init(index: index, delta: .init(toolCalls: [delta]))]))
                            case .finished(let s):
                                stats[index] = s
                                metrics.generation(s)
                                let reason = calledTools[index] ? "tool_calls" : s.finishReason.openAIValue
                                try await writer.write(chunk([.init(index: index, delta: .init(), finishReason: reason)]))
                            }
                        }
                    } catch let error where !(error is CancellationError) {
                        logger.warning("generation failed mid-stream: \(error)")
                        try await writer.write(CompletionWire.streamError(error))
                        return
                    }
                    let usage = Self.usage(stats)
                    record?.tokens(prompt: usage.promptTokens, completion: usage.completionTokens)
                    if parameters.includeUsage {
                        try await writer.write(chunk([], usage: usage))
                    }
                    try await writer.write(CompletionWire.done)
                }
            } catch is CancellationError {
                metrics.disconnects.increment()
                logger.debug("client went away; streaming generation cancelled")
                throw CancellationError()
            }
            try await writer.finish(nil)
        })
    }

    /// Usage of all choices: the prompt counted once, completions summed.
    private static func usage(_ stats: [GenerationStats?]) -> ChatCompletionUsage {
        let done = stats.compactMap { $0 }
        let prompt = done.first?.promptTokens ?? 0
        let cached = done.first?.cachedTokens ?? 0
        return ChatCompletionUsage(promptTokens: prompt, completionTokens: done.reduce(0) { $0 + $1.generatedTokens },
                                   cachedTokens: cached > 0 ? cached : nil)
    }
}
