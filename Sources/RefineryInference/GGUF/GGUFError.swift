import RefineryCore
/// A GGUF file that cannot be read: malformed, truncated, hostile or unsupported.
///
/// Every error names what was being read (`field`) and where (`offset`, in bytes from the start
/// of the file), so a bad file can be diagnosed without a hex editor.
public struct GGUFError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: String, Sendable, Hashable {
        case io, badMagic, unsupportedVersion, truncated, tooLarge, invalidValue, invalidUTF8
        case duplicateKey, duplicateTensor, badTensor, missingMetadata
    }

    private let code: Code
    /// A human-readable explanation.
    public let message: String
    /// The metadata key, tensor name or structural field being read.
    public let field: String?
    /// Byte offset in the file where the problem was found, when it is about a position.
    public let offset: Int?

    private init(_ code: Code, _ message: String, field: String?, offset: Int?) {
        self.code = code
        self.message = message
        self.field = field
        self.offset = offset
    }

    /// The file could not be opened or mapped.
    public static func io(_ message: String, path: String) -> GGUFError { .init(.io, message, field: path, offset: nil) }
    /// The first four bytes are not `GGUF`.
    public static func badMagic(found: UInt32) -> GGUFError {
        .init(.badMagic, "not a GGUF file (magic 0x\(String(found, radix: 16)))", field: "magic", offset: 0)
    }
    /// A version other than 2 or 3.
    public static func unsupportedVersion(_ version: UInt32) -> GGUFError {
        .init(.unsupportedVersion, "unsupported GGUF version \(version) (2 and 3 are supported)", field: "version", offset: 4)
    }
    /// A read past the end of the file.
    public static func truncated(field: String, offset: Int, needed: Int) -> GGUFError {
        .init(.truncated, "file ends before \(field) (\(needed) more bytes needed)", field: field, offset: offset)
    }
    /// A count, length or size beyond what the file could hold.
    public static func tooLarge(field: String, offset: Int, value: UInt64) -> GGUFError {
        .init(.tooLarge, "\(field) of \(value) exceeds what the file can hold", field: field, offset: offset)
    }
    /// A value outside its allowed range (a type tag, a dimension, an alignment).
    public static func invalidValue(field: String, offset: Int?, _ message: String) -> GGUFError {
        .init(.invalidValue, message, field: field, offset: offset)
    }
    /// A string that is not valid UTF-8.
    public static func invalidUTF8(field: String, offset: Int) -> GGUFError {
        .init(.invalidUTF8, "\(field) is not valid UTF-8", field: field, offset: offset)
    }
    /// The same metadata key twice.
    public static func duplicateKey(_ key: String, offset: Int) -> GGUFError {
        .init(.duplicateKey, "metadata key '\(key)' appears twice", field: key, offset: offset)
    }
    /// The same tensor name twice.
    public static func duplicateTensor(_ name: String, offset: Int) -> GGUFError {
        .init(.duplicateTensor, "tensor '\(name)' appears twice", field: name, offset: offset)
    }
    /// A tensor whose shape, type or data range is unusable.
    public static func badTensor(_ name: String, offset: Int?, _ message: String) -> GGUFError {
        .init(.badTensor, "tensor '\(name)': \(message)", field: name, offset: offset)
    }
    /// A metadata key a model needs is absent or of the wrong type.
    public static func missingMetadata(_ key: String, expected: String) -> GGUFError {
        .init(.missingMetadata, "metadata '\(key)' is missing or not \(expected)", field: key, offset: nil)
    }

    public var description: String {
        var text = "GGUF error: \(message)"
        if let offset { text += " (at byte \(offset))" }
        return text
    }

    public static func == (lhs: GGUFError, rhs: GGUFError) -> Bool {
        lhs.code == rhs.code && lhs.field == rhs.field && lhs.offset == rhs.offset
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(field)
        hasher.combine(offset)
    }

    /// Whether this error is of the same kind as `other` (ignoring field, offset and message).
    public func isKind(of other: GGUFError) -> Bool { code == other.code }
}
