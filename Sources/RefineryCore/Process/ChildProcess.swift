#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A child process started with `posix_spawn` in a process group of its own, so that its
/// owner (the model store, the Python sandbox) can stop it — and anything it started — at once when a pull is cancelled.
///
/// `Foundation.Process` can neither set the process group nor reset signal dispositions that
/// the parent ignores (an ignored SIGINT survives `exec`), hence this small wrapper.
public struct ChildProcess: Sendable {
    /// How a child ended.
    public enum Termination: Sendable, Equatable, CustomStringConvertible {
        case exited(Int32)
        case signalled(Int32)

        public var description: String {
            switch self {
            case .exited(let code): return "exit status \(code)"
            case .signalled(let signal): return "signal \(signal)"
            }
        }
    }

    /// The child's process id, also its process group id.
    public let pid: pid_t

    /// Starts `executable` (looked up in `PATH` when it has no slash) with `arguments`.
    ///
    /// - Parameters:
    ///   - environment: the child's complete environment.
    ///   - standardOutput: the descriptor the child writes its output to.
    ///   - standardError: the descriptor the child writes its diagnostics to.
    ///   - closeInChild: descriptors to close in the child (the parent's end of a pipe).
    public static func spawn(
        executable: String,
        arguments: [String],
        environment: [String: String],
        standardOutput: Int32,
        standardError: Int32,
        closeInChild: [Int32] = []
    ) throws(SpawnError) -> ChildProcess {
        #if canImport(Darwin)
        var actions: posix_spawn_file_actions_t? = nil
        var attributes: posix_spawnattr_t? = nil
        #else
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        #endif
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, standardOutput, 1)
        posix_spawn_file_actions_adddup2(&actions, standardError, 2)
        for fd in closeInChild { posix_spawn_file_actions_addclose(&actions, fd) }
        #if os(Linux)
        // Descriptors the parent did not mark close-on-exec (a supervisor's pipes, for one) must
        // not leak into pip: a waiting parent would see them open until pip ends.
        if let closeFrom = Self.addCloseFrom { _ = closeFrom(&actions, 3) }
        #endif

        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGPIPE, SIGHUP] { sigaddset(&defaults, signal) }
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes,
            Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)
        )

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let status = posix_spawnp(&pid, executable, &actions, &attributes, argv, envp)
        guard status == 0 else {
            throw SpawnError(executable: executable, reason: String(cString: strerror(status)))
        }
        return ChildProcess(pid: pid)
    }

    /// Waits for the child to end, retrying when interrupted.
    public func wait() -> Termination {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            if errno != EINTR { return .exited(-1) }
        }
        return Self.decode(status)
    }

    /// The child's termination if it has ended, without blocking.
    public func poll() -> Termination? {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        if result == 0 { return nil }
        if result == -1 { return .exited(-1) }
        return Self.decode(status)
    }

    /// Sends `signal` to the child's whole process group.
    public func signalGroup(_ signal: Int32 = SIGTERM) {
        _ = kill(-pid, signal)
    }

    #if os(Linux)
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    /// glibc 2.34's `posix_spawn_file_actions_addclosefrom_np`, which Swift's Glibc module does
    /// not import, looked up at run time.
    private static let addCloseFrom: AddCloseFrom? = {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: AddCloseFrom.self)
    }()
    #endif

    private static func decode(_ status: Int32) -> Termination {
        let low = status & 0x7f
        return low == 0 ? .exited((status >> 8) & 0xff) : .signalled(low)
    }

    /// A child that could not be started.
    public struct SpawnError: Error, Sendable {
        public let executable: String
        public let reason: String
    }
}
