import RefineryCore

/// An agent's "check, improve" loop after its first answer: external checks (``Verify``, trusted
/// over self-critique and replacing it) or a ``Critique``, then a ``Refine``, until a
/// ``StopRules`` rule holds or the time is gone. The agent's ``LatencyPlanner`` re-plans after
/// every step from the figures the finished steps taught the ``CostBook``.
struct AgentRefinement: Step {
    let agent: Agent

    var name: String { "refinement" }

    func estimate(in context: StepContext) -> Duration {
        var planning = agent.planningInput(for: Answer(task: ""))
        planning.draftDone = true
        return agent.planner.plan(planning, remaining: context.remaining, reason: "estimate").estimatedTotal
    }

    func run(_ input: AgentProgress, in context: StepContext) async -> StepResult<AgentProgress> {
        var progress = input
        var records: [StepRecord] = []
        var lastStep = "draft"
        while progress.stop == nil {
            if Task.isCancelled {
                progress.stop = .cancelled
                break
            }
            progress.planning.draftDone = true
            progress.planning.currentChecked = progress.current.checked
            progress.planning.answerTokens = progress.current.text.utf8.count / 4 + 1
            let plan = agent.planner.plan(progress.planning, remaining: context.budget.remaining, reason: "after \(lastStep)")
            context.plans?.add(plan)
            guard let next = plan.steps.first else {
                progress.stop = stopWithoutSteps(progress)
                break
            }
            let stepContext = context.preferring(next.model).ending(at: context.budget.subDeadline(for: next.allotted))
            let record = await runStep(next, &progress, in: stepContext)
            if let record {
                records.append(record)
                progress.stepsRun += 1
                context.plans?.stepFinished(record)
                lastStep = "\(record.kind.rawValue)\(record.round > 0 ? " \(record.round)" : "")"
            }
        }
        if Task.isCancelled { progress.stop = .cancelled }
        return .completed(progress, records: records)
    }

    /// Why the loop ends when the plan has no step left.
    private func stopWithoutSteps(_ progress: AgentProgress) -> StopReason {
        if progress.planning.roundsDone >= agent.stopRules.maxRounds { return .roundCap }
        if agent.refine == nil || (agent.critique == nil && agent.verifiers.isEmpty && progress.current.checked) {
            return .noRefinement
        }
        return .deadline
    }

    /// Runs the planned step, updating `progress` (its `stop` when the loop must end).
    private func runStep(_ next: ExecutionPlan.Step, _ progress: inout AgentProgress, in context: StepContext) async
        -> StepRecord?
    {
        switch (next.kind, agent.critique, agent.refine) {
        case (.verify, _, _): return await verify(&progress, in: context)
        case (.critique, let critique?, _): return await run(critique, next, &progress, in: context)
        case (.refine, _, let refine?): return await run(refine, next, &progress, in: context)
        default:
            progress.stop = .noRefinement
            return nil
        }
    }

    private func verify(_ progress: inout AgentProgress, in context: StepContext) async -> StepRecord {
        let (record, result) = await Verify.run(
            agent.verifiers, answer: progress.current, round: progress.planning.roundsDone,
            deadline: context.deadline, in: context)
        guard let result else {
            progress.stop = .deadline
            return record
        }
        progress.setCheck(result)
        // Checks that all passed vouch for the answer; checks that did not apply leave it
        // unverified, with nothing to refine on.
        if result.passed { progress.stop = result.checks > 0 ? .verified : .noRefinement }
        return record
    }

    private func run(
        _ critique: Critique, _ next: ExecutionPlan.Step, _ progress: inout AgentProgress, in context: StepContext
    ) async -> StepRecord {
        let (critiqueRecord, verdict) = await critique.run(
            input: progress.current.task, answer: progress.current.text, round: progress.planning.roundsDone,
            maxTokens: next.maxTokens, deadline: context.deadline, in: context)
        var record = critiqueRecord
        switch record.status {
        case .cutOff: progress.stop = .deadline
        case .failed: progress.stop = .stepFailed
        case .completed:
            guard let verdict else {
                // A malformed verdict is no judgement: nothing to refine on. (An agent with
                // external checks never gets here: they replace the critique.)
                progress.current.checked = true
                progress.stop = .noVerdict
                return record
            }
            if let reason = agent.stopRules.distrust(verdict) {
                // A verdict that contradicts itself is no judgement: refine on the concrete
                // problems it names, if any, without taking its score.
                record.note = "verdict not trusted: \(reason)"
                progress.setCheck(score: nil, passed: progress.current.passed, issues: verdict.concreteIssues)
                if verdict.concreteIssues.isEmpty { progress.stop = .noVerdict }
                return record
            }
            progress.setCheck(score: verdict.score, passed: progress.current.passed, issues: verdict.concreteIssues)
            progress.stop = agent.stopRules.stop(on: verdict)
        }
        return record
    }

    private func run(
        _ refine: Refine, _ next: ExecutionPlan.Step, _ progress: inout AgentProgress, in context: StepContext
    ) async -> StepRecord {
        // After a rewrite that changed nothing, sample more freely and write afresh: a small
        // model shown its answer tends to copy it again, issues and all.
        var refine = refine
        var sampling = refine.sampling
        let stalls = progress.stalls
        if stalls > 0 {
            sampling.temperature = max(sampling.temperature, 0.5) + 0.2 * Float(stalls)
            refine.prompt = Refine.afreshPrompt
        }
        let issues = progress.current.issues
        var (record, raw) = await refine.run(
            instructions: agent.instructions, input: progress.current.input, answer: progress.current.text,
            issues: issues, round: progress.planning.roundsDone + 1, maxTokens: next.maxTokens,
            deadline: context.deadline, in: context, sampling: sampling)
        let (generation, repaired) = await agent.finish(raw)
        if repaired { record.note = "cut at its token cap; the agent's postprocess finished it" }
        switch generation.status {
        case .cutOff: progress.stop = .deadline
        case .failed: progress.stop = .stepFailed
        case .completed where generation.text.isEmpty: progress.stop = .stepFailed
        case .completed: accept(generation.text, &progress, record: &record)
        }
        return record
    }

    /// Takes a finished rewrite: a new answer, or "no change" (which ends the loop only when no
    /// external check is failing: an answer that fails a check by code is never done, so
    /// refinement goes on while time and rounds allow).
    private func accept(_ text: String, _ progress: inout AgentProgress, record: inout StepRecord) {
        progress.planning.roundsDone += 1
        if agent.stopRules.unchanged(text, progress.current.text) {
            if progress.current.passed != false {
                progress.stop = .unchanged
            } else {
                progress.stalls += 1
                record.note = "unchanged while the checks fail: refining again"
            }
            return
        }
        progress.stalls = 0
        progress.current = progress.current.rewritten(text)
        progress.current.round = progress.planning.roundsDone
        progress.currentStep = progress.stepsRun
        progress.history.append(AgentProgress.Entry(text: text, step: progress.stepsRun))
    }
}
