import RefineryCore
import Foundation

/// The user's own GGUF files added to the store by `refinery models add`, kept in
/// `registry.json` at the store's root and rewritten atomically on each change.
struct ModelRegistry: Sendable, Hashable, Codable {
    /// One added file.
    struct Entry: Sendable, Hashable, Codable {
        var name: String
        var path: String
    }

    var models: [Entry] = []

    /// Reads the registry at `path`; a missing file is an empty registry.
    static func load(from path: String) throws(ModelStoreError) -> ModelRegistry {
        guard let bytes = StoreFiles.read(path) else { return ModelRegistry() }
        do {
            return try JSONDecoder().decode(ModelRegistry.self, from: Data(bytes))
        } catch {
            throw ModelStoreError(
                code: .invalidRegistry,
                message: "cannot read the registry of added models at \(path): \(error)",
                value: path
            )
        }
    }

    /// Writes the registry to `path` atomically.
    func save(to path: String, store: String) throws(ModelStoreError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data: Data
        do {
            data = try encoder.encode(self)
        } catch {
            throw ModelStoreError(code: .invalidRegistry, message: "cannot encode the registry: \(error)", value: path)
        }
        try StoreFiles.writeAtomically(Array(data) + [UInt8(ascii: "\n")], to: path, store: store)
    }

    /// The entry called `name`, if any.
    func entry(named name: String) -> Entry? { models.first { $0.name == name } }
}
