import RefineryCore

/// Splits the time a composition has among its steps in proportion to their estimates, and
/// records each plan in the run's trace. Compositions plan before their first step and again
/// after every step, so time one step leaves unused goes to those after it, and a step that ran
/// long takes from them.
public enum CompositionPlanner {
    /// Each estimate's share of `remaining`: `remaining * estimate / sum of estimates`. Steps
    /// that estimate nothing share equally when all do.
    public static func allot(_ remaining: Duration, estimates: [Duration]) -> [Duration] {
        let remaining = max(.zero, remaining)
        let total = estimates.reduce(Duration.zero) { $0 + max(.zero, $1) }
        guard total > .zero else {
            return estimates.map { _ in estimates.isEmpty ? .zero : remaining / estimates.count }
        }
        return estimates.map { remaining * (max(.zero, $0) / total) }
    }

    /// Plans `steps` (names and estimates, in order) over the time left in `context`, records
    /// the plan, and returns it.
    @discardableResult
    public static func plan(
        _ steps: [(name: String, estimate: Duration)], reason: String, in context: StepContext
    ) -> ExecutionPlan {
        let remaining = context.remaining
        let allotted = allot(remaining, estimates: steps.map(\.estimate))
        let planned = zip(steps, allotted).map { step, time in
            ExecutionPlan.Step(
                kind: StepKind(step.name), round: 0, model: nil, maxTokens: 0, estimate: step.estimate, allotted: time)
        }
        let plan = ExecutionPlan(reason: reason, remaining: remaining, candidates: 1, rounds: 0, check: .none, steps: planned)
        context.plans?.add(plan)
        return plan
    }
}
