import RefineryCore
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The folder of installed models, the only part of Refinery that ever fetches one.
///
/// Layout under ``root`` (`$REFINERY_HOME`, by default `~/.cache/refinery`):
///
/// ```
/// models/NAME.gguf             catalog models installed by pull
/// models/NAME.gguf.verified    the size, time and hash last verified
/// models/.pull-PID-XXXX/       a pull in progress (removed when it ends or is found stale)
/// registry.json                the user's own GGUF files added by `add`
/// ```
///
/// ```swift
/// let store = try ModelStore.fromEnvironment()
/// let path = try await store.pull("smollm2-135m-instruct")
/// ```
public struct ModelStore: Sendable {
    /// Where the store writes diagnostics (interrupted pulls cleaned up, progress).
    static let logger = Logger(label: "refinery.store")

    /// The store's root folder.
    public let root: String
    /// The models `pull` can install.
    public let catalog: ModelCatalog
    /// How packages are fetched.
    public var fetcher: PackageFetcher

    /// A store at `root` (created on first write; a relative path is taken from the current
    /// folder).
    public init(root: String, catalog: ModelCatalog = .builtin, fetcher: PackageFetcher = PackageFetcher()) {
        let absolute = Self.absolute(root)
        self.root = absolute.count > 1 && absolute.hasSuffix("/") ? String(absolute.dropLast()) : absolute
        self.catalog = catalog
        self.fetcher = fetcher
    }

    /// The store set up by the environment: `REFINERY_HOME` (default `~/.cache/refinery`), the
    /// catalog in the JSON file `REFINERY_CATALOG` if set, and the fetcher's variables
    /// (``PackageFetcher/fromEnvironment(_:)``).
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> ModelStore {
        var catalog = ModelCatalog.builtin
        if let file = environment["REFINERY_CATALOG"], !file.isEmpty {
            guard let bytes = StoreFiles.read(file) else {
                throw ModelStoreError(
                    code: .invalidCatalog, message: "cannot read the catalog file \(file)", value: file)
            }
            catalog = try ModelCatalog(json: bytes)
        }
        return ModelStore(root: defaultRoot(environment), catalog: catalog, fetcher: .fromEnvironment(environment))
    }

    /// `$REFINERY_HOME`, or `$HOME/.cache/refinery`.
    public static func defaultRoot(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        RefineryCore.home(environment)
    }

    /// The folder holding installed GGUF files.
    public var modelsFolder: String { "\(root)/models" }

    /// The JSON file listing the user's added models.
    public var registryPath: String { "\(root)/registry.json" }

    /// Where the catalog model `entry` is installed.
    public func installPath(for entry: ModelCatalogEntry) -> String { "\(modelsFolder)/\(entry.fileName)" }

    /// Every catalog entry, installed or not, then every added model.
    public func models() throws -> [StoredModel] {
        var result = catalog.entries.map { entry in
            let path = installPath(for: entry)
            let status = StoreFiles.status(path)
            return StoredModel(
                name: entry.name,
                source: .catalog(entry),
                path: path,
                isInstalled: status?.isRegularFile == true,
                sizeBytes: status?.size ?? entry.approximateBytes
            )
        }
        for added in try ModelRegistry.load(from: registryPath).models {
            let status = StoreFiles.status(added.path)
            result.append(
                StoredModel(
                    name: added.name,
                    source: .added,
                    path: added.path,
                    isInstalled: status?.isRegularFile == true,
                    sizeBytes: status?.size ?? 0
                )
            )
        }
        return result
    }

    /// The installed file of the model called `name`.
    ///
    /// Throws ``ModelStoreError/Code-swift.struct/notInstalled`` for a catalog model not yet
    /// pulled, ``ModelStoreError/Code-swift.struct/invalidModelFile`` for an added file that
    /// has gone, and ``ModelStoreError/Code-swift.struct/unknownModel`` otherwise.
    public func path(of name: String) throws -> String {
        if let entry = catalog.entry(named: name) {
            let path = installPath(for: entry)
            guard StoreFiles.status(path)?.isRegularFile == true else {
                throw ModelStoreError(
                    code: .notInstalled,
                    message: "model '\(name)' is not installed; run `refinery models pull \(name)`",
                    value: name
                )
            }
            return path
        }
        let registry = try ModelRegistry.load(from: registryPath)
        if let added = registry.entry(named: name) {
            guard StoreFiles.status(added.path)?.isRegularFile == true else {
                throw ModelStoreError(
                    code: .invalidModelFile,
                    message:
                        "model '\(name)' was added from \(added.path), which no longer exists; remove it with `refinery models rm \(name)`",
                    value: added.path
                )
            }
            return added.path
        }
        throw ModelStoreError.unknownModel(name, catalog: catalog, added: registry.models.map(\.name))
    }

