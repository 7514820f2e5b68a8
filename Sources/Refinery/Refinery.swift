@_exported import RefineryCore
import Logging

/// The namespace of the agent framework: language models, messages, tools, agents, steps and
/// the latency budget.
public enum Refinery {
    /// The framework's version, printed by `refinery --version`.
    public static let version = RefineryCore.version
    /// The logger the framework writes diagnostics through.
    public static let logger = Logger(label: "refinery")
}
