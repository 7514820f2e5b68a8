/// A clock whose instants are `ContinuousClock` instants, so a ``Deadline`` can be read and
/// awaited on it.
///
/// Production code uses `ContinuousClock`; tests use `RefineryTesting.ManualClock`, whose time
/// moves only when the test advances it. Budgets, steps and agents take any `DeadlineClock`.
public protocol DeadlineClock: Clock, Sendable where Instant == ContinuousClock.Instant, Duration == Swift.Duration {}

extension ContinuousClock: DeadlineClock {}

extension DeadlineClock {
    /// Suspends until `deadline` passes on this clock (throws `CancellationError` if cancelled).
    public func sleep(until deadline: Deadline) async throws {
        try await sleep(until: deadline.instant, tolerance: nil)
    }
}
