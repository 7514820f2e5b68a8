import RefineryCore
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

    /// What this process can do, decided once without starting anything: root with
    /// `CAP_SYS_ADMIN` in its effective set (needed for the namespaces and mounts), and
    /// `unshare`, `setpriv`, `mount` and `prlimit` installed. A kernel or seccomp policy that still
    /// refuses namespaces shows up as a failed run whose standard error names `unshare`.
    public static let available: SandboxIsolation = {
        guard geteuid() == 0, hasSysAdminCapability(),
              ["unshare", "setpriv", "mount", "prlimit"].allSatisfy({ SandboxTools.find($0) != nil })
        else { return .limitsOnly }
        return .full
    }()

    private static func hasSysAdminCapability() -> Bool {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
              let mask = UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        else { return false }
        return mask & (1 << 21) != 0  // CAP_SYS_ADMIN
    }
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
}
