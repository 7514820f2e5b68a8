import RefineryCore
/// Decides, from the cost figures of the models and the time left, how much of an agent's plan
/// fits: the token cap of the draft, N for best-of-N, whether a critique runs or the external
/// checks replace it, how many refinement rounds, and which model runs each step.
///
/// Models are given in order of preference: a step runs on the first model whose estimate fits
/// its share of the time, else on the model that fits the most. The first answer is mandatory —
/// without it there is nothing to return — so the draft is allotted all the time left; the
/// other steps get their estimate plus a share of the spare time in proportion to it. Agents
/// call ``plan(_:remaining:reason:)`` at the start and again after every step, with the figures
/// the finished steps taught the ``CostBook``.
public struct LatencyPlanner: Sendable {
    /// Model names, in order of preference.
    public var models: [String]
    /// Live figures.
    public var costs: CostBook
    /// Models that decode several sequences in one batch.
    public var batchingModels: Set<String>
    /// Extra time each additional candidate costs on a batching model (fraction of one draft).
    public var batchPenalty: Double

    /// A planner over `models` (in order of preference) reading `costs`.
    public init(models: [String], costs: CostBook, batchingModels: Set<String> = [], batchPenalty: Double = 0.25) {
        self.models = models
        self.costs = costs
        self.batchingModels = batchingModels
        self.batchPenalty = batchPenalty
    }

    /// Plans the rest of a run with `remaining` working time.
    public func plan(_ input: PlanningInput, remaining: Duration, reason: String) -> ExecutionPlan {
        let remaining = max(.zero, remaining)
        var best = build(input, candidates: 1, remaining: remaining, reason: reason)
        if !input.draftDone, input.maxCandidates > 1 {
            let wantedRounds = min(best.rounds, 1)
            for n in stride(from: input.maxCandidates, through: 2, by: -1) {
                let option = build(input, candidates: n, remaining: remaining, reason: reason)
                if option.rounds >= wantedRounds, option.estimatedTotal <= remaining {
                    best = option
                    break
                }
            }
        }
        return best
    }

    private func estimate(_ model: String, prompt: Int, tokens: Int) -> Duration {
        costs.cost(for: model).estimate(promptTokens: prompt, generatedTokens: tokens)
    }

    /// The first preferred model whose estimate fits `time`, else the quickest.
    private func choose(prompt: Int, tokens: Int, within time: Duration) -> (model: String, estimate: Duration)? {
        guard !models.isEmpty else { return nil }
        for model in models {
            let e = estimate(model, prompt: prompt, tokens: tokens)
            if e <= time { return (model, e) }
        }
        return models.map { ($0, estimate($0, prompt: prompt, tokens: tokens)) }.min { $0.1 < $1.1 }
    }

    private func build(_ input: PlanningInput, candidates: Int, remaining: Duration, reason: String) -> ExecutionPlan {
        var steps: [ExecutionPlan.Step] = []
        var left = remaining
        let check: ExecutionPlan.Check = input.verifierTime != nil ? .verifier : (input.hasCritique ? .critique : .none)
        var answerTokens = input.answerTokens
        if !input.draftDone {
            guard let first = firstAnswer(input, candidates: candidates, within: left) else {
                return ExecutionPlan(
                    reason: reason, remaining: remaining, candidates: candidates, rounds: 0, check: check, steps: [])
            }
            steps.append(first)
            left -= first.estimate
            answerTokens = first.maxTokens
        }
        let rounds = appendRounds(input, check: check, answerTokens: answerTokens, left: &left, to: &steps)
        spreadSpare(max(.zero, left), over: &steps)
        return ExecutionPlan(
            reason: reason, remaining: remaining, candidates: input.draftDone ? 1 : candidates,
            rounds: rounds, check: check, steps: steps)
    }

