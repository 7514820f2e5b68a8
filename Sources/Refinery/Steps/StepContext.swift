import RefineryCore
import Tracing

/// What a step runs with: the models in order of preference (later ones are fallbacks), their
/// cost figures, the clock, the run's budget, and the tracing context of the run.
public struct StepContext: Sendable {
    /// Models in order of preference; a step falls back to the next when one fails or is too slow.
    public var models: [any LanguageModel]
    /// Live cost figures, updated by every generation.
    public var costs: CostBook
    /// The clock every sub-deadline is read on.
    public var clock: any DeadlineClock
    /// The run's budget.
    public var budget: LatencyBudget
    /// When the run started (offsets in records are measured from it).
    public var runStart: ContinuousClock.Instant
    /// Shared by every request of the run, so the engine can reuse the conversation's prefix.
    public var sessionKey: String
    /// Where step spans go.
    public var tracer: any Tracer
    /// The run's span context, parent of every step span.
    public var traceContext: ServiceContext

    /// A context for steps outside an ``Agent`` (agents build their own).
    public init(
        models: [any LanguageModel], costs: CostBook, clock: any DeadlineClock, budget: LatencyBudget,
        runStart: ContinuousClock.Instant, sessionKey: String, tracer: any Tracer, traceContext: ServiceContext
    ) {
        self.models = models
        self.costs = costs
        self.clock = clock
        self.budget = budget
        self.runStart = runStart
        self.sessionKey = sessionKey
        self.tracer = tracer
        self.traceContext = traceContext
    }

    /// The same context with the model named `name` tried first (the planner's choice for a
    /// step), the others keeping their order as fallbacks.
    public func preferring(_ name: String?) -> StepContext {
        guard let name, let index = models.firstIndex(where: { $0.name == name }), index > 0 else { return self }
        var copy = self
        copy.models.insert(copy.models.remove(at: index), at: 0)
        return copy
    }

    /// Time since the run started.
    public var offset: Duration { runStart.duration(to: clock.now) }
}
