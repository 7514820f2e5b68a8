import RefineryCore
import Hummingbird
import Logging
import NIOCore
import Prometheus

/// Runs around every route: checks the API key (all routes but `/health`), answers every error
/// in OpenAI's JSON, counts requests and latencies once the body has been written, and logs
/// one access line per request at `info` (method, path, model, status, tokens, milliseconds).
struct ServerMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: BearerToken?
    let metrics: ServerMetrics
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let route = Self.route(request.uri.path)
        let record = AccessRecord()
        let logger = self.logger
        @Sendable func logAccess(_ status: Int) {
            logger.info("\(record.line(method: request.method.rawValue, path: request.uri.path, status: status, elapsed: start.duration(to: .now)))")
        }
        var response: Response
        do {
            if let token, request.uri.path != "/health", !token.accepts(request.headers[.authorization]) {
                throw APIError(.unauthorized, "a valid API key is required: send Authorization: Bearer <key>")
            }
            response = try await AccessRecord.$current.withValue(record) { try await next(request, context) }
        } catch let error as APIError {
            response = try error.response(from: request, context: context)
        } catch let error as HTTPError {
            let api: APIError
            switch error.status {
            case .notFound: api = APIError(.notFound, "no route \(request.method) \(request.uri.path)")
            case .methodNotAllowed: api = APIError(.methodNotAllowed, "\(request.method) is not allowed on \(request.uri.path)")
            case .contentTooLarge: api = APIError(.bodyTooLarge, error.body ?? "the body is too large")
            default:
                metrics.request(route: route, status: Int(error.status.code))
                logAccess(Int(error.status.code))
                throw error
            }
            response = try api.response(from: request, context: context)
        } catch is CancellationError {
            metrics.request(route: route, status: 499)
            logAccess(499)
            throw CancellationError()
        } catch {
            logger.error("request failed: \(error)")
            response = try APIError(.internalError, "internal error").response(from: request, context: context)
        }
        if route == "chat_completions" || route == "completions" {
            // Completions watch the connection's inbound stream for a hang-up, which leaves the
            // connection unusable for a next request: tell clients not to reuse it.
            response.headers[.connection] = "close"
        }
        let status = Int(response.status.code)
        let kind = route == "chat_completions" || route == "completions" ? (response.headers[AgentCompletion.agentHeader] != nil ? "agent" : "model") : "other"
        let metrics = self.metrics
        let body = response.body
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            do {
                try await body.write(writer)
            } catch {
                metrics.request(route: route, status: 499)
                logAccess(499)
                throw error
            }
            metrics.request(route: route, status: status)
            logAccess(status)
            metrics.requestLatency(route: route, kind: kind).record(start.duration(to: .now))
        }
        return response
    }

    /// A bounded label for a path.
    static func route(_ path: String) -> String {
        switch path {
        case "/v1/chat/completions": "chat_completions"
        case "/v1/completions": "completions"
        case "/v1/models": "models"
        case "/health": "health"
        case "/metrics": "metrics"
        default: path.hasPrefix("/v1/models/") ? "model" : "other"
        }
    }
}
