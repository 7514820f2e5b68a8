import RefineryCore
import Foundation
import Synchronization

/// Runs Python code in a child process with resource limits, in a temporary work folder that
/// is removed afterwards, without network where the machine allows it (see ``SandboxIsolation``).
///
/// `Foundation.Process` cannot set resource limits, so the child is started with `posix_spawn`
/// in a process group of its own, through util-linux: `unshare` (new network and mount
/// namespaces) → `sh` (private `/tmp` holding only the work folder) → `prlimit` (CPU, address
/// space, file size, processes) → `setpriv` (uid/gid `nobody`) → `python3 -I -B main.py`.
/// The wall-clock limit and cancellation kill the whole process group.
public struct PythonSandbox: Sendable {
    /// The resources each run may use.
    public var limits: SandboxLimits
    /// The Python interpreter (it must be readable by the `nobody` user under full isolation).
    public var interpreter: String
    /// The isolation runs get.
    public let isolation: SandboxIsolation

    public init(limits: SandboxLimits = SandboxLimits(), interpreter: String? = nil, isolation: SandboxIsolation = .available) {
        self.limits = limits
        self.interpreter = interpreter ?? Self.defaultInterpreter
        self.isolation = isolation
    }

    /// `/usr/bin/python3` when present (outside any user's home, so `nobody` can run it), else
    /// `python3` from `PATH`.
    public static var defaultInterpreter: String {
        for path in ["/usr/bin/python3", "/usr/local/bin/python3"] where access(path, X_OK) == 0 { return path }
        return "python3"
    }

