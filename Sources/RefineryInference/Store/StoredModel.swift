import RefineryCore
/// A model as the store sees it: a catalog entry, installed or not, or a file the user added.
public struct StoredModel: Sendable, Hashable {
    /// Where a model comes from.
    public enum Source: Sendable, Hashable {
        /// An entry of the catalog, installed by `pull`.
        case catalog(ModelCatalogEntry)
        /// A file the user registered with `add`; the store does not own it.
        case added
    }

    /// The name commands take.
    public var name: String
    /// Where it comes from.
    public var source: Source
    /// The GGUF file's path (where it is or will be installed).
    public var path: String
    /// Whether the file is there.
    public var isInstalled: Bool
    /// The file's size when installed, else the catalog's approximate size.
    public var sizeBytes: Int64

    /// Creates a description of a stored model.
    public init(name: String, source: Source, path: String, isInstalled: Bool, sizeBytes: Int64) {
        self.name = name
        self.source = source
        self.path = path
        self.isInstalled = isInstalled
        self.sizeBytes = sizeBytes
    }

    /// The catalog entry, for catalog models.
    public var catalogEntry: ModelCatalogEntry? {
        if case .catalog(let entry) = source { return entry }
        return nil
    }
}