    /// The GGUF file a command should load for `reference`: a path to an existing file (one
    /// with a slash or ending in `.gguf`), or the name of an installed or added model.
    public func locate(_ reference: String) throws -> String {
        if reference.contains("/") || reference.hasSuffix(".gguf") {
            if StoreFiles.status(reference)?.isRegularFile == true { return Self.absolute(reference) }
            if reference.contains("/") {
                throw ModelStoreError(
                    code: .invalidModelFile, message: "no model file at \(reference)", value: reference)
            }
        }
        return try path(of: reference)
    }

    /// Registers the user's own GGUF file at `file` under `name` (by default the file's name
    /// without `.gguf`). The file stays where it is; adding the same file again is a no-op.
    @discardableResult
    public func add(file: String, name: String? = nil) throws -> StoredModel {
        let path = Self.absolute(file)
        guard let status = StoreFiles.status(path), status.isRegularFile else {
            throw ModelStoreError(code: .invalidModelFile, message: "no file at \(path)", value: path)
        }
        guard Self.hasGGUFMagic(path) else {
            throw ModelStoreError(
                code: .invalidModelFile,
                message: "\(path) is not a GGUF file (it does not start with 'GGUF')",
                value: path
            )
        }
        var base = (path as NSString).lastPathComponent
        if base.hasSuffix(".gguf") { base.removeLast(5) }
        let chosen = name ?? base
        guard ModelCatalog.isValidName(chosen) else {
            throw ModelStoreError(
                code: .invalidName,
                message: "'\(chosen)' is not a valid model name (use letters, digits, '.', '_' and '-'; pass --name)",
                value: chosen
            )
        }
        if catalog.entry(named: chosen) != nil {
            throw ModelStoreError(
                code: .nameInUse,
                message: "'\(chosen)' is a catalog model; choose another name with --name",
                value: chosen
            )
        }
        var registry = try ModelRegistry.load(from: registryPath)
        if let existing = registry.entry(named: chosen) {
            guard existing.path == path else {
                throw ModelStoreError(
                    code: .nameInUse,
                    message: "'\(chosen)' already names \(existing.path); remove it first or choose another name",
                    value: chosen
                )
            }
        } else {
            try StoreFiles.makeDirectories(root, store: root)
            registry.models.append(.init(name: chosen, path: path))
            try registry.save(to: registryPath, store: root)
        }
        return StoredModel(name: chosen, source: .added, path: path, isInstalled: true, sizeBytes: status.size)
    }

    /// Deletes an installed catalog model, or forgets an added one (leaving the user's file).
    public func remove(_ name: String) throws {
        if let entry = catalog.entry(named: name) {
            let path = installPath(for: entry)
            guard StoreFiles.status(path) != nil else {
                throw ModelStoreError(code: .notInstalled, message: "model '\(name)' is not installed", value: name)
            }
            unlink(VerificationRecord.sidecar(for: path))
            guard unlink(path) == 0 else {
                throw ModelStoreError.storeNotWritable(root, "cannot delete \(path): \(StoreFiles.lastError())")
            }
            return
        }
        var registry = try ModelRegistry.load(from: registryPath)
        guard registry.entry(named: name) != nil else {
            throw ModelStoreError.unknownModel(name, catalog: catalog, added: registry.models.map(\.name))
        }
        registry.models.removeAll { $0.name == name }
        try registry.save(to: registryPath, store: root)
    }

    /// `path` made absolute against the current folder.
    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        let base = FileManager.default.currentDirectoryPath
        return (("\(base)/\(path)") as NSString).standardizingPath
    }

    /// Whether the file at `path` begins with the GGUF magic.
    static func hasGGUFMagic(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var magic: [UInt8] = [0, 0, 0, 0]
        let count = magic.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4) }
        return count == 4 && magic == Array("GGUF".utf8)
    }
}
