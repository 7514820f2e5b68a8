import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
#if canImport(SwiftOverlayShims)
import SwiftOverlayShims  // timespec's members, under MemberImportVisibility
#endif

/// When this process started, on `ContinuousClock`: the instant a command's deadline counts
/// from, so that process start-up (loading the executable, parsing arguments) counts too.
///
/// ```swift
/// let due = Deadline(ProcessStart.instant().advanced(by: .seconds(5)))  // 5 s from launch
/// ```
public enum ProcessStart {
    /// The process's start (to the kernel's 10 ms tick), or now when it cannot be read.
    public static func instant() -> ContinuousClock.Instant {
        let now = ContinuousClock.now
        #if os(Linux)
        // Field 22 of /proc/self/stat: start time in clock ticks since boot; ContinuousClock
        // counts CLOCK_BOOTTIME, the same origin.
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return now }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        let ticksPerSecond = sysconf(Int32(_SC_CLK_TCK))
        guard fields.count > 19, let ticks = Double(fields[19]), ticksPerSecond > 0 else { return now }
        var boot = timespec()
        guard clock_gettime(CLOCK_BOOTTIME, &boot) == 0 else { return now }
        let sinceBoot = Double(boot.tv_sec) + Double(boot.tv_nsec) / 1e9
        let age = sinceBoot - ticks / Double(ticksPerSecond)
        guard age >= 0, age < 5 else { return now }
        return now.advanced(by: .milliseconds(-Int64(age * 1000)))
        #else
        return now
        #endif
    }
}
