import Foundation

/// How strongly this machine can isolate a sandboxed child.
///
/// - ``full``: running as root with util-linux's `unshare` and `setpriv`. The child gets a new
///   network namespace (no interfaces but a down loopback: every connection fails) and a new mount
///   namespace in which `/tmp` is a fresh read-only-for-others tmpfs holding only its work folder,
///   `/var/tmp` and `/dev/shm` are read-only, and it runs as `nobody` (uid 65534), so it can write
///   nowhere but its work folder. `RLIMIT_NPROC` counts the `nobody` user's processes.
/// - ``limitsOnly``: no root or no `unshare`: the child runs as the current user with the resource
///   limits and its own work folder as the current directory, but network and file-system writes
///   are not restricted beyond the user's own permissions. Callers that need isolation check
///   ``PythonSandbox/isolation`` and refuse to run in this mode.
public enum SandboxIsolation: String, Sendable, Hashable {
    case full
    case limitsOnly

    /// What this process can do, probed once.
    public static let available: SandboxIsolation = {
        guard geteuid() == 0, let unshare = SandboxTools.find("unshare"), SandboxTools.find("setpriv") != nil,
              let mount = SandboxTools.find("mount"), !mount.isEmpty
        else { return .limitsOnly }
        // Creating the namespaces can still be refused (inside some containers).
        let probe = try? SandboxTools.runQuietly(unshare, ["--net", "--mount", "--propagation", "private", "--", "true"])
        return probe == 0 ? .full : .limitsOnly
    }()
}

/// Locating and running the helper programs of the sandbox.
enum SandboxTools {
    static func find(_ name: String) -> String? {
        for dir in ["/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin"] {
            let path = dir + "/" + name
            if access(path, X_OK) == 0 { return path }
        }
        return nil
    }

    /// Runs a helper to completion with no output; returns its exit status.
    static func runQuietly(_ executable: String, _ arguments: [String]) throws -> Int32 {
        let devNull = open("/dev/null", O_WRONLY | O_CLOEXEC)
        defer { close(devNull) }
        let child = try ChildProcess.spawn(
            executable: executable, arguments: arguments, environment: ["PATH": "/usr/bin:/bin:/usr/sbin:/sbin"],
            standardOutput: devNull, standardError: devNull)
        switch child.wait() {
        case .exited(let code): return code
        case .signalled: return -1
        }
    }
}
