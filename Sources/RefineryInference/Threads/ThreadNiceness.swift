#if canImport(Glibc)
import RefineryCore
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Lowers the scheduling priority of the calling thread (Linux: its own niceness).
///
/// A server raises the niceness of the engine's threads so that its request, timer and network
/// threads run as soon as they are ready instead of waiting behind the forward pass, which still
/// takes every idle cycle: the difference shows as agent answers delivered on time while the
/// engine is saturated. Raising niceness needs no privilege; elsewhere than Linux it does nothing.
enum ThreadNiceness {
    /// Adds `delta` (clamped to 0...19) to the calling thread's niceness; ignores failures.
    static func lowerCurrentThread(by delta: Int) {
        guard delta > 0 else { return }
        #if os(Linux)
        // On Linux niceness is per thread, and PRIO_PROCESS with `who` 0 names the calling thread.
        let which = __priority_which_t(PRIO_PROCESS.rawValue)
        errno = 0
        let current = getpriority(which, 0)
        guard errno == 0 else { return }
        _ = setpriority(which, 0, min(19, current + Int32(min(delta, 19))))
        #endif
    }

    /// The calling thread's niceness (Linux), for tests.
    static var currentThread: Int? {
        #if os(Linux)
        errno = 0
        let value = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        return errno == 0 ? Int(value) : nil
        #else
        return nil
        #endif
    }
}
