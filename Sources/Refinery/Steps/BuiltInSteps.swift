import RefineryCore

// The built-in steps as `Step<Answer, Answer>`: each reads the answer, runs by the context's
// deadline, and returns the answer it made — or, cut off or failed, the answer it was given
// (the best so far), so a composition never loses what it had.

extension Draft: Step {
    public var name: String { StepKind.draft.rawValue }

    public func estimate(in context: StepContext) -> Duration {
        context.estimate(promptTokens: 64, generatedTokens: maxTokens)
    }

    public func run(_ answer: Answer, in context: StepContext) async -> StepResult<Answer> {
        let (record, generation) = await run(
            instructions: answer.instructions, input: answer.input, maxTokens: maxTokens, deadline: context.deadline,
            in: context)
        return answer.result(of: generation, record: record)
    }
}

extension BestOfN: Step {
    public var name: String { StepKind.bestOfN.rawValue }

    public func estimate(in context: StepContext) -> Duration {
        estimate(candidates: maxCandidates, draft: Draft().estimate(in: context), in: context)
    }

    /// `candidates` drafts of `draft` time each: one batch on a batching model, one after another elsewhere.
    private func estimate(candidates: Int, draft: Duration, in context: StepContext) -> Duration {
        context.batches ? draft * (1 + 0.25 * Double(candidates - 1)) : draft * candidates
    }

    /// Drafts as many candidates as fit the time left (at most ``maxCandidates``) with a
    /// default ``Draft``, and keeps the one picked.
    public func run(_ answer: Answer, in context: StepContext) async -> StepResult<Answer> {
        let draft = Draft()
        let one = draft.estimate(in: context)
        var n = maxCandidates
        while n > 1, estimate(candidates: n, draft: one, in: context) > context.remaining { n -= 1 }
        let (record, outcome) = await run(
            n, draft: draft, instructions: answer.instructions, input: answer.input, maxTokens: draft.maxTokens,
            verifiers: [], deadline: context.deadline, in: context)
        guard let picked = outcome.picked ?? (outcome.candidates.isEmpty ? nil : 0) else {
            return StepResult(output: answer, status: record.status, records: [record])
        }
        return answer.result(of: outcome.candidates[picked], record: record)
    }
}

extension ToolLoop: Step {
    public var name: String { StepKind.toolLoop.rawValue }

    public func estimate(in context: StepContext) -> Duration {
        context.estimate(promptTokens: 256, generatedTokens: maxTokens) * 2
    }

    public func run(_ answer: Answer, in context: StepContext) async -> StepResult<Answer> {
        let (record, generation) = await run(
            Draft.defaultPrompt(answer.instructions, answer.input), maxTokens: maxTokens, deadline: context.deadline,
            in: context)
        return answer.result(of: generation, record: record)
    }
}

extension Critique: Step {
    public var name: String { StepKind.critique.rawValue }

    public func estimate(in context: StepContext) -> Duration {
        context.estimate(promptTokens: 160, generatedTokens: maxTokens)
    }

    /// Scores the answer and lists its issues; a malformed verdict leaves the answer unscored.
    public func run(_ answer: Answer, in context: StepContext) async -> StepResult<Answer> {
        let (record, verdict) = await run(
            input: answer.task, answer: answer.text, round: answer.round, maxTokens: maxTokens,
            deadline: context.deadline, in: context)
        guard let verdict else { return StepResult(output: answer, status: record.status, records: [record]) }
        var judged = answer
        judged.score = verdict.score
        judged.issues = verdict.issues
        judged.checked = true
        return .completed(judged, records: [record])
    }
}

extension Refine: Step {
    public var name: String { StepKind.refine.rawValue }

    public func estimate(in context: StepContext) -> Duration {
        context.estimate(promptTokens: 256, generatedTokens: maxTokens / 2)
    }

    /// Rewrites the answer to fix its issues; cut off or empty, the answer stays as it was.
    public func run(_ answer: Answer, in context: StepContext) async -> StepResult<Answer> {
        let (record, generation) = await run(
            instructions: answer.instructions, input: answer.input, answer: answer.text, issues: answer.issues,
            round: answer.round + 1, maxTokens: maxTokens, deadline: context.deadline, in: context)
        guard generation.status == .completed, !generation.text.isEmpty else {
            return StepResult(output: answer, status: generation.status == .completed ? .failed("empty rewrite") : generation.status, records: [record])
        }
        var rewritten = answer.rewritten(generation.text)
        rewritten.round = answer.round + 1
        return .completed(rewritten, records: [record])
    }
}

/// External checks as a step: every ``Verify`` runs on the answer; the answer comes back
/// scored, with the failures as its issues.
public struct Verification: Step {
    /// The checks.
    public var verifiers: [Verify]

    /// A step running `verifiers`.
    public init(_ verifiers: [Verify]) { self.verifiers = verifiers }

    public var name: String { StepKind.verify.rawValue }

    public func estimate(in context: StepContext) -> Duration { verifiers.map(\.estimatedTime).max() ?? .zero }

    public func run(_ answer: Answer, in context: StepContext) async -> StepResult<Answer> {
        let (record, result) = await Verify.run(
            verifiers, answer: answer, round: answer.round, deadline: context.deadline, in: context)
        guard let result else { return .cutOff(answer, records: [record]) }
        var checked = answer
        checked.score = result.score
        checked.passed = result.checks == 0 ? nil : result.passed
        checked.issues = result.failures
        checked.checked = true
        return .completed(checked, records: [record])
    }
}

extension Answer {
    /// The answer a generating step leaves: the generation's text when it finished, else this
    /// answer (with the partial text when there was none before, so a first draft cut off is
    /// still returned, marked cut off).
    func result(of generation: StepGeneration, record: StepRecord) -> StepResult<Answer> {
        if generation.status == .completed, !generation.text.isEmpty {
            return .completed(rewritten(generation.text), records: [record])
        }
        var best = self
        if text.isEmpty, !generation.text.isEmpty { best = rewritten(generation.text) }
        let status: StepStatus = generation.status == .completed ? .failed("empty answer") : generation.status
        return StepResult(output: best.text.isEmpty ? nil : best, status: status, records: [record])
    }
}
