import RefineryCore
import HTTPTypes
import Hummingbird
import NIOCore
import Prometheus
import Refinery
import RefineryOpenAI

/// One chat completion answered by an agent (`model: "agent:<name>"`) within the request's
/// deadline.
///
/// The reply is an ordinary chat completion whose message is the agent's answer, with its
/// hidden work (plans and steps) as `reasoning_content`, `usage` summed over every step, plus a
/// `refinery` member: `outcome`, `stop_reason`, `partial`, `deadline_ms`, `elapsed_ms`
/// (from arrival) and, when `refinery.trace` was true, `trace`. The outcome is also sent as the
/// `X-Refinery-Outcome` header (non-streaming); `X-Refinery-Agent` names the agent. Streaming
/// replies send each plan and step as a `reasoning_content` delta as it happens, then the
/// answer once chosen as `content`, the `refinery` member on the chunk that finishes the choice,
/// and, with `stream_options.include_usage`, a usage chunk.
struct AgentCompletion: Sendable {
    let agent: any AgentEndpoint
    let modelName: String
    let parameters: CompletionParameters
    let arrival: ContinuousClock.Instant
    let configuration: ServerConfiguration
    let metrics: ServerMetrics
    /// Where the access log line learns the tokens used.
    let record = AccessRecord.current

    static let outcomeHeader = HTTPField.Name("X-Refinery-Outcome")!
    /// Names the agent that answered (set on streaming and whole replies alike).
    static let agentHeader = HTTPField.Name("X-Refinery-Agent")!

    private var deadline: Deadline { parameters.deadline ?? Deadline(arrival.advanced(by: configuration.defaultAgentDeadline)) }

    /// Runs the agent, handing each piece of its hidden work to `onReasoning` as it happens;
    /// returns the reply and the time from the request's arrival to it.
    private func invoke(onReasoning: (String) async throws -> Void) async throws -> (AgentReply, Duration) {
        guard case .messages(let messages) = parameters.generation.prompt else { preconditionFailure("chat requests carry messages") }
        let deadline = self.deadline
        // The agent answers a little early, leaving the delivery reserve for the way back.
        let due = Deadline(max(arrival, deadline.instant.advanced(by: .zero - configuration.agentDeliveryReserve)))
        let invocation = AgentInvocation(messages: messages, deadline: due, startedAt: arrival, includeTrace: parameters.includeTrace)
        var finished: AgentReply?
        for try await update in agent.stream(invocation) {
            switch update {
            case .reasoning(let text): try await onReasoning(text)
            case .finished(let reply): finished = reply
            }
        }
        try Task.checkCancellation()
        guard let reply = finished else { throw APIError(.internalError, "agent \(agent.name) ended without a reply") }
        let ready = ContinuousClock.now
        let overshoot = deadline.instant.duration(to: ready)
        metrics.agentOvershoot.record(max(.zero, overshoot))
        metrics.completionTokens.increment(by: Int64(reply.generatedTokens))
        metrics.promptTokens.increment(by: Int64(reply.promptTokens))
        record?.tokens(prompt: reply.promptTokens, completion: reply.generatedTokens)
        return (reply, arrival.duration(to: ready))
    }

    private func extensionJSON(_ reply: AgentReply, elapsed: Duration) -> JSONValue {
        var pairs: [(key: String, value: JSONValue)] = [
            ("outcome", .string(reply.outcome)),
            ("stop_reason", reply.stopReason.map(JSONValue.string) ?? .null),
            ("partial", .bool(reply.partial)),
            ("deadline_ms", .int(Int64(milliseconds(arrival.duration(to: deadline.instant))))),
            ("elapsed_ms", .int(Int64(milliseconds(elapsed)))),
        ]
        if parameters.includeTrace { pairs.append(("trace", reply.trace ?? .null)) }
        return .object(pairs)
    }

    private func usage(_ reply: AgentReply) -> ChatCompletionUsage {
        ChatCompletionUsage(promptTokens: reply.promptTokens, completionTokens: reply.generatedTokens)
    }

    func response(request: Request, ticket: AdmissionTicket) async throws -> Response {
        let (reply, elapsed, reasoning): (AgentReply, Duration, String)
        do {
            (reply, elapsed, reasoning) = try await request.body.consumeWithCancellationOnInboundClose { _ in
                let permit = try await ticket.wait()
                defer { permit.release() }
                var reasoning = ""
                let (reply, elapsed) = try await invoke { reasoning += $0 }
                return (reply, elapsed, reasoning)
            }
        } catch is CancellationError {
            metrics.disconnects.increment()
            throw CancellationError()
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(.internalError, "agent \(agent.name) failed: \(error)")
        }
        let body = ChatCompletionResponse(
            id: CompletionWire.newID(), created: CompletionWire.unixTime(), model: modelName,
            choices: [.init(index: 0, message: ChatCompletionMessage(role: "assistant", content: reply.answer,
                                                                     reasoningContent: reasoning.isEmpty ? nil : reasoning),
                            finishReason: reply.partial ? "length" : "stop")],
            usage: usage(reply))
        return CompletionWire.json(body.json.adding("refinery", extensionJSON(reply, elapsed: elapsed)),
                                   headers: [Self.outcomeHeader: reply.outcome, Self.agentHeader: agent.name])
    }

    func streamingResponse(request: Request, ticket: AdmissionTicket) -> Response {
        let id = CompletionWire.newID()
        let created = CompletionWire.unixTime()
        let run = self
        @Sendable func chunk(_ choices: [ChatCompletionChunk.Choice], usage: ChatCompletionUsage? = nil) -> JSONValue {
            ChatCompletionChunk(id: id, created: created, model: run.modelName, choices: choices, usage: usage).json
        }
        var headers = CompletionWire.sseHeaders
        headers[Self.agentHeader] = agent.name
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            do {
                try await request.body.consumeWithCancellationOnInboundClose { _ in
                    let permit = try await ticket.wait()
                    defer { permit.release() }
                    try await writer.write(CompletionWire.event(chunk([.init(index: 0, delta: .init(role: "assistant", content: ""))])))
                    let reply: AgentReply
                    let elapsed: Duration
                    do {
                        (reply, elapsed) = try await run.invoke { text in
                            try await writer.write(CompletionWire.event(chunk([.init(index: 0, delta: .init(reasoningContent: text))])))
                        }
                    } catch let error where !(error is CancellationError) {
                        try await writer.write(CompletionWire.streamError(error))
                        return
                    }
                    try await writer.write(CompletionWire.event(chunk([.init(index: 0, delta: .init(content: reply.answer))])))
                    let last = chunk([.init(index: 0, delta: .init(), finishReason: reply.partial ? "length" : "stop")])
                    try await writer.write(CompletionWire.event(last.adding("refinery", run.extensionJSON(reply, elapsed: elapsed))))
                    if run.parameters.includeUsage {
                        // As OpenAI sends it: a last chunk with no choices and the whole request's usage.
                        try await writer.write(CompletionWire.event(chunk([], usage: run.usage(reply))))
                    }
                    try await writer.write(CompletionWire.done)
                }
            } catch is CancellationError {
                run.metrics.disconnects.increment()
                throw CancellationError()
            }
            try await writer.finish(nil)
        })
    }
}

/// Whole milliseconds of a duration (rounded down).
func milliseconds(_ d: Duration) -> Int {
    let (seconds, attoseconds) = d.components
    return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
}
