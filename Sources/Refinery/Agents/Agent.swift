import RefineryCore
import Tracing

/// An agent: steps composed into "answer, check, improve" that returns its best answer by one
/// deadline.
///
/// A run produces a first answer (a ``Draft``, a ``BestOfN`` when the planner finds time for
/// several candidates, or a ``ToolLoop`` when the agent acts with tools), then repeats rounds of
/// checking (``Verify`` where the agent has external checks — trusted over self-critique and
/// replacing it — else ``Critique``) and ``Refine`` until a ``StopRules`` rule holds or the
/// time is gone. A ``LatencyPlanner`` decides what fits before every step, from the models'
/// live ``CostModel``s; each step runs under its own sub-deadline and is cancelled when it
/// expires. The best answer so far is always kept.
///
/// ```swift
/// let agent = Agent(name: "writer", instructions: "Write a haiku.", model: model,
///                   critique: Critique(rubric: "5-7-5 syllables, about the sea"), refine: Refine())
/// let result = await agent.run("The sea at night", timeout: .milliseconds(1500))
/// print(result.answer, result.outcome)
/// ```
public struct Agent: Sendable {
    /// A name for traces.
    public var name: String
    /// The system instructions of the draft and refine steps.
    public var instructions: String
    /// Models in order of preference; later ones are fallbacks the planner and the steps use
    /// when the first is too slow for the time left or fails.
    public var models: [any LanguageModel]
    /// How the first answer is drafted.
    public var draft: Draft
    /// Several candidates for the first answer, when time allows (nil: one draft).
    public var bestOfN: BestOfN?
    /// Drafting by acting with tools (replaces ``draft`` and ``bestOfN``).
    public var toolLoop: ToolLoop?
    /// The model's self-critique (used when the agent has no ``verifiers``).
    public var critique: Critique?
    /// External checks, trusted over the critique.
    public var verifiers: [Verify]
    /// How answers are improved (nil: the agent does not refine).
    public var refine: Refine?
    /// When the refinement loop stops on its own.
    public var stopRules: StopRules
    /// Code that finishes every answer the model writes (first answers and rewrites) before it
    /// is checked: the math agent states the calculator's value of the model's expression, the
    /// summarizer trims to its word limit at a sentence end. Nil: the model's text is the answer.
    public var postprocess: Postprocess?

    /// Turns a model's answer into the agent's answer.
    public typealias Postprocess = @Sendable (_ answer: String) async -> String
    /// Time kept back at the end of the deadline for delivering the answer.
    public var reserve: Duration
    /// The models' live cost figures (share one book between runs so they keep learning).
    public var costs: CostBook
    /// The clock deadlines are read on (`ManualClock` in tests).
    public var clock: any DeadlineClock
    /// Where spans go (nil: the process's bootstrapped tracer, `InstrumentationSystem.tracer`).
    public var tracer: (any Tracer)?

    /// An agent answering with `model` first and `fallbacks` after it; every step is optional
    /// except the draft. Share `costs` between agents on the same models so their figures keep learning.
    public init(
        name: String = "agent", instructions: String = "", model: any LanguageModel,
        fallbacks: [any LanguageModel] = [],
        draft: Draft = Draft(), bestOfN: BestOfN? = nil, toolLoop: ToolLoop? = nil, critique: Critique? = nil,
        verifiers: [Verify] = [], refine: Refine? = nil, stopRules: StopRules = StopRules(),
        postprocess: Postprocess? = nil, reserve: Duration = .milliseconds(10), costs: CostBook = CostBook(),
        clock: any DeadlineClock = ContinuousClock(),
        tracer: (any Tracer)? = nil
    ) {
        self.name = name
        self.instructions = instructions
        self.models = [model] + fallbacks
        self.draft = draft
        self.bestOfN = bestOfN
        self.toolLoop = toolLoop
        self.critique = critique
        self.verifiers = verifiers
        self.refine = refine
        self.stopRules = stopRules
        self.postprocess = postprocess
        self.reserve = reserve
        self.costs = costs
        self.clock = clock
        self.tracer = tracer
    }

    /// Runs on `input` and returns by `deadline` (plus the time to hand the result back).
    /// `startedAt` is where the caller's clock started (the command's start, the request's
    /// arrival); `elapsed` is measured from it. Never throws: failures are outcomes.
    public func run(_ input: String, deadline: Deadline, startedAt: ContinuousClock.Instant? = nil) async -> AgentResult
    {
        await AgentRun(agent: self, input: input, deadline: deadline, start: startedAt ?? clock.now, observe: nil).run()
    }

    /// Runs on `input` inside `budget` — a child of a larger budget (a server request's, an
    /// outer agent's) — finishing by its working deadline, so the run shares what remains of
    /// the larger budget instead of starting a timeout of its own. The budget should be read on
    /// this agent's ``clock``.
    public func run(
        _ input: String, within budget: LatencyBudget, startedAt: ContinuousClock.Instant? = nil
    ) async -> AgentResult {
        await run(input, deadline: budget.workDeadline, startedAt: startedAt)
    }

    /// Runs on `input` with `timeout` from now.
    public func run(_ input: String, timeout: Duration) async -> AgentResult {
        await run(input, deadline: Deadline(clock.now.advanced(by: timeout)))
    }

    /// Runs on `input`, streaming progress and then only the final answer, once chosen.
    public func stream(
        _ input: String, deadline: Deadline, startedAt: ContinuousClock.Instant? = nil
    ) -> AsyncThrowingStream<AgentEvent, any Error> {
        let start = startedAt ?? clock.now
        let agent = self
        return AsyncThrowingStream { continuation in
            let task = Task {
                let result = await AgentRun(
                    agent: agent, input: input, deadline: deadline, start: start, observe: { continuation.yield($0) }
                ).run()
                continuation.yield(.answer(result.answer))
                continuation.yield(.finished(result))
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