    /// The first answer's step: a draft, or best-of-N with `candidates`, on the model that fits.
    private func firstAnswer(_ input: PlanningInput, candidates: Int, within left: Duration) -> ExecutionPlan.Step? {
        guard var draft = choose(prompt: input.promptTokens, tokens: input.draftTokens, within: left) else { return nil }
        var cap = input.draftTokens
        if draft.estimate > left {
            // Not even the draft fits as asked: the model that fits the most tokens, capped to what fits.
            let fits = models.map { ($0, costs.cost(for: $0).tokens(fitting: left, promptTokens: input.promptTokens)) }
            let most = fits.max { $0.1 < $1.1 } ?? (draft.model, 0)
            cap = max(most.1, min(input.minimumDraftTokens, input.draftTokens))
            draft = (most.0, estimate(most.0, prompt: input.promptTokens, tokens: cap))
        }
        var cost = draft.estimate
        var kind = StepKind.draft
        if candidates > 1 {
            kind = .bestOfN
            let factor =
                batchingModels.contains(draft.model) ? 1 + batchPenalty * Double(candidates - 1) : Double(candidates)
            cost = draft.estimate * factor
            if let verifierTime = input.verifierTime {
                cost += verifierTime * candidates
            } else {
                cost += estimate(draft.model, prompt: input.promptTokens + candidates * cap, tokens: 16)
            }
        }
        return .init(kind: kind, round: 0, model: draft.model, maxTokens: cap, estimate: cost, allotted: left)
    }

    /// Appends the check of the current answer and as many rounds of refine-and-check as fit,
    /// returning the rounds planned.
    private func appendRounds(
        _ input: PlanningInput, check: ExecutionPlan.Check, answerTokens: Int, left: inout Duration,
        to steps: inout [ExecutionPlan.Step]
    ) -> Int {
        let checkPrompt = input.promptTokens + answerTokens + 80
        // The refine prompt carries the issues: a critique's verdict, or a few lines of failures.
        let issueTokens = check == .critique ? input.critiqueTokens : 24
        let refinePrompt = input.promptTokens + answerTokens + issueTokens + 40
        // A rewrite is about as long as the answer it rewrites (a quarter more, to be safe), up to
        // its cap: planning every round at the full cap would leave most of the deadline unused.
        let refineExpected = input.refineTokens.map { min($0, max(16, answerTokens + answerTokens / 4)) }
        func checkStep(round: Int, within time: Duration) -> ExecutionPlan.Step? {
            switch check {
            case .none: return nil
            case .verifier:
                let e = input.verifierTime ?? .zero
                return .init(kind: .verify, round: round, model: nil, maxTokens: 0, estimate: e, allotted: e)
            case .critique:
                guard let c = choose(prompt: checkPrompt, tokens: input.critiqueTokens, within: time) else { return nil }
                return .init(
                    kind: .critique, round: round, model: c.model, maxTokens: input.critiqueTokens,
                    estimate: c.estimate, allotted: c.estimate)
            }
        }
        let needsCheck = input.draftDone ? !input.currentChecked : true
        if needsCheck, let first = checkStep(round: input.roundsDone, within: left) {
            guard first.estimate <= left else { return 0 }
            steps.append(first)
            left -= first.estimate
        }
        guard let refineTokens = input.refineTokens, let refineExpected else { return 0 }
        var rounds = 0
        while rounds < max(0, input.maxRounds - input.roundsDone) {
            let round = input.roundsDone + rounds + 1
            guard let refine = choose(prompt: refinePrompt, tokens: refineExpected, within: left) else { break }
            let next = checkStep(round: round, within: left - refine.estimate)
            let need = refine.estimate + (next?.estimate ?? .zero)
            guard need <= left else { break }
            steps.append(
                .init(
                    kind: .refine, round: round, model: refine.model, maxTokens: refineTokens,
                    estimate: refine.estimate, allotted: refine.estimate))
            if let next { steps.append(next) }
            left -= need
            rounds += 1
        }
        return rounds
    }

    /// Spreads the spare time over the optional steps in proportion to their estimates.
    private func spreadSpare(_ spare: Duration, over steps: inout [ExecutionPlan.Step]) {
        let optional = steps.indices.filter { steps[$0].kind != .draft && steps[$0].kind != .bestOfN }
        let optionalTotal = optional.reduce(Duration.zero) { $0 + steps[$1].estimate }
        guard optionalTotal > .zero else { return }
        for index in optional {
            steps[index].allotted = steps[index].estimate + spare * (steps[index].estimate / optionalTotal)
        }
    }
}
