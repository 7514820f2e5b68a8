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

    var intake: RequestIntake {
        RequestIntake(configuration: configuration, models: models, admission: admission, metrics: metrics)
    }

    func handle(_ incoming: Request, context: some RequestContext) async throws -> Response {
        let arrival = ContinuousClock.now
        var request = incoming
        let intake = self.intake
        let wire: ChatCompletionRequest
        do {
            wire = try ChatCompletionRequest(json: try await intake.json(&request))
        } catch let error as WireDecodingError {
            throw APIError(.invalidRequest, error.message, param: error.field.isEmpty ? nil : error.field)
        }
        AccessRecord.current?.model(wire.model)
        let deadlineHeader = request.headers[HTTPField.Name(RefineryServer.deadlineHeader)!]
        let parameters = try CompletionParameters(wire, deadlineHeader: deadlineHeader, arrival: arrival, configuration: configuration)

        if wire.model.hasPrefix(RefineryServer.agentPrefix) {
            let name = String(wire.model.dropFirst(RefineryServer.agentPrefix.count))
            guard let agent = agents[name] else {
                throw APIError(.modelNotFound, "no agent named \"\(name)\" is served; GET /v1/models lists them", param: "model")
            }
            guard parameters.choices == 1 else { throw APIError(.invalidRequest, "agents answer with one choice", param: "n") }
            if wire.tools?.isEmpty == false { throw APIError(.unsupported, "agents bring their own tools", param: "tools") }
            let ticket = try intake.reserve()
            let run = AgentCompletion(agent: agent, modelName: wire.model, parameters: parameters, arrival: arrival,
                                      configuration: configuration, metrics: metrics)
            return parameters.stream
                ? run.streamingResponse(request: request, ticket: ticket)
                : try await run.response(request: request, ticket: ticket)
        }

        let served = try intake.model(named: wire.model, for: parameters,
                                      maxTokensField: wire.maxCompletionTokens != nil ? "max_completion_tokens" : "max_tokens")
        let ticket = try intake.reserve()
        let run = ModelCompletion(served: served, parameters: parameters, arrival: arrival, metrics: metrics, logger: logger)
        return parameters.stream
            ? run.streamingResponse(request: request, ticket: ticket)
            : try await run.response(request: request, ticket: ticket)
    }
}

/// Pieces shared by model and agent completions.
enum CompletionWire {
    /// A reply id: `prefix` and 16 random hex digits (`chatcmpl-…`; `cmpl-…` for text completions).
    static func newID(prefix: String = "chatcmpl-") -> String {
        let hex = String(UInt64.random(in: .min ... .max), radix: 16)
        return prefix + String(repeating: "0", count: 16 - hex.count) + hex
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
