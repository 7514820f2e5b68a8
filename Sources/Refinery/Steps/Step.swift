import RefineryCore

/// One unit of work with a typed input and output — drafting, critiquing, calling tools, a
/// whole sub-agent, or anything a user writes — run under a sub-deadline the planner gives it.
///
/// A step says how long it expects to take (``estimate(in:)``, from the live cost figures in
/// the context) so a composition can split its time before anything runs, and returns by
/// `context.deadline` with what it has: a step whose time runs out returns its best result so
/// far marked ``StepStatus/cutOff``, never nothing when it had something.
///
/// Compose steps with ``Pipeline``, ``Concurrent``, ``Loop``, ``Fallback``, ``MapReduce`` and
/// ``Route``; each is a step itself, planned, traced and cancellable. A closure with an
/// estimate is a step through ``StepFunction``.
///
/// ```swift
/// struct Shout: Step {
///     var name: String { "shout" }
///     func estimate(in context: StepContext) -> Duration { .milliseconds(1) }
///     func run(_ input: String, in context: StepContext) async -> StepResult<String> {
///         .completed(input.uppercased())
///     }
/// }
/// ```
public protocol Step<Input, Output>: Sendable {
    /// What the step takes.
    associatedtype Input: Sendable
    /// What it produces.
    associatedtype Output: Sendable

    /// A short name for plans, records and spans.
    var name: String { get }

    /// How long the step expects to take, read from the models' live figures in `context`
    /// (``StepContext/estimate(promptTokens:generatedTokens:)``). The planner gives each step
    /// of a composition time in proportion to its estimate.
    func estimate(in context: StepContext) -> Duration

    /// Runs on `input`, finishing by `context.deadline`. Never throws: a failure is a result
    /// with ``StepStatus/failed(_:)``.
    func run(_ input: Input, in context: StepContext) async -> StepResult<Output>
}

/// What a step returned: its output (the best so far when it was cut off), how it ended, and
/// the records of the work it did (for the trace and `--json`).
public struct StepResult<Output: Sendable>: Sendable {
    /// The output; nil when the step had nothing to give.
    public var output: Output?
    /// How the step ended.
    public var status: StepStatus
    /// What ran, in order; a composite step's records hold its children's.
    public var records: [StepRecord]

    /// A result with `output`, `status` and `records`.
    public init(output: Output?, status: StepStatus, records: [StepRecord] = []) {
        self.output = output
        self.status = status
        self.records = records
    }

    /// A finished step's result.
    public static func completed(_ output: Output, records: [StepRecord] = []) -> StepResult {
        StepResult(output: output, status: .completed, records: records)
    }

    /// A step cut off by its deadline, with the best it had (nil: nothing).
    public static func cutOff(_ best: Output?, records: [StepRecord] = []) -> StepResult {
        StepResult(output: best, status: .cutOff, records: records)
    }

    /// A failed step.
    public static func failed(_ message: String, records: [StepRecord] = []) -> StepResult {
        StepResult(output: nil, status: .failed(message), records: records)
    }
}

/// A step made of a closure and an estimate — the quickest way to plug your own work into a
/// composition.
///
/// ```swift
/// let lookup = StepFunction<String, String>("lookup", estimate: .milliseconds(30)) { query, context in
///     .completed(try? await search(query))  // your code, by context.deadline
/// }
/// ```
public struct StepFunction<Input: Sendable, Output: Sendable>: Step {
    public let name: String
    /// The step's estimate, from the context's figures.
    public let estimator: @Sendable (StepContext) -> Duration
    /// The work.
    public let body: @Sendable (Input, StepContext) async -> StepResult<Output>

    /// A step named `name` that takes about `estimate` and runs `body`.
    public init(
        _ name: String, estimate: Duration,
        body: @escaping @Sendable (Input, StepContext) async -> StepResult<Output>
    ) {
        self.init(name, estimator: { _ in estimate }, body: body)
    }

    /// A step named `name` whose estimate `estimator` reads from the context's figures.
    public init(
        _ name: String, estimator: @escaping @Sendable (StepContext) -> Duration,
        body: @escaping @Sendable (Input, StepContext) async -> StepResult<Output>
    ) {
        self.name = name
        self.estimator = estimator
        self.body = body
    }

    public func estimate(in context: StepContext) -> Duration { estimator(context) }

    /// Runs the closure, recording it as one step of kind `name`.
    public func run(_ input: Input, in context: StepContext) async -> StepResult<Output> {
        let recorder = StepRecording(kind: StepKind(name), in: context)
        var result = await body(input, context)
        result.records = [recorder.finish(status: result.status, children: result.records)]
        return result
    }
}
