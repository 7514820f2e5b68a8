import RefineryCore
import Tracing

/// Spans for agent runs and their steps, so a service's tracing backend shows the hidden steps.
///
/// A run is a span named `refinery.agent.run`; each step a child span named
/// `refinery.step.<kind>` carrying `refinery.model`, `refinery.round`, `refinery.tokens.prompt`,
/// `refinery.tokens.generated`, `refinery.elapsed_ms`, `refinery.allotted_ms` and
/// `refinery.status` (the step's ``StepStatus/name``).
public enum StepSpan {
    /// Starts the span of one step under the run's span.
    public static func start(_ kind: StepKind, round: Int, in context: StepContext) -> any Span {
        let span = context.tracer.startSpan(
            "refinery.step.\(kind.rawValue)", context: context.traceContext, ofKind: .internal)
        span.attributes["refinery.round"] = round
        return span
    }

    /// Sets a finished step's figures on `span` and ends it.
    public static func finish(_ span: any Span, with record: StepRecord) {
        if let model = record.model { span.attributes["refinery.model"] = model }
        span.attributes["refinery.tokens.prompt"] = record.promptTokens
        span.attributes["refinery.tokens.generated"] = record.generatedTokens
        span.attributes["refinery.elapsed_ms"] = milliseconds(record.elapsed)
        span.attributes["refinery.allotted_ms"] = milliseconds(record.allotted)
        span.attributes["refinery.status"] = record.status.name
        if let verdict = record.verdict {
            span.attributes["refinery.verdict.score"] = verdict.score
            span.attributes["refinery.verdict.acceptable"] = verdict.acceptable
        }
        if let verification = record.verification { span.attributes["refinery.verify.passed"] = verification.passed }
        if !record.fallbacks.isEmpty {
            span.attributes["refinery.fallbacks"] = record.fallbacks.joined(separator: "; ")
        }
        if case .failed(let message) = record.status {
            span.setStatus(SpanStatus(code: .error, message: message))
        }
        span.end()
    }

    /// A duration in whole milliseconds.
    static func milliseconds(_ duration: Duration) -> Int {
        Int((duration.inSeconds * 1000).rounded())
    }
}
