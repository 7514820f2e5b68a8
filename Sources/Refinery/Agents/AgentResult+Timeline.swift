import RefineryCore
extension AgentResult {
    /// A readable timeline of the run (what `--trace` prints): the plans, each step with its
    /// start, duration against its allotment, model, tokens and result, then the answer —
    /// marked `[TRUNCATED]` when it is an unfinished draft.
    public var timeline: String {
        let ms = StepSpan.milliseconds
        var lines: [String] = []
        lines.append(
            "\(outcome.rawValue) (\(stopReason.rawValue)) in \(ms(elapsed)) ms of \(ms(deadline)) ms, \(steps.count) step\(steps.count == 1 ? "" : "s"), \(generatedTokens) tokens generated"
        )
        var planIndex = 0
        func emitPlans(upTo stepIndex: Int) {
            // plans[0] precedes step 0; plans[k] (k >= 1) was made after step k - 1.
            while planIndex < plans.count, planIndex <= stepIndex {
                lines.append("  plan  \(plans[planIndex].summary)")
                planIndex += 1
            }
        }
        for (index, step) in steps.enumerated() {
            emitPlans(upTo: index)
            let start = pad("+\(ms(step.startOffset))ms", 8)
            let kind = pad(step.kind.rawValue + (step.round > 0 ? " \(step.round)" : ""), 12)
            let time = pad("\(ms(step.elapsed))/\(ms(step.allotted))ms", 14)
            let model = pad(step.model ?? "-", 14)
            var detail = "\(step.generatedTokens) tok  \(step.status.name)"
            if let verdict = step.verdict {
                detail += "  score \(format(verdict.score)) \(verdict.acceptable ? "acceptable" : "not acceptable")"
                if !verdict.issues.isEmpty { detail += ": " + verdict.issues.joined(separator: "; ") }
            }
            if let verification = step.verification {
                detail +=
                    verification.passed
                    ? "  checks passed" : "  checks failed: " + verification.failures.joined(separator: "; ")
            }
            if case .failed(let message) = step.status { detail += ": \(message)" }
            if let note = step.note { detail += "  (\(note))" }
            if !step.fallbacks.isEmpty { detail += "  [fell back: \(step.fallbacks.joined(separator: "; "))]" }
            lines.append("  \(start) \(kind) \(time) \(model) \(detail)")
            for call in step.toolCalls {
                lines.append(
                    "           tool \(call.name)(\(call.arguments.serialized())) -> \(call.result.prefix(200)) [\(ms(call.elapsed)) ms]")
            }
        }
        emitPlans(upTo: plans.count)
        let source = answerStep.map { " from step \($0 + 1)" } ?? ""
        lines.append("answer\(source)\(isPartial ? " [TRUNCATED: the first draft did not finish]" : ""):")
        lines.append(answer)
        return lines.joined(separator: "\n")
    }

    private func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }

    private func format(_ score: Double) -> String {
        score == score.rounded() ? String(Int(score)) : String(score)
    }
}
