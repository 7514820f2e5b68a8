import RefineryCore
import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns SIGINT and SIGTERM into cancelling a task instead of killing the process, so a pull
/// can remove its temporary files before exiting.
///
/// Install the trap before starting the task: a signal that arrives before ``cancelOnInterrupt(_:)``
/// is remembered and cancels the task as soon as it is handed over.
struct InterruptTrap {
    private final class State: Sendable {
        private struct Value {
            var interrupted = false
            var cancel: (@Sendable () -> Void)?
        }

        private let value = Mutex(Value())

        func interrupt() {
            let cancel = value.withLock { value -> (@Sendable () -> Void)? in
                value.interrupted = true
                return value.cancel
            }
            cancel?()
        }

        func register(_ cancel: @escaping @Sendable () -> Void) {
            let interrupted = value.withLock { value -> Bool in
                value.cancel = cancel
                return value.interrupted
            }
            if interrupted { cancel() }
        }
    }

    private let state = State()
    private let sources: [any DispatchSourceSignal]

    /// Starts trapping SIGINT and SIGTERM.
    init() {
        let state = self.state
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { state.interrupt() }
            source.resume()
            return source
        }
    }

    /// Cancels `task` on the first interrupt, including one that already arrived.
    func cancelOnInterrupt<Success: Sendable>(_ task: Task<Success, any Error>) {
        state.register { task.cancel() }
    }

    /// Restores the default handling.
    func release() {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
