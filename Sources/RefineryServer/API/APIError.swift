import RefineryCore
import Hummingbird
import NIOCore
import Refinery
import RefineryOpenAI

/// A failed request, answered with OpenAI's error JSON
/// (`{"error": {"message", "type", "param", "code"}}`) and an HTTP status.
public struct APIError: Error, Sendable, Hashable, CustomStringConvertible, HTTPResponseError {
    fileprivate enum Kind: String, Sendable, Hashable {
        case invalidJSON = "invalid_json"
        case invalidRequest = "invalid_request"
        case modelNotFound = "model_not_found"
        case unauthorized = "invalid_api_key"
        case bodyTooLarge = "request_too_large"
        case overloaded = "rate_limit_exceeded"
        case unsupported = "unsupported_parameter"
        case notFound = "not_found"
        case methodNotAllowed = "method_not_allowed"
        case internalError = "server_error"
    }

    /// What went wrong; also OpenAI's `code`.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate let kind: Kind
        /// The body is not valid JSON (400).
        public static let invalidJSON = Code(kind: .invalidJSON)
        /// A field is missing, of the wrong type or out of range (400).
        public static let invalidRequest = Code(kind: .invalidRequest)
        /// No loaded model or agent has the requested name (404).
        public static let modelNotFound = Code(kind: .modelNotFound)
        /// The API key is missing or wrong (401).
        public static let unauthorized = Code(kind: .unauthorized)
        /// The body is larger than the server accepts (413).
        public static let bodyTooLarge = Code(kind: .bodyTooLarge)
        /// The request queue is full (429, with `Retry-After`).
        public static let overloaded = Code(kind: .overloaded)
        /// The model cannot do what a field asks (400).
        public static let unsupported = Code(kind: .unsupported)
        /// No such route (404).
        public static let notFound = Code(kind: .notFound)
        /// The route exists, the method does not (405).
        public static let methodNotAllowed = Code(kind: .methodNotAllowed)
        /// The generation failed inside the server (500).
        public static let internalError = Code(kind: .internalError)

        public var description: String { kind.rawValue }
    }

    public let code: Code
    public let message: String
    /// The request field at fault (`messages[1].role`), when there is one.
    public let param: String?
    /// Seconds a client should wait before retrying (sent as `Retry-After`).
    public let retryAfter: Int?

    public init(_ code: Code, _ message: String, param: String? = nil, retryAfter: Int? = nil) {
        self.code = code
        self.message = message
        self.param = param
        self.retryAfter = retryAfter
    }

    public var description: String { param.map { "\($0): \(message)" } ?? message }

    /// The HTTP status the error is answered with.
    public var status: HTTPResponse.Status {
        switch code.kind {
        case .invalidJSON, .invalidRequest, .unsupported: .badRequest
        case .modelNotFound, .notFound: .notFound
        case .unauthorized: .unauthorized
        case .bodyTooLarge: .contentTooLarge
        case .overloaded: .tooManyRequests
        case .methodNotAllowed: .methodNotAllowed
        case .internalError: .internalServerError
        }
    }

    /// OpenAI's error `type` for the status.
    public var type: String {
        switch code.kind {
        case .unauthorized: "authentication_error"
        case .overloaded: "rate_limit_error"
        case .internalError: "server_error"
        case .modelNotFound, .notFound: "not_found_error"
        default: "invalid_request_error"
        }
    }

    /// The error body.
    public var body: OpenAIErrorBody {
        OpenAIErrorBody(message: message, type: type, param: param, code: code.description)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        if code == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body.json.serialized() + "\n")))
    }
}
