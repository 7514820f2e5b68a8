import RefineryCore
import Synchronization
import Tracing

/// What a step runs with: the models in order of preference (later ones are fallbacks), their
/// cost figures, the clock, the run's budget, the step's own sub-deadline, the tracing context,
/// and the session key the engine reuses prefixes by.
public struct StepContext: Sendable {
    /// Models in order of preference; a step falls back to the next when one fails or is too slow.
    public var models: [any LanguageModel]
    /// Live cost figures, updated by every generation.
    public var costs: CostBook
    /// The clock every sub-deadline is read on.
    public var clock: any DeadlineClock
    /// The run's budget.
    public var budget: LatencyBudget
    /// This step's sub-deadline: the planner's allotment, never later than the budget's working deadline.
    public var deadline: Deadline
    /// When the run started (offsets in records are measured from it).
    public var runStart: ContinuousClock.Instant
    /// Shared by every request of the run, so the engine can reuse the conversation's prefix.
    public var sessionKey: String
    /// Where step spans go.
    public var tracer: any Tracer
    /// The span context steps start their spans under (the run's, or a parent step's).
    public var traceContext: ServiceContext
    /// Where plans go as they are made (the run's trace); nil: not kept.
    public var plans: PlanLog?

    /// A context for steps outside an ``Agent`` (agents build their own). `deadline` defaults
    /// to the budget's working deadline.
    public init(
        models: [any LanguageModel], costs: CostBook, clock: any DeadlineClock, budget: LatencyBudget,
        deadline: Deadline? = nil, runStart: ContinuousClock.Instant, sessionKey: String, tracer: any Tracer,
        traceContext: ServiceContext, plans: PlanLog? = nil
    ) {
        self.models = models
        self.costs = costs
        self.clock = clock
        self.budget = budget
        self.deadline = deadline ?? budget.workDeadline
        self.runStart = runStart
        self.sessionKey = sessionKey
        self.tracer = tracer
        self.traceContext = traceContext
        self.plans = plans
    }

    /// A context on `models` with a budget of `timeout` from now, for running steps by hand.
    public static func standalone(
        models: [any LanguageModel], timeout: Duration, costs: CostBook = CostBook(),
        clock: any DeadlineClock = ContinuousClock(), tracer: (any Tracer)? = nil
    ) -> StepContext {
        let budget = LatencyBudget(timeout: timeout, clock: clock)
        return StepContext(
            models: models, costs: costs, clock: clock, budget: budget, runStart: clock.now,
            sessionKey: "steps-\(UInt64.random(in: 0...UInt64.max))", tracer: tracer ?? InstrumentationSystem.tracer,
            traceContext: ServiceContext.current ?? .topLevel, plans: PlanLog())
    }

    /// The same context with the model named `name` tried first (the planner's choice for a
    /// step), the others keeping their order as fallbacks.
    public func preferring(_ name: String?) -> StepContext {
        guard let name, let index = models.firstIndex(where: { $0.name == name }), index > 0 else { return self }
        var copy = self
        copy.models.insert(copy.models.remove(at: index), at: 0)
        return copy
    }

    /// The same context with a sub-deadline `duration` from now (never past this context's deadline).
    public func allotting(_ duration: Duration) -> StepContext {
        var copy = self
        copy.deadline = min(deadline, Deadline(clock.now.advanced(by: max(.zero, duration))))
        return copy
    }

    /// The same context ending at `deadline` (never past this context's deadline).
    public func ending(at deadline: Deadline) -> StepContext {
        var copy = self
        copy.deadline = min(self.deadline, deadline)
        return copy
    }

    /// Time left until this context's deadline (never negative).
    public var remaining: Duration { max(.zero, deadline.remaining(on: clock)) }

    /// Time since the run started.
    public var offset: Duration { runStart.duration(to: clock.now) }

    /// The first model's estimate for a generation of this size (zero without models).
    public func estimate(promptTokens: Int, generatedTokens: Int) -> Duration {
        guard let model = models.first else { return .zero }
        return costs.cost(for: model.name).estimate(promptTokens: promptTokens, generatedTokens: generatedTokens)
    }

    /// Whether the first model decodes several sequences in one batch.
    public var batches: Bool { models.first?.capabilities.batching ?? false }
}

/// The plans of a run as they are made, shared by every step of the run (a composition
/// re-plans after each of its steps). Hands each plan, and each top-level step that finishes,
/// to an observer too (`Agent.stream`).
public final class PlanLog: Sendable {
    private let plans = Mutex<[ExecutionPlan]>([])
    private let observer: (@Sendable (AgentEvent) -> Void)?

    /// A log that calls `observer` with each plan and each reported step.
    public init(observer: (@Sendable (AgentEvent) -> Void)? = nil) { self.observer = observer }

    /// Adds `plan`.
    public func add(_ plan: ExecutionPlan) {
        plans.withLock { $0.append(plan) }
        observer?(.plan(plan))
    }

    /// Reports a finished step to the observer (the run's own steps, as they finish).
    public func stepFinished(_ record: StepRecord) { observer?(.step(record)) }

    /// Every plan so far, in order.
    public var all: [ExecutionPlan] { plans.withLock { $0 } }
}
