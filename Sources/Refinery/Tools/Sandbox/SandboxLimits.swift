import RefineryCore
/// The resources a sandboxed child may use.
public struct SandboxLimits: Sendable, Hashable {
    /// CPU time (RLIMIT_CPU), whole seconds; the kernel kills the child past it.
    public var cpuSeconds: Int
    /// Address space (RLIMIT_AS), bytes; allocations past it fail (`MemoryError` in Python).
    public var memoryBytes: Int
    /// Largest file the child may write (RLIMIT_FSIZE), bytes.
    public var fileSizeBytes: Int
    /// Processes the sandbox user may have at once (RLIMIT_NPROC).
    public var processes: Int
    /// Wall-clock time before the whole process group is killed.
    public var wallClock: Duration
    /// Bytes kept from each of standard output and standard error; the rest is discarded.
    public var outputBytes: Int

    public init(
        cpuSeconds: Int = 5, memoryBytes: Int = 512 << 20, fileSizeBytes: Int = 8 << 20, processes: Int = 32,
        wallClock: Duration = .seconds(10), outputBytes: Int = 16 << 10
    ) {
        self.cpuSeconds = max(1, cpuSeconds)
        self.memoryBytes = memoryBytes
        self.fileSizeBytes = fileSizeBytes
        self.processes = max(1, processes)
        self.wallClock = wallClock
        self.outputBytes = max(0, outputBytes)
    }
}
