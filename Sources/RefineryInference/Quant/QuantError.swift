import RefineryCore
/// Why a tensor's data cannot be read or multiplied: an unsupported format, or a length that is
/// not a whole number of blocks.
public struct QuantError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Kind: Sendable, Hashable {
        case unsupportedType
        case partialBlock
        case sizeMismatch
    }

    /// What went wrong.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let kind: Kind
        private init(_ kind: Kind) { self.kind = kind }

        /// The format has no kernels here (IQ*, TQ*, Q8_1, integer tensors...).
        public static let unsupportedType = Code(.unsupportedType)
        /// The element count is not a multiple of the format's block size.
        public static let partialBlock = Code(.partialBlock)
        /// A buffer does not hold the number of bytes or values the format needs.
        public static let sizeMismatch = Code(.sizeMismatch)

        public var description: String {
            switch kind {
            case .unsupportedType: "unsupportedType"
            case .partialBlock: "partialBlock"
            case .sizeMismatch: "sizeMismatch"
            }
        }
    }

    /// What went wrong.
    public let code: Code
    /// A sentence for people.
    public let message: String
    /// The tensor format involved.
    public let type: GGMLType
    /// The tensor the caller was reading (empty when the caller gave none).
    public let tensor: String
    /// The offending count (elements or bytes), where there is one.
    public let value: Int?

    public var description: String { "QuantError.\(code): \(message)" }

    static func unsupported(_ type: GGMLType, tensor: String) -> QuantError {
        QuantError(
            code: .unsupportedType,
            message: "tensor '\(tensor)' has type \(type), which Refinery cannot dequantize or multiply",
            type: type, tensor: tensor, value: nil)
    }

    static func partialBlock(_ type: GGMLType, tensor: String, count: Int) -> QuantError {
        QuantError(
            code: .partialBlock,
            message: "tensor '\(tensor)': \(count) values of \(type) is not a whole number of \(type.blockSize)-value blocks",
            type: type, tensor: tensor, value: count)
    }

    static func sizeMismatch(_ type: GGMLType, tensor: String, expected: Int, actual: Int) -> QuantError {
        QuantError(
            code: .sizeMismatch,
            message: "tensor '\(tensor)' of type \(type): expected \(expected), got \(actual)",
            type: type, tensor: tensor, value: actual)
    }
}
