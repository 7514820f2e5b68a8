import RefineryCore
import Hummingbird
import Logging
import NIOCore
import Prometheus
import Refinery
import RefineryOpenAI

/// One text completion on a loaded model: every prompt × `n` choices, generated concurrently.
/// Choice `p * n + i` is prompt `p`'s choice `i`, as OpenAI numbers them.
struct TextCompletion: Sendable {
    let served: ServedModel
    let prompts: [String]
    let echo: Bool
    let parameters: CompletionParameters
    let arrival: ContinuousClock.Instant
    let metrics: ServerMetrics
    let logger: Logger
    /// Where the access log line learns the tokens used.
    let record = AccessRecord.current

    /// The generation of each choice, in choice order.
    private var requests: [GenerationRequest] {
        prompts.flatMap { prompt in
            (0..<parameters.choices).map { i in
                var request = parameters.generation(forChoice: i)
                request.prompt = .raw(prompt)
                return request
            }
        }
    }

    /// The prompt choice `index` continues.
    private func prompt(ofChoice index: Int) -> String { prompts[index / parameters.choices] }

    /// The whole answer; the generation is cancelled if the client disconnects.
    func response(request: Request, ticket: AdmissionTicket) async throws -> Response {
        let requests = self.requests
        let (texts, stats): ([String], [GenerationStats?])
        do {
            (texts, stats) = try await request.body.consumeWithCancellationOnInboundClose { _ in
                let permit = try await ticket.wait()
                defer { permit.release() }
                var texts = [String](repeating: "", count: requests.count)
                var stats = [GenerationStats?](repeating: nil, count: requests.count)
                var first = true
                for try await (index, event) in choiceEvents(model: served.model, requests: requests) {
                    switch event {
                    case .text(let delta, _):
                        if first {
                            first = false
                            metrics.timeToFirstToken.record(arrival.duration(to: .now))
                        }
                        texts[index] += delta
                    case .toolCallDelta: break
                    case .finished(let s):
                        stats[index] = s
                        metrics.generation(s)
                    }
                }
                return (texts, stats)
            }
        } catch is CancellationError {
            metrics.disconnects.increment()
            throw CancellationError()
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(.internalError, "generation failed: \(error)")
        }
        let choices: [JSONValue] = texts.indices.map { i in
            choice(index: i, text: (echo ? prompt(ofChoice: i) : "") + texts[i],
                   finishReason: .string((stats[i]?.finishReason ?? .stop).openAIValue))
        }
        return CompletionWire.json(body(id: CompletionWire.newID(prefix: "cmpl-"), created: CompletionWire.unixTime(),
                                        choices: choices, usage: self.usage(stats)))
    }

    /// Server-sent `text_completion` chunks (the echoed prompts first, when asked), a last chunk
    /// per choice with its `finish_reason`, a usage chunk with `stream_options.include_usage`,
    /// then `[DONE]`.
    func streamingResponse(request: Request, ticket: AdmissionTicket) -> Response {
        let id = CompletionWire.newID(prefix: "cmpl-")
        let created = CompletionWire.unixTime()
        let run = self
        let requests = self.requests
        @Sendable func event(_ choices: [JSONValue], usage: ChatCompletionUsage? = nil) -> ByteBuffer {
            CompletionWire.event(run.body(id: id, created: created, choices: choices, usage: usage))
        }
        return Response(status: .ok, headers: CompletionWire.sseHeaders, body: ResponseBody { writer in
            do {
                try await request.body.consumeWithCancellationOnInboundClose { _ in
                    let permit = try await ticket.wait()
                    defer { permit.release() }
                    if run.echo {
                        for i in requests.indices { try await writer.write(event([run.choice(index: i, text: run.prompt(ofChoice: i))])) }
                    }
                    var stats = [GenerationStats?](repeating: nil, count: requests.count)
                    var first = true
                    do {
                        for try await (index, generated) in choiceEvents(model: run.served.model, requests: requests) {
                            switch generated {
                            case .text(let text, _):
                                if first {
                                    first = false
                                    run.metrics.timeToFirstToken.record(run.arrival.duration(to: .now))
                                }
                                if !text.isEmpty { try await writer.write(event([run.choice(index: index, text: text)])) }
                            case .toolCallDelta: break
                            case .finished(let s):
                                stats[index] = s
                                run.metrics.generation(s)
                                try await writer.write(event([run.choice(index: index, text: "", finishReason: .string(s.finishReason.openAIValue))]))
                            }
                        }
                    } catch let error where !(error is CancellationError) {
                        run.logger.warning("generation failed mid-stream: \(error)")
                        try await writer.write(CompletionWire.streamError(error))
                        return
                    }
                    let usage = run.usage(stats)
                    if run.parameters.includeUsage { try await writer.write(event([], usage: usage)) }
                    try await writer.write(CompletionWire.done)
                }
            } catch is CancellationError {
                run.metrics.disconnects.increment()
                throw CancellationError()
            }
            try await writer.finish(nil)
        })
    }

    /// One `choices` entry.
    private func choice(index: Int, text: String, finishReason: JSONValue = .null) -> JSONValue {
        ["text": .string(text), "index": .int(Int64(index)), "logprobs": .null, "finish_reason": finishReason]
    }

    /// A reply or chunk body (`object: text_completion`, as OpenAI sends both).
    private func body(id: String, created: Int, choices: [JSONValue], usage: ChatCompletionUsage?) -> JSONValue {
        var pairs: [(key: String, value: JSONValue)] = [
            ("id", .string(id)), ("object", "text_completion"), ("created", .int(Int64(created))),
            ("model", .string(served.id)), ("choices", .array(choices)),
        ]
        if let usage { pairs.append(("usage", usage.json)) }
        return .object(pairs)
    }

    /// Usage of all choices, noted for the access log: each prompt counted once, completions summed.
    private func usage(_ stats: [GenerationStats?]) -> ChatCompletionUsage {
        let prompt = stride(from: 0, to: stats.count, by: parameters.choices).reduce(0) { sum, first in
            sum + (stats[first..<(first + parameters.choices)].compactMap { $0 }.first?.promptTokens ?? 0)
        }
        let usage = ChatCompletionUsage(promptTokens: prompt, completionTokens: stats.reduce(0) { $0 + ($1?.generatedTokens ?? 0) })
        record?.tokens(prompt: usage.promptTokens, completion: usage.completionTokens)
        return usage
    }
}
