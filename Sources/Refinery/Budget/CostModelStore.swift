import Foundation

/// Keeps each model's ``CostModel`` as JSON under `$REFINERY_HOME/costs/<model>.json`.
///
/// Writes are atomic (a temporary file in the same folder renamed over the old one), so a
/// reader sees the old figures or the new, never a torn file.
public struct CostModelStore: Sendable {
    /// The folder holding one JSON file per model.
    public let folder: String

    /// A store in `folder`.
    public init(folder: String) { self.folder = folder }

    /// The store under the model store's root (`$REFINERY_HOME`, default `~/.cache/refinery`).
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> CostModelStore {
        CostModelStore(folder: ModelStore.defaultRoot(environment) + "/costs")
    }

    /// The file for `model` (characters other than letters, digits, `.`, `-` and `_` become `_`).
    public func path(for model: String) -> String {
        let safe = String(
            model.unicodeScalars.map { scalar -> Character in
                let c = Character(scalar)
                return (scalar.isASCII && (c.isLetter || c.isNumber || c == "." || c == "-" || c == "_")) ? c : "_"
            })
        let name = safe.isEmpty || safe.allSatisfy({ $0 == "." }) ? "_" : safe
        return "\(folder)/\(name).json"
    }

    /// The stored figures for `model`, or nil when none are stored or the file is unreadable.
    public func load(_ model: String) -> CostModel? {
        guard let bytes = StoreFiles.read(path(for: model)) else { return nil }
        return try? JSONDecoder().decode(CostModel.self, from: Data(bytes))
    }

    /// Stores `cost` under its model's name.
    public func save(_ cost: CostModel) throws(ModelStoreError) {
        try StoreFiles.makeDirectories(folder, store: folder)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data: Data
        do { data = try encoder.encode(cost) } catch {
            throw .storeNotWritable(folder, "cannot encode the costs of \(cost.model): \(error)")
        }
        try StoreFiles.writeAtomically(Array(data), to: path(for: cost.model), store: folder)
    }
}
