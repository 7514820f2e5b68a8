import RefineryCore
import Tracing

extension Agent {
    /// The agent as a composition: its first answer, then its "check, improve" loop. Both plan
    /// with the agent's ``LatencyPlanner`` (so the pipeline delegates their time to them); the
    /// first answer is mandatory and may use all the working time left.
    var composition: Pipeline<Answer, AgentProgress> {
        var pipeline = Pipeline(name, allotment: .delegated) {
            AgentFirstAnswer(agent: self)
            AgentRefinement(agent: self)
        }
        // The run's span stands for the pipeline.
        pipeline.recordsItself = false
        return pipeline
    }
}

/// One run of an ``Agent``: the run's span and context, its composition, and the result.
struct AgentRun {
    let agent: Agent
    let input: String
    let deadline: Deadline
    let start: ContinuousClock.Instant
    let observe: (@Sendable (AgentEvent) -> Void)?

    func run() async -> AgentResult {
        let clock = agent.clock
        let budget = LatencyBudget(deadline: deadline, reserve: agent.reserve, clock: clock, label: agent.name)
        let tracer = agent.tracer ?? InstrumentationSystem.tracer
        let runSpan = tracer.startSpan(
            "refinery.agent.run", context: ServiceContext.current ?? .topLevel, ofKind: .internal)
        runSpan.attributes["refinery.agent"] = agent.name
        runSpan.attributes["refinery.deadline_ms"] = StepSpan.milliseconds(start.duration(to: deadline.instant))
        let plans = PlanLog(observer: observe)
        let context = StepContext(
            models: agent.models, costs: agent.costs, clock: clock, budget: budget, runStart: start,
            sessionKey: "\(agent.name)-\(UInt64.random(in: 0...UInt64.max))", tracer: tracer,
            traceContext: runSpan.context, plans: plans)
        let task = Answer(task: input, instructions: agent.instructions)
        let outcome = await agent.composition.run(task, in: context)
        let steps = outcome.records
        let progress = outcome.output ?? AgentProgress(current: task, planning: agent.planningInput(for: task))
        let result = AgentOutcomeRules(agent: agent).result(
            progress, steps: steps, plans: plans.all, elapsed: start.duration(to: clock.now),
            deadline: start.duration(to: deadline.instant))
        finish(runSpan, result)
        return result
    }

    private func finish(_ span: any Span, _ result: AgentResult) {
        span.attributes["refinery.outcome"] = result.outcome.rawValue
        span.attributes["refinery.stop_reason"] = result.stopReason.rawValue
        span.attributes["refinery.steps"] = result.steps.count
        span.attributes["refinery.elapsed_ms"] = StepSpan.milliseconds(result.elapsed)
        span.attributes["refinery.tokens.generated"] = result.generatedTokens
        if let first = result.plans.first { span.attributes["refinery.plan"] = first.summary }
        if result.outcome == .failed { span.setStatus(SpanStatus(code: .error, message: "no answer")) }
        span.end()
    }
}

/// How an agent run's outcome is decided from how its steps ended.
struct AgentOutcomeRules {
    let agent: Agent

    func result(
        _ progress: AgentProgress, steps: [StepRecord], plans: [ExecutionPlan], elapsed: Duration, deadline: Duration
    ) -> AgentResult {
        let stop = Task.isCancelled ? .cancelled : (progress.stop ?? .deadline)
        let best = progress.best
        let outcome: AgentOutcome
        switch progress.firstAnswerEnd {
        case .failed?: outcome = .failed
        case .truncated?: outcome = .truncated
        case nil: outcome = self.outcome(stop: stop, refined: progress.history.count > 1, bestPassed: best?.passed)
        }
        // A truncated first answer is in the history as the only entry: it is the answer.
        let answer = progress.firstAnswerEnd == .failed ? nil : best
        return AgentResult(
            answer: answer?.text ?? "", outcome: outcome, stopReason: stop, elapsed: elapsed, deadline: deadline,
            steps: steps, plans: plans, answerStep: answer?.step, score: answer?.score)
    }

    /// `complete` only when the answer passed the agent's external checks; when a stop rule
    /// ended the loop without such a check vouching for the answer, `unverified`; else how far
    /// the run got. An answer whose external checks fail is never complete.
    func outcome(stop: StopReason, refined: Bool, bestPassed: Bool?) -> AgentOutcome {
        let unfinished: AgentOutcome = refined ? .refinedPartially : .draftOnly
        if stop == .cancelled { return unfinished }
        if bestPassed == true { return .complete }
        switch stop {
        case .acceptable, .scoreThreshold, .verified, .unchanged, .roundCap, .noRefinement, .noVerdict:
            return bestPassed == false ? unfinished : .unverified
        case .deadline, .stepFailed, .cancelled, .firstAnswer:
            return unfinished
        }
    }
}
