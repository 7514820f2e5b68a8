import RefineryCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Prometheus
import Refinery
import RefineryOpenAI

/// `POST /v1/chat/completions` for models and agents.
///
/// The body is read (capped), parsed and checked before any work starts, so every mistake is
/// a 4xx in OpenAI's error JSON naming the field. The request then reserves a generation slot
/// (429 when the queue is full) and generates while watching its connection: Hummingbird does
/// not cancel a handler whose client went away, so the generation runs inside
/// `consumeWithCancellationOnInboundClose`, which cancels it as soon as the inbound stream closes.
struct ChatCompletionsRoute: Sendable {
    let configuration: ServerConfiguration
    let models: [ServedModel]
    let agents: [String: any AgentEndpoint]
    let admission: AdmissionControl
    let metrics: ServerMetrics
    let logger: Logger

    func handle(_ incoming: Request, context: some RequestContext) async throws -> Response {
        let arrival = ContinuousClock.now
        var request = incoming
        let wire = try await readBody(&request)
        let deadlineHeader = request.headers[HTTPField.Name(RefineryServer.deadlineHeader)!]
        let parameters = try CompletionParameters(wire, deadlineHeader: deadlineHeader, arrival: arrival, configuration: configuration)

        if wire.model.hasPrefix(RefineryServer.agentPrefix) {
            let name = String(wire.model.dropFirst(RefineryServer.agentPrefix.count))
            guard let agent = agents[name] else {
                throw APIError(.modelNotFound, "no agent named \"\(name)\" is served; GET /v1/models lists them", param: "model")
            }
            guard parameters.choices == 1 else { throw APIError(.invalidRequest, "agents answer with one choice", param: "n") }
            if wire.tools?.isEmpty == false { throw APIError(.unsupported, "agents bring their own tools", param: "tools") }
            let ticket = try reserve()
            let run = AgentCompletion(agent: agent, modelName: wire.model, parameters: parameters, arrival: arrival,
                                      configuration: configuration, metrics: metrics)
            return parameters.stream
                ? run.streamingResponse(request: request, ticket: ticket)
                : try await run.response(request: request, ticket: ticket)
        }

        guard let served = models.first(where: { $0.answers(to: wire.model) }) else {
            let names = models.map(\.id).joined(separator: ", ")
            throw APIError(.modelNotFound, "no model named \"\(wire.model)\" is loaded (loaded: \(names))", param: "model")
        }
        if parameters.generation.constraint != nil && !served.model.capabilities.constrainedDecoding {
            throw APIError(.unsupported, "model \(served.id) cannot constrain its output to JSON", param: "response_format")
        }
        if let max = parameters.generation.maxTokens, max > served.model.capabilities.contextLength {
            throw APIError(.invalidRequest, "exceeds the context length (\(served.model.capabilities.contextLength))",
                           param: wire.maxCompletionTokens != nil ? "max_completion_tokens" : "max_tokens")
        }
        let ticket = try reserve()
        let run = ModelCompletion(served: served, parameters: parameters, arrival: arrival, metrics: metrics, logger: logger)
        return parameters.stream
            ? run.streamingResponse(request: request, ticket: ticket)
            : try await run.response(request: request, ticket: ticket)
    }

    /// The body as a chat completion request: 413 past the cap, 400 for bad JSON or fields.
    private func readBody(_ request: inout Request) async throws -> ChatCompletionRequest {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > configuration.maxBodyBytes {
            throw APIError(.bodyTooLarge, "the body is \(length) bytes; the limit is \(configuration.maxBodyBytes)")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: configuration.maxBodyBytes)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw APIError(.bodyTooLarge, "the body is larger than the limit of \(configuration.maxBodyBytes) bytes")
        }
        let json: JSONValue
        do {
            json = try JSONValue(parsing: Array(buffer.readableBytesView))
        } catch {
            throw APIError(.invalidJSON, "the body is not valid JSON: \(error.message) at byte \(error.offset)")
        }
        do {
            return try ChatCompletionRequest(json: json)
        } catch {
            throw APIError(.invalidRequest, error.message, param: error.field.isEmpty ? nil : error.field)
        }
    }

    private func reserve() throws(APIError) -> AdmissionTicket {
        do {
            return try admission.reserve()
        } catch {
            metrics.rejected.increment()
            throw APIError(.overloaded, "the server is busy (\(admission.maxActive) generating, \(admission.maxQueued) queued); retry later",
                           retryAfter: configuration.retryAfterSeconds)
        }
    }
}

/// Pieces shared by model and agent completions.
enum CompletionWire {
    static func newID() -> String {
        let hex = String(UInt64.random(in: .min ... .max), radix: 16)
        return "chatcmpl-" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    static func unixTime() -> Int { Int(Date().timeIntervalSince1970) }

    static let sseHeaders: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]

    static func event(_ json: JSONValue) -> ByteBuffer { ByteBuffer(string: ServerSentEvent(data: json.serialized()).encoded) }

    static let done = ByteBuffer(string: ServerSentEvent(data: "[DONE]").encoded)

    static func json(_ value: JSONValue, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: value.serialized() + "\n")))
    }

    /// An error in the middle of a stream, as OpenAI sends one.
    static func streamError(_ error: any Error) -> ByteBuffer {
        let body = (error as? APIError)?.body ?? OpenAIErrorBody(message: "generation failed: \(error)", type: "server_error", code: "server_error")
        return event(body.json)
    }
}

extension JSONValue {
    /// An object with one more member.
    func adding(_ key: String, _ value: JSONValue) -> JSONValue {
        guard case .object(var pairs) = self else { return self }
        pairs.append((key: key, value: value))
        return .object(pairs)
    }
}
