import RefineryCore
extension AgentResult {
    /// The result as JSON (what `--json` prints): `answer`, `outcome`, `stop_reason`,
    /// `partial`, `elapsed_ms`, `deadline_ms`, `score`, `steps` (each with `kind`, `round`,
    /// `model`, `status`, `start_ms`, `elapsed_ms`, `allotted_ms`, `prompt_tokens`,
    /// `generated_tokens`, and `verdict`, `verification`, `tool_calls` (`name`, `arguments`, `result`, `elapsed_ms`),
    /// `fallbacks`, `note` where present, and
    /// `steps` — the steps it ran inside it, a sub-agent's for instance — where it has any),
    /// and `plans` (each with `reason`, `remaining_ms`, `candidates`, `rounds`, `check`, `steps`).
    /// Prompts and step outputs are included only with `includeText`.
    public func json(includeText: Bool = false) -> JSONValue {
        let ms = { (d: Duration) -> JSONValue in .int(Int64(StepSpan.milliseconds(d))) }
        let steps = self.steps.map { $0.json(includeText: includeText) }
        let plans: [JSONValue] = self.plans.map { plan in
            [
                "reason": .string(plan.reason),
                "remaining_ms": ms(plan.remaining),
                "candidates": .int(Int64(plan.candidates)),
                "rounds": .int(Int64(plan.rounds)),
                "check": .string(plan.check.rawValue),
                "steps": .array(
                    plan.steps.map { step in
                        [
                            "kind": .string(step.kind.rawValue),
                            "round": .int(Int64(step.round)),
                            "model": step.model.map(JSONValue.string) ?? .null,
                            "max_tokens": .int(Int64(step.maxTokens)),
                            "estimate_ms": ms(step.estimate),
                            "allotted_ms": ms(step.allotted),
                        ]
                    }),
            ]
        }
        return [
            "answer": .string(answer),
            "outcome": .string(outcome.rawValue),
            "stop_reason": .string(stopReason.rawValue),
            "partial": .bool(isPartial),
            "elapsed_ms": ms(elapsed),
            "deadline_ms": ms(deadline),
            "score": score.map(JSONValue.double) ?? .null,
            "steps": .array(steps),
            "plans": .array(plans),
        ]
    }
}

extension StepRecord {
    /// The record as JSON (one element of ``AgentResult/json(includeText:)``'s `steps`), its
    /// nested steps included.
    public func json(includeText: Bool = false) -> JSONValue {
        let ms = { (d: Duration) -> JSONValue in .int(Int64(StepSpan.milliseconds(d))) }
        let step = self
        var fields: [(key: String, value: JSONValue)] = [
            ("kind", .string(step.kind.rawValue)),
            ("round", .int(Int64(step.round))),
            ("model", step.model.map(JSONValue.string) ?? .null),
            ("status", .string(step.status.name)),
            ("start_ms", ms(step.startOffset)),
            ("elapsed_ms", ms(step.elapsed)),
            ("allotted_ms", ms(step.allotted)),
            ("prompt_tokens", .int(Int64(step.promptTokens))),
            ("generated_tokens", .int(Int64(step.generatedTokens))),
        ]
        if case .failed(let message) = step.status { fields.append(("error", .string(message))) }
        if let verdict = step.verdict {
            fields.append(
                (
                    "verdict",
                    [
                        "score": .double(verdict.score),
                        "issues": .array(verdict.issues.map(JSONValue.string)),
                        "acceptable": .bool(verdict.acceptable),
                    ]
                ))
        }
        if let verification = step.verification {
            fields.append(
                (
                    "verification",
                    [
                        "passed": .bool(verification.passed),
                        "failures": .array(verification.failures.map(JSONValue.string)),
                    ]
                ))
        }
        if !step.toolCalls.isEmpty {
            let calls: [JSONValue] = step.toolCalls.map { call in
                [
                    "name": .string(call.name), "arguments": call.arguments, "result": .string(call.result),
                    "elapsed_ms": ms(call.elapsed),
                ]
            }
            fields.append(("tool_calls", .array(calls)))
        }
        if !step.fallbacks.isEmpty { fields.append(("fallbacks", .array(step.fallbacks.map(JSONValue.string)))) }
        if let note = step.note { fields.append(("note", .string(note))) }
        if includeText {
            fields.append(("prompt", .string(step.prompt)))
            fields.append(("output", .string(step.output)))
        }
        if !step.steps.isEmpty { fields.append(("steps", .array(step.steps.map { $0.json(includeText: includeText) }))) }
        return .object(fields)
    }
}
