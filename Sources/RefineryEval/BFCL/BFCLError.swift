import RefineryCore
import Refinery
import RefineryInference
/// An error from the Berkeley function-calling benchmark harness: the data could not be found,
/// fetched or read, or a category is not one the harness runs.
///
/// Compare ``code`` against the static members (`error.code == .malformedData`); the message is
/// written for a person and may change.
public struct BFCLError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case unknownCategory
            case dataUnavailable
            case malformedData
            case unsupportedModel
            case unsupportedCategory
        }

        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The category is not one the package's data files hold (see ``BFCLDataSource/categories()``).
        public static let unknownCategory = Code(.unknownCategory)
        /// The `bfcl-eval` package could not be found, downloaded or opened, or lacks a data file.
        public static let dataUnavailable = Code(.dataUnavailable)
        /// A data file is not JSON lines of the shape BFCL writes (the value says which file and line).
        public static let malformedData = Code(.malformedData)
        /// The model cannot run the evaluation as asked (constrained decoding it does not offer).
        public static let unsupportedModel = Code(.unsupportedModel)
        /// The package holds the category, but its values are checked by rules this port lacks
        /// (Java and JavaScript).
        public static let unsupportedCategory = Code(.unsupportedCategory)

        public var description: String { "\(wrapped)" }
    }

    /// What kind of failure this is.
    public let code: Code
    /// What went wrong, for a person.
    public let message: String
    /// The offending value: a category name, a path, `FILE:LINE`.
    public let value: String?

    /// Creates an error.
    public init(code: Code, message: String, value: String? = nil) {
        self.code = code
        self.message = message
        self.value = value
    }

    public var description: String { message }

    /// A data file's line that does not have the expected shape.
    static func malformed(_ file: String, line: Int, _ detail: String) -> BFCLError {
        BFCLError(code: .malformedData, message: "\(file) line \(line): \(detail)", value: "\(file):\(line)")
    }
}
