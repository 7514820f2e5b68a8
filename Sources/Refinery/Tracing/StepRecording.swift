import RefineryCore
import Tracing

/// The span and timing of one step while it runs, turned into its ``StepRecord`` at the end.
///
/// ```swift
/// let recording = StepRecording(kind: "plan", in: context)
/// let children = await child.run(input, in: recording.childContext(context))
/// return recording.finish(status: .completed, children: children.records)
/// ```
public struct StepRecording: Sendable {
    /// What the step does.
    public let kind: StepKind
    /// Its refinement round (0 outside the refinement loop).
    public let round: Int
    /// Its span, a child of the context's trace context.
    public let span: any Span
    /// When it started, from the run's start.
    public let startOffset: Duration
    private let allotted: Duration
    private let context: StepContext

    /// Starts the span of a step of `kind` under `context`'s trace context.
    public init(kind: StepKind, round: Int = 0, in context: StepContext) {
        self.kind = kind
        self.round = round
        self.span = StepSpan.start(kind, round: round, in: context)
        self.startOffset = context.offset
        self.allotted = context.remaining
        self.context = context
    }

    /// `context` with this step's span as the parent of the spans started under it.
    public func childContext(_ context: StepContext) -> StepContext {
        var copy = context
        copy.traceContext = span.context
        return copy
    }

    /// The record of the finished step (its span ended with the record's figures). Tokens are
    /// the children's when not given.
    public func finish(
        status: StepStatus, model: String? = nil, prompt: String = "", output: String = "",
        children: [StepRecord] = [], promptTokens: Int? = nil, generatedTokens: Int? = nil, note: String? = nil
    ) -> StepRecord {
        var record = StepRecord(
            kind: kind, round: round, model: model, prompt: prompt, output: output, status: status,
            promptTokens: promptTokens ?? children.reduce(0) { $0 + $1.promptTokens },
            generatedTokens: generatedTokens ?? children.reduce(0) { $0 + $1.generatedTokens },
            startOffset: startOffset, elapsed: context.offset - startOffset, allotted: allotted, note: note)
        record.steps = children
        StepSpan.finish(span, with: record)
        return record
    }
}
