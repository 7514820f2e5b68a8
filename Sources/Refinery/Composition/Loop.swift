import RefineryCore

/// A body run again and again on its own output until a stop rule holds, the iterations run
/// out or the time does — keeping the best value so far.
///
/// Before each iteration the loop plans the iterations left in the time left (equal shares,
/// each at least the body's estimate); when even one iteration no longer fits, it stops and
/// returns its best value marked cut off. Cancelling the run cancels the iteration in flight,
/// which stops its generations at the engine.
public struct Loop<Value: Sendable>: Step {
    public typealias Input = Value
    public typealias Output = Value

    /// Why a loop stopped.
    public enum Stop: String, Sendable, Hashable {
        /// The stop rule held.
        case rule
        /// The iterations ran out.
        case iterations
        /// No time for another iteration, or an iteration was cut off.
        case deadline
        /// The run was cancelled.
        case cancelled
        /// An iteration failed.
        case failed
    }

    public let name: String
    /// What each iteration runs.
    public let body: any Step<Value, Value>
    /// Iterations at most.
    public let maxIterations: Int
    /// When the loop is done: given the latest value and the iterations run.
    public let until: @Sendable (Value, Int) -> Bool
    /// How good a value is (higher is better); the best is returned, the latest on a tie. Nil:
    /// the latest value is the best.
    public let score: (@Sendable (Value) -> Double)?

    /// A loop of `body` for at most `maxIterations`, stopping when `until` holds.
    public init(
        _ name: String = "loop", maxIterations: Int, until: @escaping @Sendable (Value, Int) -> Bool = { _, _ in false },
        score: (@Sendable (Value) -> Double)? = nil, body: any Step<Value, Value>
    ) {
        self.name = name
        self.body = body
        self.maxIterations = max(0, maxIterations)
        self.until = until
        self.score = score
    }

    /// One iteration's estimate per iteration planned.
    public func estimate(in context: StepContext) -> Duration { body.estimate(in: context) * maxIterations }

    public func run(_ input: Value, in context: StepContext) async -> StepResult<Value> {
        let recording = StepRecording(kind: StepKind(name), in: context)
        let inner = recording.childContext(context)
        var best = input
        var bestScore = score?(input) ?? -.infinity
        var records: [StepRecord] = []
        var iterations = 0
        var stop = Stop.iterations
        var current = input
        while iterations < maxIterations {
            if let reason = stopBeforeIteration(current, iterations, inner) {
                stop = reason
                break
            }
            let left = maxIterations - iterations
            let plan = CompositionPlanner.plan(
                Array(repeating: (name: body.name, estimate: body.estimate(in: inner)), count: left),
                reason: "\(name) iteration \(iterations + 1)", in: inner)
            let result = await body.run(current, in: inner.allotting(plan.steps[0].allotted))
            records += result.records
            iterations += 1
            if let output = result.output, result.status == .completed {
                current = output
                let value = score?(output) ?? .infinity
                if value >= bestScore {
                    best = output
                    bestScore = value
                }
            }
            if result.status != .completed {
                stop = Task.isCancelled ? .cancelled : (result.status == .cutOff ? .deadline : .failed)
                break
            }
        }
        if stop == .iterations, until(current, iterations) { stop = .rule }
        let status: StepStatus = (stop == .rule || stop == .iterations) ? .completed : .cutOff
        let record = recording.finish(status: status, children: records, note: "stopped: \(stop.rawValue)")
        return StepResult(output: best, status: status, records: [record])
    }

    private func stopBeforeIteration(_ current: Value, _ iterations: Int, _ context: StepContext) -> Stop? {
        if Task.isCancelled { return .cancelled }
        if until(current, iterations) { return .rule }
        if context.remaining < body.estimate(in: context) || context.remaining <= .zero { return .deadline }
        return nil
    }
}
