import RefineryCore
import Foundation

/// What an agent's steps hand each other: the current answer, every answer so far with its
/// scores (the best is returned), the planning state, and why the run stopped once it has.
struct AgentProgress: Sendable {
    /// One answer the run produced, with the step it came from and its score once checked.
    struct Entry: Sendable {
        var text: String
        var step: Int
        var score: Double?
        /// What the external checks said (nil: not checked by them).
        var passed: Bool?
    }

    /// How the mandatory first answer ended, when it did not finish.
    enum FirstAnswerEnd: Sendable {
        /// Nothing at all came back.
        case failed
        /// It was cut off: the partial text is the answer.
        case truncated
    }

    var current: Answer
    var history: [Entry] = []
    /// The step index of the current answer (in the run's steps).
    var currentStep = 0
    /// Steps run so far.
    var stepsRun = 0
    var planning: PlanningInput
    var firstAnswerEnd: FirstAnswerEnd?
    /// Why the refinement loop stopped (nil: it has not).
    var stop: StopReason?
    /// Refinements in a row that returned the answer unchanged while its checks still failed.
    var stalls = 0

    /// Records what the external checks said. A result with no check that applied (`checks`
    /// 0) vouches for nothing: the answer stays unverified.
    mutating func setCheck(_ result: VerificationResult) {
        setCheck(score: result.score, passed: result.checks == 0 ? nil : result.passed, issues: result.failures)
    }

    /// Records `score` and `passed` on the current answer and its history entry.
    mutating func setCheck(score: Double?, passed: Bool?, issues: [String]) {
        current.score = score
        current.passed = passed
        current.issues = issues
        current.checked = true
        guard !history.isEmpty else { return }
        history[history.count - 1].score = score
        history[history.count - 1].passed = passed
    }

    /// The best answer: the latest, unless an earlier one scored strictly higher. An unscored
    /// answer inherits the score of the one it refined.
    var best: Entry? {
        var inherited: Double?
        var best = history.first
        var bestScore = -Double.infinity
        for entry in history {
            let score = entry.score ?? inherited ?? 0
            inherited = score
            if score >= bestScore {
                best = entry
                bestScore = score
            }
        }
        return best
    }
}

extension Agent {
    /// `generation` finished by the agent's ``Agent/postprocess``: a completed text is
    /// postprocessed; a text cut at its token cap (not by the deadline) becomes a completed
    /// answer when the postprocess repairs it — cuts it back to whole sentences, say — and
    /// stays cut off when it leaves it as it was.
    func finish(_ generation: StepGeneration) async -> (generation: StepGeneration, repaired: Bool) {
        guard let postprocess else { return (generation, false) }
        var finished = generation
        switch generation.status {
        case .completed:
            finished.text = await postprocess(generation.text)
            return (finished, false)
        case .cutOff where generation.hitTokenCap && !generation.text.isEmpty:
            let repaired = await postprocess(generation.text)
            guard repaired.trimmingCharacters(in: .whitespacesAndNewlines)
                != generation.text.trimmingCharacters(in: .whitespacesAndNewlines)
            else { return (generation, false) }
            finished.text = repaired
            finished.status = .completed
            return (finished, true)
        default:
            return (generation, false)
        }
    }

    /// What the planner needs to know about this agent on `answer`.
    func planningInput(for answer: Answer) -> PlanningInput {
        let useVerifiers = !verifiers.isEmpty
        return PlanningInput(
            promptTokens: (instructions.utf8.count + answer.input.utf8.count) / 4 + 8,
            draftTokens: toolLoop?.maxTokens ?? draft.maxTokens,
            critiqueTokens: critique?.maxTokens ?? 0, refineTokens: refine?.maxTokens,
            maxRounds: stopRules.maxRounds,
            maxCandidates: toolLoop == nil ? (bestOfN?.maxCandidates ?? 1) : 1,
            hasCritique: critique != nil && !useVerifiers,
            verifierTime: useVerifiers ? verifiers.map(\.estimatedTime).max() : nil)
    }

    /// The agent's planner over its models.
    var planner: LatencyPlanner {
        LatencyPlanner(
            models: models.map(\.name), costs: costs,
            batchingModels: Set(models.filter(\.capabilities.batching).map(\.name)))
    }
}
