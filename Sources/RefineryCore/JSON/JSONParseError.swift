/// A JSON text that could not be parsed: what was wrong and the byte offset where it was found.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    fileprivate enum Kind: String, Sendable, Hashable {
        case unexpectedEnd, unexpectedCharacter, invalidNumber, invalidEscape, invalidUnicode
        case controlCharacter, invalidUTF8, duplicateKey, tooDeep, trailingCharacters
    }

    /// What kind of mistake the text makes.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate let kind: Kind
        /// The text ends inside a value.
        public static let unexpectedEnd = Code(kind: .unexpectedEnd)
        /// A byte that cannot start or continue a value here.
        public static let unexpectedCharacter = Code(kind: .unexpectedCharacter)
        /// A number outside RFC 8259's grammar (leading zeros, a bare `.`, `+1`, `1.`, …).
        public static let invalidNumber = Code(kind: .invalidNumber)
        /// A backslash escape that JSON does not define.
        public static let invalidEscape = Code(kind: .invalidEscape)
        /// A `\u` escape naming a lone surrogate.
        public static let invalidUnicode = Code(kind: .invalidUnicode)
        /// An unescaped control character (below U+0020) inside a string.
        public static let controlCharacter = Code(kind: .controlCharacter)
        /// Bytes that are not well-formed UTF-8.
        public static let invalidUTF8 = Code(kind: .invalidUTF8)
        /// An object names the same key twice.
        public static let duplicateKey = Code(kind: .duplicateKey)
        /// Arrays and objects nest deeper than the parser's limit.
        public static let tooDeep = Code(kind: .tooDeep)
        /// Something other than whitespace follows the value.
        public static let trailingCharacters = Code(kind: .trailingCharacters)

        public var description: String { kind.rawValue }
    }

    /// What kind of mistake this is.
    public let code: Code
    /// A sentence for people.
    public let message: String
    /// The byte offset in the input where the mistake was found.
    public let offset: Int

    public init(code: Code, message: String, offset: Int) {
        self.code = code
        self.message = message
        self.offset = offset
    }

    public var description: String { "invalid JSON at byte \(offset): \(message) (\(code))" }
}
