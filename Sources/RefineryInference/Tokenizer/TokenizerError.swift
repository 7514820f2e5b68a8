import RefineryCore
/// Why a tokenizer could not be built from its vocabulary description.
///
/// Thrown by ``Tokenizer/init(data:)`` and ``TokenizerData/init(gguf:)`` when the metadata is
/// missing, inconsistent or names a tokenizer Refinery does not implement.
public struct TokenizerError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Code: String, Sendable, Equatable {
        case missingMetadata
        case invalidMetadata
        case inconsistentMetadata
        case unsupportedModel
        case unsupportedPreTokenizer
        case duplicateToken
        case missingSpecialToken
    }

    private let code: Code
    /// What went wrong, in words.
    public let message: String
    /// The offending value: a metadata key, a model or pre-tokenizer name, or a token.
    public let value: String

    private init(_ code: Code, _ message: String, value: String) {
        self.code = code
        self.message = message
        self.value = value
    }

    public var description: String { "\(message) (\(value))" }

    /// A required metadata key is absent.
    public static func missingMetadata(_ key: String) -> TokenizerError {
        TokenizerError(.missingMetadata, "required tokenizer metadata is missing", value: key)
    }

    /// A metadata key holds a value of the wrong type or out of range.
    public static func invalidMetadata(_ key: String, _ detail: String) -> TokenizerError {
        TokenizerError(.invalidMetadata, "tokenizer metadata has the wrong type or value: \(detail)", value: key)
    }

    /// Two metadata arrays disagree (for example fewer scores than tokens).
    public static func inconsistentMetadata(_ key: String, _ detail: String) -> TokenizerError {
        TokenizerError(.inconsistentMetadata, "tokenizer metadata is inconsistent: \(detail)", value: key)
    }

    /// `tokenizer.ggml.model` names a tokenizer that is not implemented.
    public static func unsupportedModel(_ name: String) -> TokenizerError {
        TokenizerError(.unsupportedModel, "unsupported tokenizer model", value: name)
    }

    /// `tokenizer.ggml.pre` names a pre-tokenizer that is not implemented.
    public static func unsupportedPreTokenizer(_ name: String) -> TokenizerError {
        TokenizerError(.unsupportedPreTokenizer, "unsupported pre-tokenizer", value: name)
    }

    /// The same token text appears twice in the vocabulary.
    public static func duplicateToken(_ text: String, first: Int, second: Int) -> TokenizerError {
        TokenizerError(.duplicateToken, "duplicate token in vocabulary with ids \(first) and \(second)", value: text)
    }

    /// The metadata asks to add a special token (BOS/EOS) whose id is not set.
    public static func missingSpecialToken(_ key: String) -> TokenizerError {
        TokenizerError(.missingSpecialToken, "a special token is required by the metadata but its id is not set", value: key)
    }

    /// Errors are equal when code and offending value are; the message is not compared.
    public static func == (a: TokenizerError, b: TokenizerError) -> Bool {
        a.code == b.code && a.value == b.value
    }
}
