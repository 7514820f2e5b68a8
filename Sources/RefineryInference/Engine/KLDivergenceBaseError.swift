/// A KL-divergence base file that cannot be used: unreadable, malformed, truncated, or written for
/// a different vocabulary or context than the model and options it is compared with.
public struct KLDivergenceBaseError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: String, Sendable, Hashable {
        case io, badHeader, truncated, trailingData, vocabularyMismatch, contextMismatch, invalidToken
    }

    private let code: Code
    /// What went wrong.
    public let message: String
    /// The offending value: a path, a header field, a size, a token id.
    public let value: String
    /// Byte offset in the file where the problem was found, when it is about a position.
    public let offset: Int?

    private init(_ code: Code, _ message: String, value: String, offset: Int? = nil) {
        self.code = code
        self.message = message
        self.value = value
        self.offset = offset
    }

    public var description: String { message }

    /// The file could not be opened or read.
    public static func io(_ detail: String, path: String) -> KLDivergenceBaseError {
        .init(.io, "cannot read the KL-divergence base \(path): \(detail)", value: path)
    }
    /// The first line is not the JSON header (`model`, `ctx`, `chunks`, `first`, `n_vocab`,
    /// `tokens`), or its fields contradict each other.
    public static func badHeader(_ detail: String, field: String) -> KLDivergenceBaseError {
        .init(.badHeader, "the KL-divergence base's header is invalid: \(detail)", value: field, offset: 0)
    }
    /// The file ends before the log-probabilities its header announces.
    public static func truncated(expectedBytes: Int, actualBytes: Int) -> KLDivergenceBaseError {
        .init(.truncated, "the KL-divergence base is truncated: its header announces \(expectedBytes) bytes, the file has \(actualBytes)",
              value: "\(actualBytes)", offset: actualBytes)
    }
    /// The file holds more bytes than its header announces.
    public static func trailingData(expectedBytes: Int, actualBytes: Int) -> KLDivergenceBaseError {
        .init(.trailingData, "the KL-divergence base has \(actualBytes - expectedBytes) bytes past the \(expectedBytes) its header announces",
              value: "\(actualBytes)", offset: expectedBytes)
    }
    /// The base's rows have `base` entries; the model's vocabulary has `model`.
    public static func vocabularyMismatch(base: Int, model: Int) -> KLDivergenceBaseError {
        .init(.vocabularyMismatch, "the KL-divergence base has \(base) log-probabilities a position, the model's vocabulary \(model)",
              value: "\(base)")
    }
    /// The base was written with a context of `base` tokens; the comparison asks for `requested`.
    public static func contextMismatch(base: Int, requested: Int) -> KLDivergenceBaseError {
        .init(.contextMismatch, "the KL-divergence base was written with a context of \(base) tokens, not \(requested)",
              value: "\(base)")
    }
    /// A token id of the header lies outside the model's vocabulary.
    public static func invalidToken(_ id: Int, vocabulary: Int) -> KLDivergenceBaseError {
        .init(.invalidToken, "the KL-divergence base holds token id \(id), outside the vocabulary of \(vocabulary)", value: "\(id)")
    }
}
