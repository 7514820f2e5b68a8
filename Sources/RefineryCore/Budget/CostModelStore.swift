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
        CostModelStore(folder: RefineryCore.home(environment) + "/costs")
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
        guard let data = FileManager.default.contents(atPath: path(for: model)) else { return nil }
        return try? JSONDecoder().decode(CostModel.self, from: data)
    }

    /// Stores `cost` under its model's name.
    public func save(_ cost: CostModel) throws(CostStoreError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            // `.atomic` writes a temporary file beside the target and renames it over.
            try encoder.encode(cost).write(to: URL(fileURLWithPath: path(for: cost.model)), options: .atomic)
        } catch {
            throw CostStoreError(folder: folder, model: cost.model, reason: "\(error)")
        }
    }
}

/// The cost figures of a model could not be saved.
public struct CostStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The store's folder.
    public let folder: String
    /// The model whose figures were being saved.
    public let model: String
    /// What went wrong.
    public let reason: String

    public var description: String { "cannot save the cost figures of \(model) in \(folder): \(reason)" }
}
