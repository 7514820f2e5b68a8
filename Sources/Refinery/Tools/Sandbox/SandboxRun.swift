import RefineryCore
/// The outcome of one sandboxed run.
public struct SandboxRun: Sendable, Hashable {
    /// Why the run was stopped from outside, if it was.
    public enum Stop: String, Sendable, Hashable {
        /// The wall-clock limit passed; the process group was killed.
        case wallClock
        /// The CPU-time limit passed; the kernel stopped the child.
        case cpuLimit
        /// The caller cancelled; the process group was killed.
        case cancelled
    }

    /// The exit status, when the child exited.
    public var exitStatus: Int32?
    /// The signal that ended the child, when one did.
    public var signal: Int32?
    /// Why the run was cut short, if it was.
    public var stop: Stop?
    /// Standard output, at most ``SandboxLimits/outputBytes`` (invalid UTF-8 replaced).
    public var standardOutput: String
    /// Standard error, at most ``SandboxLimits/outputBytes``.
    public var standardError: String
    /// Whether output was cut at the cap.
    public var outputTruncated: Bool
    /// The isolation the run had.
    public var isolation: SandboxIsolation
    /// Wall-clock time taken.
    public var duration: Duration
}
