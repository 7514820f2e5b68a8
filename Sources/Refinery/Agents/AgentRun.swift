import RefineryCore
import Tracing

/// One run of an ``Agent``: the loop that plans, runs steps under sub-deadlines, keeps the best
/// answer and decides the outcome.
struct AgentRun {
    let agent: Agent
    let input: String
    let deadline: Deadline
    let start: ContinuousClock.Instant
    let observe: (@Sendable (AgentEvent) -> Void)?

    /// One answer the run produced, with the step it came from and its score once checked.
    private struct Answer {
        var text: String
        var step: Int
        var score: Double?
        /// What the external checks said (nil: not checked by them).
        var passed: Bool?
    }

    func run() async -> AgentResult {
        let clock = agent.clock
        let budget = LatencyBudget(deadline: deadline, reserve: agent.reserve, clock: clock, label: agent.name)
        let tracer = agent.tracer ?? InstrumentationSystem.tracer
        let runSpan = tracer.startSpan(
            "refinery.agent.run", context: ServiceContext.current ?? .topLevel, ofKind: .internal)
        runSpan.attributes["refinery.agent"] = agent.name
        runSpan.attributes["refinery.deadline_ms"] = StepSpan.milliseconds(start.duration(to: deadline.instant))
        let context = StepContext(
            models: agent.models, costs: agent.costs, clock: clock, budget: budget, runStart: start,
            sessionKey: "\(agent.name)-\(UInt64.random(in: 0...UInt64.max))", tracer: tracer,
            traceContext: runSpan.context)
        let planner = LatencyPlanner(
            models: agent.models.map(\.name), costs: agent.costs,
            batchingModels: Set(agent.models.filter(\.capabilities.batching).map(\.name)))
        let useVerifiers = !agent.verifiers.isEmpty
        var planning = PlanningInput(
            promptTokens: (agent.instructions.utf8.count + input.utf8.count) / 4 + 8,
            draftTokens: agent.toolLoop?.maxTokens ?? agent.draft.maxTokens,
            critiqueTokens: agent.critique?.maxTokens ?? 0, refineTokens: agent.refine?.maxTokens,
            maxRounds: agent.stopRules.maxRounds,
            maxCandidates: agent.toolLoop == nil ? (agent.bestOfN?.maxCandidates ?? 1) : 1,
            hasCritique: agent.critique != nil && !useVerifiers,
            verifierTime: useVerifiers ? agent.verifiers.map(\.estimatedTime).max() : nil)

        var steps: [StepRecord] = []
        var plans: [ExecutionPlan] = []
        func addPlan(_ plan: ExecutionPlan) {
            plans.append(plan)
            observe?(.plan(plan))
        }
        func addStep(_ record: StepRecord) {
            steps.append(record)
            observe?(.step(record))
        }
        func finish(_ answer: Answer?, _ outcome: AgentOutcome, _ reason: StopReason) -> AgentResult {
            let result = AgentResult(
                answer: answer?.text ?? "", outcome: outcome, stopReason: reason,
                elapsed: start.duration(to: clock.now),
                deadline: start.duration(to: deadline.instant), steps: steps, plans: plans, answerStep: answer?.step,
                score: answer?.score)
            runSpan.attributes["refinery.outcome"] = outcome.rawValue
            runSpan.attributes["refinery.stop_reason"] = reason.rawValue
            runSpan.attributes["refinery.steps"] = steps.count
            runSpan.attributes["refinery.elapsed_ms"] = StepSpan.milliseconds(result.elapsed)
            runSpan.attributes["refinery.tokens.generated"] = result.generatedTokens
            if let first = plans.first { runSpan.attributes["refinery.plan"] = first.summary }
            if outcome == .failed { runSpan.setStatus(SpanStatus(code: .error, message: "no answer")) }
            runSpan.end()
            return result
        }

        // The first answer: mandatory, so it may use all the working time left.
        let first = planner.plan(planning, remaining: budget.remaining, reason: "start")
        addPlan(first)
        let cap = first.steps.first?.maxTokens ?? planning.draftTokens
        let firstDeadline = budget.workDeadline
        let firstContext = context.preferring(first.steps.first?.model)
        let firstAnswer: StepGeneration
        var current: Answer
        var history: [Answer] = []
        var checked = false
        var pickedFailures: [String] = []
        if let toolLoop = agent.toolLoop {
            let (record, generation) = await toolLoop.run(
                agent.draft.prompt(agent.instructions, input), maxTokens: cap, deadline: firstDeadline, in: firstContext
            )
            addStep(record)
            firstAnswer = generation
        } else if first.candidates > 1, let bestOfN = agent.bestOfN {
            let (record, outcome) = await bestOfN.run(
                first.candidates, draft: agent.draft, instructions: agent.instructions, input: input,
                maxTokens: cap, verifiers: agent.verifiers, deadline: firstDeadline, in: firstContext)
            addStep(record)
            firstAnswer =
                outcome.picked.map { outcome.candidates[$0] }
                ?? outcome.candidates.first
                ?? StepGeneration(
                    text: "", toolCalls: [], stats: nil, model: "", status: .cutOff, pieces: 0, fallbacks: [])
            if let picked = outcome.picked, let verification = outcome.verifications[picked] {
                // Checked by the verifiers while picking: that counts as its check.
                checked = true
                pickedFailures = verification.failures
                history.append(
                    Answer(text: firstAnswer.text, step: 0, score: verification.score, passed: verification.passed))
            }
        } else {
            // A single first answer keeps the agent's own token cap: the planner's lower estimate
            // only shapes the plan. Cutting the mandatory answer at the estimate would return it
            // truncated with time left (stale cost figures after a busy spell make the estimate
            // short); the step's deadline already bounds it.
            let (record, generation) = await agent.draft.run(
                instructions: agent.instructions, input: input, maxTokens: max(cap, agent.draft.maxTokens),
                deadline: firstDeadline, in: firstContext)
            addStep(record)
            firstAnswer = generation
        }
        if firstAnswer.text.isEmpty {
            let reason: StopReason = Task.isCancelled ? .cancelled : .firstAnswer
            return finish(nil, .failed, reason)
        }
        if firstAnswer.status != .completed {
            return finish(
                Answer(text: firstAnswer.text, step: 0), .truncated, Task.isCancelled ? .cancelled : .firstAnswer)
        }
        if history.isEmpty { history.append(Answer(text: firstAnswer.text, step: 0)) }
        current = history[0]
        if checked, current.passed == true, useVerifiers {
            return finish(current, .complete, .verified)
        }

        // Check and refine until a stop rule holds or the time is gone.
        var issues = pickedFailures
        var roundsDone = 0
        // Refinements in a row that returned the answer unchanged while its checks still failed.
        var stalls = 0
        var stop: StopReason
        loop: while true {
            if Task.isCancelled {
                stop = .cancelled
                break
            }
            planning.draftDone = true
            planning.roundsDone = roundsDone
            planning.currentChecked = checked
            planning.answerTokens = current.text.utf8.count / 4 + 1
            let last = steps[steps.count - 1]
            let plan = planner.plan(
                planning, remaining: budget.remaining,
                reason: "after \(last.kind.rawValue)\(last.round > 0 ? " \(last.round)" : "")")
            addPlan(plan)
            guard let next = plan.steps.first else {
                if roundsDone >= agent.stopRules.maxRounds {
                    stop = .roundCap
                } else if agent.refine == nil || (agent.critique == nil && !useVerifiers && checked) {
                    stop = .noRefinement
                } else {
                    stop = .deadline
                }
                break
            }
            let stepDeadline = budget.subDeadline(for: next.allotted)
            let stepContext = context.preferring(next.model)
            switch next.kind {
            case .verify:
                let (record, result) = await Verify.run(
                    agent.verifiers, answer: current.text, round: roundsDone, deadline: stepDeadline, in: stepContext)
                addStep(record)
                guard let result else {
                    stop = .deadline
                    break loop
                }
                checked = true
                current.score = result.score
                current.passed = result.passed
                history[history.count - 1].score = result.score
                history[history.count - 1].passed = result.passed
                issues = result.failures
                if result.passed {
                    stop = .verified
                    break loop
                }
            case .critique:
                guard let critique = agent.critique else {
                    stop = .noRefinement
                    break loop
                }
                let (record, verdict) = await critique.run(
                    input: input, answer: current.text, round: roundsDone, maxTokens: next.maxTokens,
                    deadline: stepDeadline, in: stepContext)
                addStep(record)
                switch record.status {
                case .cutOff:
                    stop = .deadline
                    break loop
                case .failed:
                    stop = .stepFailed
                    break loop
                case .completed: break
                }
                checked = true
                if let verdict {
                    current.score = verdict.score
                    history[history.count - 1].score = verdict.score
                    issues = verdict.issues
                    if let reason = agent.stopRules.stop(on: verdict) {
                        stop = reason
                        break loop
                    }
                } else {
                    // A malformed verdict is no judgement: nothing to refine on. (An agent with
                    // external checks never gets here: they replace the critique.)
                    stop = .noVerdict
                    break loop
                }
            case .refine:
                guard let refine = agent.refine else {
                    stop = .noRefinement
                    break loop
                }
                // After a rewrite that changed nothing, say so and sample more freely.
                var sampling = refine.sampling
                if stalls > 0 { sampling.temperature = max(sampling.temperature, 0.5) + 0.2 * Float(stalls) }
                let asked =
                    stalls > 0
                    ? issues + ["your previous rewrite was identical to this answer: change the text to fix the issues"]
                    : issues
                let (record, generation) = await refine.run(
                    instructions: agent.instructions, input: input, answer: current.text, issues: asked,
                    round: roundsDone + 1,
                    maxTokens: next.maxTokens, deadline: stepDeadline, in: stepContext, sampling: sampling)
                addStep(record)
                switch generation.status {
                case .cutOff:
                    stop = .deadline
                    break loop
                case .failed:
                    stop = .stepFailed
                    break loop
                case .completed: break
                }
                if generation.text.isEmpty {
                    stop = .stepFailed
                    break loop
                }
                roundsDone += 1
                if agent.stopRules.unchanged(generation.text, current.text) {
                    // "No change" ends the loop only when no external check is failing: an
                    // answer that fails a check by code is never done, so refinement goes on
                    // while time and rounds allow (its checks still apply: it is the same text).
                    if current.passed != false {
                        stop = .unchanged
                        break loop
                    }
                    stalls += 1
                    steps[steps.count - 1].note = "unchanged while the checks fail: refining again"
                    continue loop
                }
                stalls = 0
                current = Answer(text: generation.text, step: steps.count - 1)
                history.append(current)
                checked = false
            case .draft, .bestOfN, .toolLoop:
                stop = .noRefinement
                break loop
            }
        }
        if Task.isCancelled { stop = .cancelled }

        // The best answer: the latest, unless an earlier one scored strictly higher. An unscored
        // answer inherits the score of the one it refined.
        var inherited: Double?
        var best = history[0]
        var bestScore = -Double.infinity
        for answer in history {
            let score = answer.score ?? inherited ?? 0
            inherited = score
            if score >= bestScore {
                best = answer
                bestScore = score
            }
        }
        let refined = history.count > 1
        var outcome: AgentOutcome
        switch stop {
        case .acceptable, .scoreThreshold, .verified, .unchanged, .roundCap, .noRefinement: outcome = .complete
        case .deadline, .stepFailed, .cancelled, .firstAnswer, .noVerdict:
            outcome = refined ? .refinedPartially : .draftOnly
        }
        // An answer whose external checks fail is never complete, whatever stopped the loop.
        if outcome == .complete, useVerifiers, best.passed != true {
            outcome = refined ? .refinedPartially : .draftOnly
        }
        return finish(best, outcome, stop)
    }
}
