import Foundation

/// The vocabulary every Refinery layer shares: ``LanguageModel`` and its requests and events,
/// messages, ``JSONValue`` and JSON schemas, the ``Tool`` protocol, tool calls and their one
/// ``ToolCallAssembler``, ``Deadline`` and clocks, cost figures (``CostBook``), and the shared
/// errors.
///
/// It depends on no other Refinery module and on no C target: the engine
/// (`RefineryInference`), the remote backend (`RefineryOpenAI`) and the orchestration
/// (`Refinery`) all build on it, beside each other.
public enum RefineryCore {
    /// The framework's version, printed by `refinery --version` and sent as the remote backend's user agent.
    public static let version = "0.1.0"

    /// Refinery's folder for models and cost figures: `$REFINERY_HOME`, or `$HOME/.cache/refinery`.
    public static func home(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let home = environment["REFINERY_HOME"], !home.isEmpty { return home }
        let userHome = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return "\(userHome)/.cache/refinery"
    }
}
