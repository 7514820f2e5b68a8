import RefineryCore

/// Steps run one after another, each one's output the next one's input, under one deadline.
///
/// Before each step the pipeline plans what is left: every remaining step gets time in
/// proportion to its estimate, so a step that finishes early leaves its time to the rest.
/// When a step fails, or the time is gone before a step starts, the pipeline stops and returns
/// the latest value of its output type (the best so far) marked cut off or failed.
///
/// ```swift
/// let pipeline = Pipeline {
///     StepFunction<String, Answer>("plan", estimate: .milliseconds(5)) { task, _ in
///         .completed(Answer(task: task, instructions: "Answer briefly.", notes: ["Give one example."]))
///     }
///     Draft()
///     Critique()
///     Refine()
/// }
/// ```
public struct Pipeline<Input: Sendable, Output: Sendable>: Step {
    public let name: String
    /// How the steps get their time.
    public var allotment: PipelineAllotment
    /// Whether the pipeline has a span and a record of its own around its steps' (false for a
    /// pipeline that something already traced stands for, like an agent run: its steps'
    /// records are returned as they are).
    public var recordsItself = true
    let stages: [ErasedStep]

    init(name: String, allotment: PipelineAllotment = .proportional, stages: [ErasedStep]) {
        self.name = name
        self.allotment = allotment
        self.stages = stages
    }

    /// The steps `build` lists, chained (each step's input type is the previous one's output type).
    public init(
        _ name: String = "pipeline", allotment: PipelineAllotment = .proportional,
        @PipelineBuilder _ build: () -> Pipeline<Input, Output>
    ) {
        self.init(name: name, allotment: allotment, stages: build().stages)
    }

    /// This pipeline followed by `next`.
    public func then<Next: Step>(_ next: Next) -> Pipeline<Input, Next.Output> where Next.Input == Output {
        var next = Pipeline<Input, Next.Output>(name: name, allotment: allotment, stages: stages + [ErasedStep(next)])
        next.recordsItself = recordsItself
        return next
    }

    /// The sum of the steps' estimates.
    public func estimate(in context: StepContext) -> Duration {
        stages.reduce(.zero) { $0 + $1.estimate(context) }
    }

    public func run(_ input: Input, in context: StepContext) async -> StepResult<Output> {
        let recording = recordsItself ? StepRecording(kind: StepKind(name), in: context) : nil
        let inner = recording?.childContext(context) ?? context
        var value: any Sendable = input
        var best = input as? Output
        var status = StepStatus.completed
        var records: [StepRecord] = []
        var reachedEnd = false
        for index in stages.indices {
            if Task.isCancelled || inner.remaining <= .zero {
                status = status.combined(with: .cutOff)
                break
            }
            let result = await stages[index].run(value, stageContext(index, inner))
            records += result.records
            status = status.combined(with: result.status)
            guard let output = result.output else { break }
            value = output
            if let typed = output as? Output { best = typed }
            if case .failed = result.status { break }
            reachedEnd = index == stages.count - 1
        }
        // Stopping before the end leaves the best so far, never a complete result.
        if !reachedEnd, case .completed = status { status = .cutOff }
        let own = recording.map { [$0.finish(status: status, children: records)] } ?? records
        return StepResult(output: best, status: status, records: own)
    }

    /// The context stage `index` runs in: its share of the time left, planned now.
    private func stageContext(_ index: Int, _ context: StepContext) -> StepContext {
        guard allotment == .proportional else { return context }
        let remaining = stages[index...].map { (name: $0.name, estimate: $0.estimate(context)) }
        let reason = index == 0 ? "start" : "after \(stages[index - 1].name)"
        let plan = CompositionPlanner.plan(remaining, reason: "\(name) \(reason)", in: context)
        return context.allotting(plan.steps[0].allotted)
    }
}

/// How a ``Pipeline`` gives its steps their time.
public enum PipelineAllotment: Sendable, Hashable {
    /// Each remaining step gets time in proportion to its estimate, re-planned before each step.
    case proportional
    /// Each step gets all the time left and plans for itself (steps that run their own
    /// planner, like an agent's first answer — mandatory — and its refinement loop).
    case delegated
}

/// Builds a ``Pipeline`` from a list of steps, checking that each step takes what the one
/// before it produces.
@resultBuilder
public enum PipelineBuilder {
    public static func buildPartialBlock<First: Step>(first: First) -> Pipeline<First.Input, First.Output> {
        Pipeline(name: "pipeline", stages: [ErasedStep(first)])
    }

    public static func buildPartialBlock<Input, Middle, Next: Step>(
        accumulated: Pipeline<Input, Middle>, next: Next
    ) -> Pipeline<Input, Next.Output> where Next.Input == Middle {
        accumulated.then(next)
    }
}
