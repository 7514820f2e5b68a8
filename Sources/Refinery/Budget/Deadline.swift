/// An absolute point in time by which work must be done.
///
/// Deadlines are absolute so that nested steps share what remains instead of each starting a
/// fresh timeout; `timeout:` parameters elsewhere are sugar for `Deadline.after(_:)`.
public struct Deadline: Sendable, Hashable, Comparable {
    public var instant: ContinuousClock.Instant

    public init(_ instant: ContinuousClock.Instant) { self.instant = instant }

    /// The deadline `duration` from now.
    public static func after(_ duration: Duration) -> Deadline {
        Deadline(ContinuousClock.now.advanced(by: duration))
    }

    /// A deadline that never arrives in practice.
    public static var distantFuture: Deadline { after(.seconds(100 * 365 * 24 * 3600)) }

    /// Time left from `now` (negative once passed).
    public func remaining(from now: ContinuousClock.Instant = .now) -> Duration { now.duration(to: instant) }

    /// Whether the deadline has passed at `now`.
    public func hasPassed(at now: ContinuousClock.Instant = .now) -> Bool { now >= instant }

    public static func < (lhs: Deadline, rhs: Deadline) -> Bool { lhs.instant < rhs.instant }
}
