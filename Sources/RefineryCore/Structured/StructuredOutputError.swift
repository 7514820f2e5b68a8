
/// Why structured output (a JSON document under a schema, a typed value) could not be had.
///
/// Every case carries the model's text as it was received, so nothing is lost: a caller can log
/// it, show it, or retry with more tokens or time.
public struct StructuredOutputError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: String, Sendable, Hashable {
        case incompleteOutput, nonConforming, undecodable
    }

    private let code: Code
    /// A human-readable explanation.
    public let message: String
    /// The generated text: partial for ``incompleteOutput(_:reason:)``, whole otherwise.
    public let text: String
    /// Why generation ended, when it ended before the document was complete.
    public let finishReason: FinishReason?
    /// What is wrong with the document (schema violations, a parse error, a decoding error).
    public let problems: [String]

    private init(_ code: Code, _ message: String, text: String, finishReason: FinishReason? = nil, problems: [String] = []) {
        self.code = code
        self.message = message
        self.text = text
        self.finishReason = finishReason
        self.problems = problems
    }

    /// Generation stopped (token limit, deadline, cancellation) before the document was
    /// complete; `partial` is what had been generated.
    public static func incompleteOutput(_ partial: String, reason: FinishReason?) -> StructuredOutputError {
        .init(.incompleteOutput, "the output stopped before the JSON document was complete (\(reason?.rawValue ?? "stream ended"))"
              + " after \(partial.utf8.count) bytes", text: partial, finishReason: reason)
    }

    /// A complete reply that is not JSON or breaks the schema (a remote model that ignored the
    /// requested format, for instance); `raw` is the reply.
    public static func nonConforming(_ raw: String, problems: [String]) -> StructuredOutputError {
        .init(.nonConforming, "the reply does not conform to the schema: \(problems.prefix(3).joined(separator: "; "))",
              text: raw, problems: problems)
    }

    /// A document valid under the schema that the Swift type nevertheless does not decode (a
    /// schema that does not describe the type's `Decodable` shape).
    public static func undecodable(_ raw: String, typeName: String, _ detail: String) -> StructuredOutputError {
        .init(.undecodable, "the document does not decode as \(typeName): \(detail)", text: raw, problems: [detail])
    }

    /// Whether `other` has the same code (ignoring message and text).
    public func isKind(of other: StructuredOutputError) -> Bool { code == other.code }

    /// Whether generation stopped before the document was complete.
    public var isIncomplete: Bool { code == .incompleteOutput }

    public var description: String { message }
}
