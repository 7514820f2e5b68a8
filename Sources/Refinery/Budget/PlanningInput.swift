import RefineryCore
/// What the planner needs to know about an agent and the state of its run.
public struct PlanningInput: Sendable, Hashable {
    /// Estimated tokens of the task prompt (instructions and input).
    public var promptTokens: Int
    /// Token cap a draft asks for.
    public var draftTokens: Int
    /// A draft below this cap is not worth starting as planned (it is still run, with all the time left).
    public var minimumDraftTokens: Int
    /// Token cap of a critique.
    public var critiqueTokens: Int
    /// Token cap of a refine step (nil: the agent does not refine).
    public var refineTokens: Int?
    /// Refinement rounds at most.
    public var maxRounds: Int
    /// Best-of-N candidates at most (1: no best-of-N).
    public var maxCandidates: Int
    /// Whether the agent has a critique step.
    public var hasCritique: Bool
    /// Estimated time of its external checks (nil: none).
    public var verifierTime: Duration?
    /// Whether the first answer exists already.
    public var draftDone: Bool
    /// Refinement rounds done.
    public var roundsDone: Int
    /// Whether the current answer has been checked already.
    public var currentChecked: Bool
    /// Estimated tokens of the current answer.
    public var answerTokens: Int

    /// The state of a run, for the planner.
    public init(
        promptTokens: Int, draftTokens: Int, minimumDraftTokens: Int = 16, critiqueTokens: Int = 160,
        refineTokens: Int?,
        maxRounds: Int, maxCandidates: Int = 1, hasCritique: Bool, verifierTime: Duration? = nil,
        draftDone: Bool = false,
        roundsDone: Int = 0, currentChecked: Bool = false, answerTokens: Int = 0
    ) {
        self.promptTokens = promptTokens
        self.draftTokens = draftTokens
        self.minimumDraftTokens = minimumDraftTokens
        self.critiqueTokens = critiqueTokens
        self.refineTokens = refineTokens
        self.maxRounds = maxRounds
        self.maxCandidates = maxCandidates
        self.hasCritique = hasCritique
        self.verifierTime = verifierTime
        self.draftDone = draftDone
        self.roundsDone = roundsDone
        self.currentChecked = currentChecked
        self.answerTokens = answerTokens
    }
}
