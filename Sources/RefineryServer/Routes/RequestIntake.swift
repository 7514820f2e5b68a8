import RefineryCore
import HTTPTypes
import Hummingbird
import NIOCore
import Prometheus
import Refinery

/// What the completion routes share before any work starts: the body read (capped) and parsed,
/// the model looked up and checked against the request, a slot reserved.
struct RequestIntake: Sendable {
    let configuration: ServerConfiguration
    let models: [ServedModel]
    let admission: AdmissionControl
    let metrics: ServerMetrics

    /// The body as JSON: 413 past the cap, 400 when it does not parse.
    func json(_ request: inout Request) async throws -> JSONValue {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > configuration.maxBodyBytes {
            throw APIError(.bodyTooLarge, "the body is \(length) bytes; the limit is \(configuration.maxBodyBytes)")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: configuration.maxBodyBytes)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw APIError(.bodyTooLarge, "the body is larger than the limit of \(configuration.maxBodyBytes) bytes")
        }
        do {
            return try JSONValue(parsing: Array(buffer.readableBytesView))
        } catch {
            throw APIError(.invalidJSON, "the body is not valid JSON: \(error.message) at byte \(error.offset)")
        }
    }

    /// The loaded model called `name`, once it is known to support what `parameters` ask
    /// (`maxTokensField` names the field a too-large token cap came from).
    func model(named name: String, for parameters: CompletionParameters, maxTokensField: String) throws(APIError) -> ServedModel {
        guard let served = models.first(where: { $0.answers(to: name) }) else {
            let names = models.map(\.id).joined(separator: ", ")
            throw APIError(.modelNotFound, "no model named \"\(name)\" is loaded (loaded: \(names))", param: "model")
        }
        if parameters.generation.constraint != nil && !served.model.capabilities.constrainedDecoding {
            throw APIError(.unsupported, "model \(served.id) cannot constrain its output to JSON", param: "response_format")
        }
        if let max = parameters.generation.maxTokens, max > served.model.capabilities.contextLength {
            throw APIError(.invalidRequest, "exceeds the context length (\(served.model.capabilities.contextLength))", param: maxTokensField)
        }
        return served
    }

    /// A generation slot, or 429 when the queue is full.
    func reserve() throws(APIError) -> AdmissionTicket {
        do {
            return try admission.reserve()
        } catch {
            metrics.rejected.increment()
            throw APIError(.overloaded, "the server is busy (\(admission.maxActive) generating, \(admission.maxQueued) queued); retry later",
                           retryAfter: configuration.retryAfterSeconds)
        }
    }
}
