import RefineryCore
import Foundation

/// Where and how an engine keeps the keys and values of long prompt prefixes on disk, so that
/// the next process with the same prefix (an agent's system prompt, tool definitions and
/// few-shot examples) loads them instead of computing them again.
///
/// A prompt whose first full KV blocks match a saved file (same model file, same engine format,
/// same token ids) starts with those blocks read back; after a prompt with at least
/// ``minimumTokens`` positions that no saved file covers is prefilled, its full blocks are
/// written in the background (to a temporary file renamed into place). At most ``maxFiles``
/// files and ``maxBytes`` bytes are kept per model, least recently used first out.
///
/// ``LocalModel`` turns this on by default (``fromEnvironment(_:)``); set
/// `REFINERY_PREFIX_CACHE=off` or pass nil to turn it off. An ``InferenceEngine`` on its own
/// keeps nothing on disk unless its options say so.
public struct SavedPrefixOptions: Sendable, Hashable {
    /// The folder holding one subfolder per model (by its identity).
    public var folder: String
    /// Fewest newly computed positions worth a file (shorter prompts prefill fast anyway).
    public var minimumTokens: Int
    /// Most files kept per model.
    public var maxFiles: Int
    /// Most bytes kept per model.
    public var maxBytes: Int

    /// Prefixes under `folder`.
    public init(folder: String, minimumTokens: Int = 256, maxFiles: Int = 8, maxBytes: Int = 1 << 30) {
        self.folder = folder
        self.minimumTokens = max(1, minimumTokens)
        self.maxFiles = max(1, maxFiles)
        self.maxBytes = max(0, maxBytes)
    }

    /// The variable that turns saved prefixes off (`off`, `0`, `false` or `no`).
    public static let environmentVariable = "REFINERY_PREFIX_CACHE"

    /// Prefixes under `$REFINERY_HOME/prefixes` (beside the models), or nil when
    /// `REFINERY_PREFIX_CACHE` turns them off.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> SavedPrefixOptions? {
        if let setting = environment[environmentVariable]?.lowercased(), ["off", "0", "false", "no"].contains(setting) {
            return nil
        }
        return SavedPrefixOptions(folder: RefineryCore.home(environment) + "/prefixes")
    }
}
