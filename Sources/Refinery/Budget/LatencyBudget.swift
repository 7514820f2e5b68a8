import RefineryCore
/// Time allotted to a piece of work: an absolute deadline, minus a reserve kept back for what
/// must happen at the end (finishing and delivering the final answer).
///
/// Budgets nest and share what remains: a child budget ends at the earlier of its own limit and
/// its parent's working deadline, so it can never outlive its parent, and time a child does not
/// use stays with the parent because both count down to absolute instants.
///
/// ```swift
/// let run = LatencyBudget(timeout: .milliseconds(1500), reserve: .milliseconds(50))
/// let step = run.child("draft", share: 0.5)      // half of what remains, at most
/// ```
public struct LatencyBudget: Sendable {
    /// The hard end of this budget.
    public let deadline: Deadline
    /// Time kept back at the end: work under this budget should be done by ``workDeadline``.
    public let reserve: Duration
    /// The clock the budget is read on.
    public let clock: any DeadlineClock
    /// A name for traces ("run", "draft", "critique 1"...).
    public let label: String

    /// A budget ending at `deadline`, keeping `reserve` back, read on `clock`.
    public init(
        deadline: Deadline, reserve: Duration = .zero, clock: any DeadlineClock = ContinuousClock(),
        label: String = "run"
    ) {
        self.deadline = deadline
        self.reserve = max(.zero, reserve)
        self.clock = clock
        self.label = label
    }

    /// A budget ending `timeout` from `clock`'s present instant.
    public init(
        timeout: Duration, reserve: Duration = .zero, clock: any DeadlineClock = ContinuousClock(),
        label: String = "run"
    ) {
        self.init(deadline: Deadline(clock.now.advanced(by: timeout)), reserve: reserve, clock: clock, label: label)
    }

    /// When the work under this budget should be done: the deadline less the reserve.
    public var workDeadline: Deadline { deadline.advanced(by: .zero - reserve) }

    /// Working time left now (never negative).
    public var remaining: Duration { max(.zero, workDeadline.remaining(on: clock)) }

    /// Time left now until the hard deadline, reserve included (never negative).
    public var remainingIncludingReserve: Duration { max(.zero, deadline.remaining(on: clock)) }

    /// Whether no working time is left.
    public var isExhausted: Bool { remaining <= .zero }

    /// A nested budget that ends at the earliest of: this budget's working deadline, `limit` from
    /// now, and `share` (0...1) of the working time left now. The child keeps its own `reserve`
    /// (clamped to its span).
    public func child(
        _ label: String, limit: Duration? = nil, share: Double? = nil, reserve: Duration = .zero
    ) -> LatencyBudget {
        let now = clock.now
        var end = workDeadline
        if let limit { end = min(end, Deadline(now.advanced(by: max(.zero, limit)))) }
        if let share {
            let part = remaining * min(1, max(0, share))
            end = min(end, Deadline(now.advanced(by: part)))
        }
        end = max(end, Deadline(now))  // an exhausted parent gives an already expired child
        let span = now.duration(to: end.instant)
        return LatencyBudget(deadline: end, reserve: min(reserve, span), clock: clock, label: label)
    }

    /// A sub-deadline `duration` from now, never later than this budget's working deadline.
    public func subDeadline(for duration: Duration) -> Deadline {
        min(workDeadline, Deadline(clock.now.advanced(by: max(.zero, duration))))
    }
}
