/// An absolute point in time by which work must be done.
///
/// Deadlines are absolute so that nested steps share what remains instead of each starting a
/// fresh timeout; `timeout:` parameters elsewhere are sugar for `Deadline.after(_:)`.
/// The instant is on `ContinuousClock`'s timeline; code that must be testable reads "now" from a
/// ``DeadlineClock`` (for tests, `RefineryTesting.ManualClock`) rather than from the system.
public struct Deadline: Sendable, Hashable, Comparable {
    /// The instant, on `ContinuousClock`'s timeline.
    public var instant: ContinuousClock.Instant

    /// The deadline at `instant`.
    public init(_ instant: ContinuousClock.Instant) { self.instant = instant }

    /// The deadline `duration` from now.
    public static func after(_ duration: Duration) -> Deadline {
        Deadline(ContinuousClock.now.advanced(by: duration))
    }

    /// The deadline `duration` after `clock`'s present instant.
    public static func after(_ duration: Duration, on clock: some DeadlineClock) -> Deadline {
        Deadline(clock.now.advanced(by: duration))
    }

    /// A deadline that never arrives in practice.
    public static var distantFuture: Deadline { after(.seconds(100 * 365 * 24 * 3600)) }

    /// Time left from `now` (negative once passed).
    public func remaining(from now: ContinuousClock.Instant = .now) -> Duration { now.duration(to: instant) }

    /// Time left by `clock`'s reading (negative once passed).
    public func remaining(on clock: some DeadlineClock) -> Duration { clock.now.duration(to: instant) }

    /// Whether the deadline has passed at `now`.
    public func hasPassed(at now: ContinuousClock.Instant = .now) -> Bool { now >= instant }

    /// The deadline moved by `duration` (earlier when negative).
    public func advanced(by duration: Duration) -> Deadline { Deadline(instant.advanced(by: duration)) }

    public static func < (lhs: Deadline, rhs: Deadline) -> Bool { lhs.instant < rhs.instant }
}
