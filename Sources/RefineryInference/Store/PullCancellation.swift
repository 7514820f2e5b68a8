import RefineryCore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The cancellation state of one pull, shared between the task that awaits it and the thread
/// that does the blocking work: cancelling stops the current child process group at once.
package final class PullCancellation: Sendable {
    private struct State {
        var cancelled = false
        var child: ChildProcess?
    }

    private let state = Mutex(State())

    package init() {}

    /// Whether the pull has been cancelled.
    package var isCancelled: Bool { state.withLock { $0.cancelled } }

    /// Marks the pull cancelled and stops the running child, if any.
    package func cancel() {
        let child = state.withLock { state -> ChildProcess? in
            state.cancelled = true
            return state.child
        }
        child?.signalGroup(SIGTERM)
    }

    /// Records the running child; stops it at once if the pull is already cancelled.
    package func attach(_ child: ChildProcess) {
        let cancelled = state.withLock { state -> Bool in
            state.child = child
            return state.cancelled
        }
        if cancelled { child.signalGroup(SIGTERM) }
    }

    /// Forgets the child once it has been reaped.
    package func detach() {
        state.withLock { $0.child = nil }
    }

    /// Throws ``ModelStoreError/Code-swift.struct/cancelled`` if the pull was cancelled.
    package func check(_ model: String) throws(ModelStoreError) {
        if isCancelled {
            throw ModelStoreError(
                code: .cancelled, message: "pull of '\(model)' was cancelled; nothing was installed", value: model)
        }
    }
}
