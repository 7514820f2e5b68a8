import RefineryCore
import Refinery

/// A loaded model the server answers for, with the names a request may use for it.
public struct ServedModel: Sendable {
    /// The name listed by `GET /v1/models` (a catalog name or a file name without extension).
    public var id: String
    /// Other names that select the model (the file name with extension, the path).
    public var aliases: [String]
    public var model: any LanguageModel

    public init(id: String, aliases: [String] = [], model: any LanguageModel) {
        self.id = id
        self.aliases = aliases
        self.model = model
    }

    /// A model served under its own ``LanguageModel/name``.
    public init(_ model: any LanguageModel) {
        self.init(id: model.name, model: model)
    }

    func answers(to name: String) -> Bool { id == name || aliases.contains(name) }
}
