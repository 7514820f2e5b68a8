import RefineryCore

/// A remote model request that failed: a code, a message, and what the server sent.
///
/// The API key never appears in any field: text from the server passes through a redactor
/// before it is stored (some providers echo a wrong key back in their error message).
public struct RemoteModelError: Error, Sendable, CustomStringConvertible {
    fileprivate enum Kind: String, Sendable, Hashable {
        case deadlineExceeded, connectionFailed, rateLimited, serverError, requestRejected, authenticationFailed
        case invalidResponse, truncatedStream, providerError, responseTooLarge, invalidToolCall
        case missingAPIKey, invalidConfiguration, unsupportedRequest
    }

    /// What went wrong.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate let kind: Kind
        /// The request's deadline (or the configured timeout) passed before a usable answer.
        public static let deadlineExceeded = Code(kind: .deadlineExceeded)
        /// The server could not be reached or the connection broke (retried while time allows).
        public static let connectionFailed = Code(kind: .connectionFailed)
        /// HTTP 429 (retried, honouring `Retry-After`, while time allows).
        public static let rateLimited = Code(kind: .rateLimited)
        /// HTTP 5xx (retried while time allows).
        public static let serverError = Code(kind: .serverError)
        /// Another HTTP 4xx: the request itself is wrong; never retried.
        public static let requestRejected = Code(kind: .requestRejected)
        /// HTTP 401 or 403.
        public static let authenticationFailed = Code(kind: .authenticationFailed)
        /// The reply is not the JSON (or event stream) the API defines: malformed JSON, an HTML page, missing fields.
        public static let invalidResponse = Code(kind: .invalidResponse)
        /// The event stream ended before its end marker (`data: [DONE]` or a finish reason).
        public static let truncatedStream = Code(kind: .truncatedStream)
        /// The server reported an error inside a successful reply (for example mid-stream).
        public static let providerError = Code(kind: .providerError)
        /// The reply is larger than the configured limit.
        public static let responseTooLarge = Code(kind: .responseTooLarge)
        /// A tool call's arguments are not a JSON object.
        public static let invalidToolCall = Code(kind: .invalidToolCall)
        /// The configuration names an API key variable that is not set.
        public static let missingAPIKey = Code(kind: .missingAPIKey)
        /// The configuration cannot be used (an unknown preset, a malformed URL).
        public static let invalidConfiguration = Code(kind: .invalidConfiguration)
        /// The request asks for something the chat completions API cannot express.
        public static let unsupportedRequest = Code(kind: .unsupportedRequest)

        public var description: String { kind.rawValue }
    }

    public var code: Code
    public var message: String
    /// The HTTP status, when the server answered.
    public var httpStatus: Int?
    /// The start of what the server sent (at most ``excerptLimit`` bytes), for diagnosis.
    public var excerpt: String?
    /// The provider's own error `type` and `code`, when it sent OpenAI's error JSON.
    public var providerType: String?
    public var providerCode: String?
    /// The request field the provider blamed (`param`).
    public var param: String?
    /// The wait the server asked for (`Retry-After`).
    public var retryAfter: Duration?
    /// How many attempts were made.
    public var attempts: Int

    /// The longest excerpt kept.
    public static let excerptLimit = 512

    public init(
        _ code: Code, _ message: String, httpStatus: Int? = nil, excerpt: String? = nil, providerType: String? = nil,
        providerCode: String? = nil, param: String? = nil, retryAfter: Duration? = nil, attempts: Int = 1
    ) {
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
        self.excerpt = excerpt
        self.providerType = providerType
        self.providerCode = providerCode
        self.param = param
        self.retryAfter = retryAfter
        self.attempts = attempts
    }

    /// Whether another attempt may succeed (connection errors, 429 and 5xx).
    public var isRetryable: Bool { code == .connectionFailed || code == .rateLimited || code == .serverError }

    public var description: String {
        var s = "remote model error (\(code))"
        if let httpStatus { s += " HTTP \(httpStatus)" }
        s += ": \(message)"
        if let providerCode { s += " [\(providerCode)]" }
        if attempts > 1 { s += " after \(attempts) attempts" }
        if let excerpt, !excerpt.isEmpty { s += " — \(excerpt)" }
        return s
    }

    /// At most ``excerptLimit`` bytes of `bytes` as text (cut at a character boundary), with
    /// `secret` replaced.
    static func excerpt(of bytes: some Collection<UInt8>, redacting secret: APIKey?) -> String {
        // Redact before cutting, so that no prefix of the key survives at the cut.
        let window = excerptLimit + 4 + (secret?.value.utf8.count ?? 0)
        var text = redact(String(decoding: bytes.prefix(window), as: UTF8.self), secret)
        var cut = bytes.count > window
        while text.utf8.count > excerptLimit {
            text.removeLast()
            cut = true
        }
        return cut ? text + "…" : text
    }

    static func redact(_ text: String, _ secret: APIKey?) -> String {
        guard let secret, secret.value.count >= 4 else { return text }
        return text.replacing(secret.value, with: "[REDACTED]")
    }
}