    /// Runs `code` as `main.py` in a fresh work folder, with `files` written next to it first.
    public func run(_ code: String, files: [String: String] = [:]) async throws -> SandboxRun {
        let outer = try Self.makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: outer) }
        let work = outer + "/work"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: false)
        try Data(code.utf8).write(to: URL(fileURLWithPath: work + "/main.py"))
        for (name, text) in files {
            guard !name.contains("/"), !name.hasPrefix(".") else { throw SandboxError.badFileName(name) }
            try Data(text.utf8).write(to: URL(fileURLWithPath: work + "/" + name))
        }
        if isolation == .full {
            // The work folder belongs to `nobody`; the folder above stays root's (0700).
            for path in [work] + ([work + "/main.py"] + files.keys.map { work + "/" + $0 }) { chown(path, 65534, 65534) }
            chmod(work, 0o700)
        }
        let (executable, arguments) = command(work: work)
        let environment = [
            "PATH": "/usr/bin:/bin", "HOME": isolation == .full ? "/tmp/work" : work, "TMPDIR": isolation == .full ? "/tmp/work" : work,
            "LANG": "C.UTF-8", "PYTHONIOENCODING": "utf-8", "PYTHONDONTWRITEBYTECODE": "1",
        ]
        let limits = self.limits
        let isolation = self.isolation
        let cancelled = CancelFlag()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<SandboxRun, any Error>) in
                // A thread of its own: the supervision loop blocks in poll(2), which must not
                // occupy one of the cooperative pool's few threads.
                let thread = Thread {
                    do {
                        continuation.resume(returning: try Self.supervise(
                            executable: executable, arguments: arguments, environment: environment, limits: limits,
                            isolation: isolation, cancelled: cancelled))
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
                thread.start()
            }
        } onCancel: {
            cancelled.set()
        }
    }

    /// The command line for a run in `work`.
    func command(work: String) -> (String, [String]) {
        let l = limits
        let prlimit = [
            "prlimit", "--cpu=\(l.cpuSeconds)", "--as=\(l.memoryBytes)", "--fsize=\(l.fileSizeBytes)", "--nproc=\(l.processes)",
            "--core=0", "--",
        ]
        switch isolation {
        case .full:
            let script = """
                cd "$1" || exit 125
                mount -t tmpfs -o size=1m,mode=755 tmpfs /tmp && mkdir /tmp/work && mount --no-canonicalize --bind . /tmp/work \
                && cd /tmp/work && mount -t tmpfs -o ro,size=4k tmpfs /dev/shm && mount -t tmpfs -o ro,size=4k tmpfs /var/tmp || exit 125
                shift
                exec "$@"
                """
            return (
                SandboxTools.find("unshare") ?? "unshare",
                ["--net", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script, "sandbox", work]
                    + prlimit + ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", interpreter, "-I", "-B", "main.py"]
            )
        case .limitsOnly:
            return ("/bin/sh", ["-c", "cd \"$1\" || exit 125; shift; exec \"$@\"", "sandbox", work] + prlimit + [interpreter, "-I", "-B", "main.py"])
        }
    }

    private static func makeTemporaryFolder() throws -> String {
        var template = Array((NSTemporaryDirectory() + "/refinery-sandbox-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw SandboxError.setup("cannot create a temporary folder: \(String(cString: strerror(errno)))")
        }
        return String(cString: made)
    }

    /// Starts the child and watches it until it ends and its output is drained.
    private static func supervise(
        executable: String, arguments: [String], environment: [String: String], limits: SandboxLimits,
        isolation: SandboxIsolation, cancelled: CancelFlag
    ) throws -> SandboxRun {
        let start = ContinuousClock.now
        var outPipe: [Int32] = [0, 0]
        var errPipe: [Int32] = [0, 0]
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else { throw SandboxError.setup("pipe: \(String(cString: strerror(errno)))") }
        for fd in [outPipe[0], errPipe[0]] { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(
                executable: executable, arguments: arguments, environment: environment,
                standardOutput: outPipe[1], standardError: errPipe[1], closeInChild: [outPipe[0], errPipe[0]])
        } catch {
            for fd in outPipe + errPipe { close(fd) }
            throw SandboxError.setup("cannot start \(executable): \(error.reason)")
        }
        close(outPipe[1])
        close(errPipe[1])
        defer { close(outPipe[0]); close(errPipe[0]) }

        var out = CappedBuffer(cap: limits.outputBytes)
        var err = CappedBuffer(cap: limits.outputBytes)
        var open = [outPipe[0], errPipe[0]]
        var termination: ChildProcess.Termination?
        var stop: SandboxRun.Stop?
        var killedAt: ContinuousClock.Instant?
        let deadline = start.advanced(by: limits.wallClock)
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        while true {
            if termination == nil { termination = child.poll() }
            if termination != nil && open.isEmpty { break }
            let now = ContinuousClock.now
            if stop == nil && termination == nil {
                if cancelled.isSet { stop = .cancelled } else if now >= deadline { stop = .wallClock }
                if stop != nil { child.signalGroup(SIGKILL); killedAt = now }
            }
            // A descendant that left the group may hold the pipes open: stop reading soon after the kill.
            if let killedAt, termination != nil, killedAt.duration(to: now) > .seconds(1) { break }
            if termination != nil, killedAt == nil, open.count > 0 {
                // The child ended but something still holds its output open: give it a moment.
                child.signalGroup(SIGKILL)
                killedAt = now
            }
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            #if canImport(Glibc)
            let ready = fds.withUnsafeMutableBufferPointer { Glibc.poll($0.baseAddress, nfds_t($0.count), 20) }
            #else
            let ready = fds.withUnsafeMutableBufferPointer { Darwin.poll($0.baseAddress, nfds_t($0.count), 20) }
            #endif
            if ready <= 0 { continue }
            for p in fds where p.revents != 0 {
                let n = chunk.withUnsafeMutableBytes { read(p.fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    if p.fd == outPipe[0] { out.append(chunk[0..<n]) } else { err.append(chunk[0..<n]) }
                } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                    open.removeAll { $0 == p.fd }
                }
            }
        }
        if termination == nil { child.signalGroup(SIGKILL); termination = child.wait() }
        var run = SandboxRun(
            exitStatus: nil, signal: nil, stop: stop, standardOutput: out.text, standardError: err.text,
            outputTruncated: out.truncated || err.truncated, isolation: isolation, duration: start.duration(to: .now))
        switch termination! {
        case .exited(let code): run.exitStatus = code
        case .signalled(let signal):
            run.signal = signal
            if stop == nil && (signal == SIGXCPU || signal == SIGKILL) { run.stop = .cpuLimit }
        }
        return run
    }
}

/// Bytes kept up to a cap; the rest counted and dropped.
private struct CappedBuffer {
    let cap: Int
    var bytes: [UInt8] = []
    var truncated = false

    init(cap: Int) { self.cap = cap }

    mutating func append(_ data: ArraySlice<UInt8>) {
        let room = cap - bytes.count
        if data.count > room { truncated = true }
        if room > 0 { bytes.append(contentsOf: data.prefix(room)) }
    }

    var text: String {
        var s = String(decoding: bytes, as: UTF8.self)
        if truncated { s += "\n[… output truncated at \(cap) bytes]" }
        return s
    }
}

/// Set once when the caller cancels.
private final class CancelFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    func set() { flag.store(true, ordering: .releasing) }
    var isSet: Bool { flag.load(ordering: .acquiring) }
}

/// A sandboxed run that could not be set up.
public struct SandboxError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    static func setup(_ detail: String) -> SandboxError { SandboxError(message: "sandbox setup failed: \(detail)") }
    static func badFileName(_ name: String) -> SandboxError { SandboxError(message: "bad file name '\(name)': plain names only") }
    public var description: String { message }
}
