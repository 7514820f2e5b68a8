import RefineryCore

/// An agent's first answer — a ``ToolLoop`` when it acts with tools, a ``BestOfN`` when the
/// planner finds time for several candidates, else a ``Draft`` — planned by the agent's
/// ``LatencyPlanner``. The first answer is mandatory: without it there is nothing to return,
/// so it may use all the working time left.
struct AgentFirstAnswer: Step {
    let agent: Agent

    var name: String { "first_answer" }

    func estimate(in context: StepContext) -> Duration {
        let planning = agent.planningInput(for: Answer(task: ""))
        return agent.planner.plan(planning, remaining: context.remaining, reason: "estimate").steps.first?.estimate
            ?? .zero
    }

    func run(_ task: Answer, in context: StepContext) async -> StepResult<AgentProgress> {
        var answer = task
        var progress = AgentProgress(current: answer, planning: agent.planningInput(for: answer))
        let plan = agent.planner.plan(progress.planning, remaining: context.budget.remaining, reason: "start")
        context.plans?.add(plan)
        let cap = plan.steps.first?.maxTokens ?? progress.planning.draftTokens
        let stepContext = context.preferring(plan.steps.first?.model).ending(at: context.budget.workDeadline)
        var (record, raw, verification) = await generate(
            answer, candidates: plan.candidates, cap: cap, in: stepContext)
        let (generation, repaired) = await agent.finish(raw)
        // When the postprocess changed the text, what the verifiers checked while picking is not
        // the answer (and checks may depend on what picking learned): check the finished answer
        // again. An unchanged text keeps its check.
        if agent.postprocess != nil, generation.text != raw.text || generation.status != raw.status { verification = nil }
        if repaired { record.note = [record.note, "cut at its token cap; the agent's postprocess finished it"].compactMap { $0 }.joined(separator: "; ") }
        context.plans?.stepFinished(record)
        progress.stepsRun = 1
        // The tools' results are facts the answer rests on: checks and rewrites see them.
        if !record.toolCalls.isEmpty { answer.notes.append(ToolCallRecord.notes(record.toolCalls)) }
        guard !generation.text.isEmpty else {
            progress.firstAnswerEnd = .failed
            progress.stop = Task.isCancelled ? .cancelled : .firstAnswer
            return StepResult(output: progress, status: generation.status, records: [record])
        }
        progress.current = answer.rewritten(generation.text)
        progress.history = [AgentProgress.Entry(text: generation.text, step: 0)]
        guard generation.status == .completed else {
            progress.firstAnswerEnd = .truncated
            progress.stop = Task.isCancelled ? .cancelled : .firstAnswer
            return StepResult(output: progress, status: generation.status, records: [record])
        }
        if let verification {
            // Checked by the verifiers while picking: that counts as its check.
            progress.setCheck(verification)
            if verification.passed, verification.checks > 0, !agent.verifiers.isEmpty { progress.stop = .verified }
        }
        return .completed(progress, records: [record])
    }

    /// Runs the tool loop, best-of-N or draft, returning the picked candidate's check when the
    /// verifiers checked it while picking.
    private func generate(
        _ answer: Answer, candidates: Int, cap: Int, in context: StepContext
    ) async -> (StepRecord, StepGeneration, VerificationResult?) {
        let deadline = context.deadline
        if let toolLoop = agent.toolLoop {
            let (record, generation) = await toolLoop.run(
                agent.draft.prompt(agent.instructions, answer.input), maxTokens: max(cap, toolLoop.maxTokens), deadline: deadline, in: context)
            return (record, generation, nil)
        }
        if candidates > 1, let bestOfN = agent.bestOfN {
            let (record, outcome) = await bestOfN.run(
                candidates, draft: agent.draft, instructions: agent.instructions, input: answer.input,
                maxTokens: max(cap, agent.draft.maxTokens),
                verifiers: agent.verifiers, deadline: deadline, in: context)
            let picked = outcome.picked.map { outcome.candidates[$0] } ?? outcome.candidates.first
            let empty = StepGeneration(
                text: "", toolCalls: [], stats: nil, model: "", status: .cutOff, pieces: 0, fallbacks: [])
            return (record, picked ?? empty, outcome.picked.flatMap { outcome.verifications[$0] })
        }
        // The first answer keeps the agent's own token cap: the planner's lower estimate only
        // shapes the plan. Cutting the mandatory answer at the estimate would return it
        // truncated with time left (stale cost figures after a busy spell make the estimate
        // short); the step's deadline already bounds it.
        let (record, generation) = await agent.draft.run(
            instructions: agent.instructions, input: answer.input, maxTokens: max(cap, agent.draft.maxTokens),
            deadline: deadline, in: context)
        return (record, generation, nil)
    }
}
