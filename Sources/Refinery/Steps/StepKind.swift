import RefineryCore
/// What a step of an agent run does.
public enum StepKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// A first answer.
    case draft
    /// The model judges an answer and returns a typed ``Verdict``.
    case critique
    /// The answer rewritten to address a critique's or a verifier's issues.
    case refine
    /// Several drafts at once, one of them picked.
    case bestOfN = "best_of_n"
    /// External checks (tests, schema validation...) on an answer.
    case verify
    /// Act with tools, observe their results, repeat, then answer.
    case toolLoop = "tool_loop"
}

/// How a step ended.
public enum StepStatus: Sendable, Hashable {
    /// The step ran to its end.
    case completed
    /// Its sub-deadline passed (or the run was cancelled); its output is partial.
    case cutOff
    /// It failed on every model it tried; the message says why.
    case failed(String)

    /// A short name for traces and JSON: `completed`, `cut_off` or `failed`.
    public var name: String {
        switch self {
        case .completed: "completed"
        case .cutOff: "cut_off"
        case .failed: "failed"
        }
    }
}
