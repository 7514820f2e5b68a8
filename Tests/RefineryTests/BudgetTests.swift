import RefineryCore
import Foundation
import Refinery
import RefineryTesting
import Synchronization
import Testing

@Suite("Deadlines and latency budgets")
struct BudgetTests {
    @Test("a deadline on a manual clock counts down only when the clock moves")
    func deadlineOnManualClock() {
        let clock = ManualClock()
        let deadline = Deadline.after(.milliseconds(500), on: clock)
        #expect(deadline.remaining(on: clock) == .milliseconds(500))
        clock.advance(by: .milliseconds(200))
        #expect(deadline.remaining(on: clock) == .milliseconds(300))
        clock.advance(by: .milliseconds(400))
        #expect(deadline.remaining(on: clock) == .milliseconds(-100))
        #expect(deadline.hasPassed(at: clock.now))
    }

    @Test("the reserve is kept back from the working time")
    func reserve() {
        let clock = ManualClock()
        let budget = LatencyBudget(timeout: .milliseconds(1000), reserve: .milliseconds(100), clock: clock)
        #expect(budget.remaining == .milliseconds(900))
        #expect(budget.remainingIncludingReserve == .milliseconds(1000))
        clock.advance(by: .milliseconds(950))
        #expect(budget.remaining == .zero)
        #expect(budget.isExhausted)
        #expect(budget.remainingIncludingReserve == .milliseconds(50))
    }

    @Test("a child budget never outlives its parent, whatever it asks for")
    func childNeverOutlivesParent() {
        let clock = ManualClock()
        let parent = LatencyBudget(timeout: .milliseconds(1000), reserve: .milliseconds(100), clock: clock)
        let greedy = parent.child("greedy", limit: .seconds(10))
        #expect(greedy.deadline == parent.workDeadline)
        let limited = parent.child("limited", limit: .milliseconds(300))
        #expect(limited.remaining == .milliseconds(300))
        let half = parent.child("half", share: 0.5)
        #expect(half.remaining == .milliseconds(450))
        let grandchild = half.child("grandchild", limit: .seconds(5), reserve: .milliseconds(50))
        #expect(grandchild.deadline == half.deadline)
        #expect(grandchild.remaining == .milliseconds(400))
    }

    @Test("nested budgets share what remains: time a child uses is gone for the parent too")
    func nestedBudgetsShare() {
        let clock = ManualClock()
        let run = LatencyBudget(timeout: .milliseconds(1000), clock: clock)
        let draft = run.child("draft", share: 0.6)
        #expect(draft.remaining == .milliseconds(600))
        clock.advance(by: .milliseconds(250))  // the draft finishes early
        #expect(draft.remaining == .milliseconds(350))
        #expect(run.remaining == .milliseconds(750))
        let critique = run.child("critique", share: 0.5)
        #expect(critique.remaining == .milliseconds(375))
        clock.advance(by: .milliseconds(800))
        #expect(run.isExhausted)
        let late = run.child("late", limit: .milliseconds(100))
        #expect(late.isExhausted)
        #expect(late.deadline.instant >= run.workDeadline.instant)
    }

    @Test("sub-deadlines are clamped to the budget's working deadline")
    func subDeadlines() {
        let clock = ManualClock()
        let budget = LatencyBudget(timeout: .milliseconds(500), reserve: .milliseconds(50), clock: clock)
        #expect(budget.subDeadline(for: .milliseconds(100)).remaining(on: clock) == .milliseconds(100))
        #expect(budget.subDeadline(for: .seconds(3)) == budget.workDeadline)
    }
}

@Suite("Manual clock")
struct BudgetManualClockTests {
    @Test("sleepers wake in deadline order when the clock is advanced past them", .timeLimit(.minutes(1)))
    func wakesInOrder() async throws {
        let clock = ManualClock()
        let woke = WakeLog()
        let start = clock.now
        async let a: Void = {
            try? await clock.sleep(until: start.advanced(by: .milliseconds(300)))
            woke.append("a")
        }()
        async let b: Void = {
            try? await clock.sleep(until: start.advanced(by: .milliseconds(100)))
            woke.append("b")
        }()
        await clock.waitForSleepers(2)
        #expect(clock.nextWake == start.advanced(by: .milliseconds(100)))
        clock.advance(by: .milliseconds(150))
        await b
        #expect(woke.entries == ["b"])
        #expect(clock.sleeperCount == 1)
        clock.advance(by: .milliseconds(150))
        await a
        #expect(woke.entries == ["b", "a"])
    }

    @Test("a cancelled sleeper throws CancellationError and leaves the clock", .timeLimit(.minutes(1)))
    func cancellation() async {
        let clock = ManualClock()
        let task = Task { () -> Bool in
            do {
                try await clock.sleep(for: .seconds(10))
                return false
            } catch is CancellationError { return true } catch { return false }
        }
        await clock.waitForSleepers(1)
        task.cancel()
        #expect(await task.value)
        #expect(clock.sleeperCount == 0)
    }

    @Test("sleeping until a passed instant returns at once")
    func pastDeadline() async throws {
        let clock = ManualClock()
        clock.advance(by: .seconds(1))
        try await clock.sleep(until: clock.now.advanced(by: .milliseconds(-5)))
        #expect(clock.sleeperCount == 0)
    }
}

/// A thread-safe list of strings.
final class WakeLog: Sendable {
    private let lock = Mutex<[String]>([])
    func append(_ s: String) { lock.withLock { $0.append(s) } }
    var entries: [String] { lock.withLock { $0 } }
}
