import RefineryCore
/// How an agent run ended, from the caller's point of view.
///
/// Only ``complete`` says the answer was checked by something other than the model itself.
/// A service that branches on the outcome should treat ``unverified``, ``refinedPartially``,
/// ``draftOnly`` and ``truncated`` as "an answer, not known to be right", and ``failed`` as
/// "no answer" (``isVerified`` and ``hasAnswer`` say which).
public enum AgentOutcome: String, Sendable, Hashable, Codable, CaseIterable {
    /// The answer passed every external check the agent has (tests, a tool's result, a schema
    /// and its grounding in the source — never only the model's opinion of itself), and at
    /// least one such check applied to it.
    case complete
    /// The agent finished its work — a stop rule held, or it had nothing left to run — but no
    /// external check vouches for the answer: the agent has none, none applied to this answer,
    /// or only the model's own critique approved it.
    case unverified
    /// At least one refinement finished, but the deadline (or a failing step) stopped the rest,
    /// or the answer still fails the agent's external checks.
    case refinedPartially = "refined_partially"
    /// The first answer finished, but no refinement did (or none changed it), and it was not
    /// judged done: the time ran out, a check step failed, or its external checks still fail.
    case draftOnly = "draft_only"
    /// Even the first answer could not finish: the answer is the partial draft, clearly marked.
    case truncated
    /// No answer at all (every model failed, or nothing was generated in time).
    case failed

    /// Whether external checks vouch for the answer (only ``complete``).
    public var isVerified: Bool { self == .complete }
    /// Whether there is an answer at all (every outcome but ``failed``).
    public var hasAnswer: Bool { self != .failed }
}

/// Why the refinement loop stopped.
public enum StopReason: String, Sendable, Hashable, Codable {
    /// A critique said the answer is acceptable.
    case acceptable
    /// A critique's score reached the threshold.
    case scoreThreshold = "score_threshold"
    /// The external checks passed.
    case verified
    /// A refinement returned the answer unchanged (and no external check was failing).
    case unchanged
    /// The round cap was reached.
    case roundCap = "round_cap"
    /// The agent has no check or refinement steps, or nothing left to run after its checks.
    case noRefinement = "no_refinement"
    /// The time left did not allow another step, or a step was cut off at its sub-deadline.
    case deadline
    /// A step failed on every model.
    case stepFailed = "step_failed"
    /// The critique's output was not a valid verdict: with no judgement there is nothing to
    /// refine on.
    case noVerdict = "no_verdict"
    /// The first answer was cut off or failed.
    case firstAnswer = "first_answer"
    /// The caller cancelled the run.
    case cancelled
}
