import RefineryCore
/// What ``Agent/stream(_:deadline:startedAt:)`` yields. Intermediate drafts never appear: only
/// progress, and the final answer once it is chosen.
public enum AgentEvent: Sendable {
    /// The planner made or revised its plan.
    case plan(ExecutionPlan)
    /// A step finished (its output is for progress displays and traces, not the caller's answer).
    case step(StepRecord)
    /// The chosen final answer's text.
    case answer(String)
    /// The run ended; always the last event.
    case finished(AgentResult)
}
