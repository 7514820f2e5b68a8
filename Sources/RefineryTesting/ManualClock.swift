import RefineryCore
import Refinery
import Synchronization

/// A clock whose time moves only when a test says so, for deterministic tests of deadlines,
/// budgets and agents.
///
/// Its instants are `ContinuousClock` instants (it starts at the real "now" when created and
/// then stands still), so it is a ``DeadlineClock`` and ``Deadline``s work on it unchanged.
/// Sleepers wake when ``advance(by:)`` or ``advance(to:)`` moves the time past their
/// deadline, in order of deadline (then of arrival); a cancelled sleeper throws
/// `CancellationError` at once. Tests synchronise with the code under test through
/// ``waitForSleepers(_:)``: "wait until N tasks are asleep on this clock, then move time".
///
/// ```swift
/// let clock = ManualClock()
/// let run = Task { await agent.run("q", deadline: .after(.seconds(1), on: clock)) }
/// await clock.waitForSleepers(2)      // the step's timer and the model's next chunk
/// clock.advance(by: .milliseconds(100))
/// ```
public final class ManualClock: DeadlineClock, Sendable {
    public typealias Instant = ContinuousClock.Instant
    public typealias Duration = Swift.Duration

    private struct Sleeper {
        var id: UInt64
        var deadline: Instant
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct Waiter {
        var count: Int
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var now: Instant
        var nextID: UInt64 = 0
        var sleepers: [Sleeper] = []
        var cancelled: Set<UInt64> = []
        var waiters: [Waiter] = []
    }

    private let state: Mutex<State>

    /// A clock standing at `start` (by default the real present instant).
    public init(start: Instant = .now) {
        state = Mutex(State(now: start))
    }

    /// The clock's present instant.
    public var now: Instant { state.withLock { $0.now } }

    public var minimumResolution: Duration { .zero }

    /// How many tasks are asleep on this clock now.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    /// The earliest deadline among the sleepers.
    public var nextWake: Instant? { state.withLock { $0.sleepers.map(\.deadline).min() } }

    /// Suspends until the clock reaches `deadline` (returns at once if it already has).
    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        try Task.checkCancellation()
        let id = state.withLock { s -> UInt64 in
            s.nextID += 1
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let (outcome, ready) = state.withLock {
                    s -> (Result<Void, any Error>?, [CheckedContinuation<Void, Never>]) in
                    if s.cancelled.remove(id) != nil { return (.failure(CancellationError()), []) }
                    if deadline <= s.now { return (.success(()), []) }
                    s.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return (nil, Self.readyWaiters(&s))
                }
                for waiter in ready { waiter.resume() }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let continuation = state.withLock { s -> CheckedContinuation<Void, any Error>? in
                if let index = s.sleepers.firstIndex(where: { $0.id == id }) {
                    return s.sleepers.remove(at: index).continuation
                }
                s.cancelled.insert(id)
                return nil
            }
            continuation?.resume(throwing: CancellationError())
        }
        state.withLock { _ = $0.cancelled.remove(id) }
    }

    /// Moves the time forward by `duration`, waking every sleeper whose deadline it reaches.
    public func advance(by duration: Duration) {
        advance(to: now.advanced(by: duration))
    }

    /// Moves the time to `instant` (never backwards), waking every sleeper whose deadline it
    /// reaches, earliest first.
    public func advance(to instant: Instant) {
        let due = state.withLock { s -> [Sleeper] in
            if instant > s.now { s.now = instant }
            let now = s.now
            let due = s.sleepers.filter { $0.deadline <= now }
            s.sleepers.removeAll { $0.deadline <= now }
            return due.sorted { ($0.deadline, $0.id) < ($1.deadline, $1.id) }
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Returns once at least `count` tasks are asleep on this clock.
    public func waitForSleepers(_ count: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { s -> Bool in
                if s.sleepers.count >= count { return true }
                s.waiters.append(Waiter(count: count, continuation: continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// Waits for `sleepers` sleepers, then advances by `duration`.
    public func advance(by duration: Duration, afterSleepers sleepers: Int) async {
        await waitForSleepers(sleepers)
        advance(by: duration)
    }

    private static func readyWaiters(_ s: inout State) -> [CheckedContinuation<Void, Never>] {
        let count = s.sleepers.count
        let ready = s.waiters.filter { $0.count <= count }.map(\.continuation)
        s.waiters.removeAll { $0.count <= count }
        return ready
    }
}
