import RefineryCore
import Refinery

/// The text an agent's plans and steps are shown as in `reasoning_content`: what the client
/// would have seen had the model thought aloud — the plan, then each step's result.
enum AgentReasoning {
    /// Outputs longer than this are cut (with `…`): reasoning is for following along, and the
    /// trace (`refinery.trace`) has everything.
    static let outputLimit = 4000

    /// The text for one event of a run, or nil for the answer and the end (sent as content).
    static func text(for event: AgentEvent) -> String? {
        switch event {
        case .plan(let plan): "Plan (\(plan.summary))\n\n"
        case .step(let step): text(for: step)
        case .answer, .finished: nil
        }
    }

    /// A step's heading line (kind, round, model, time, tokens, how it ended, its verdict or
    /// checks), then what it produced.
    static func text(for step: StepRecord) -> String {
        let kind = step.kind.rawValue.replacing("_", with: " ")
        var heading = kind.prefix(1).uppercased() + kind.dropFirst()
        if step.round > 0 { heading += " \(step.round)" }
        var facts: [String] = []
        if let model = step.model { facts.append(model) }
        facts.append("\(milliseconds(step.elapsed)) ms")
        if step.generatedTokens > 0 { facts.append("\(step.generatedTokens) tokens") }
        switch step.status {
        case .completed: break
        case .cutOff: facts.append("cut off")
        case .failed(let message): facts.append("failed: \(message)")
        }
        var lines = ["\(heading) (\(facts.joined(separator: ", ")))"]
        if let verdict = step.verdict {
            let score = verdict.score == verdict.score.rounded() ? String(Int(verdict.score)) : String(verdict.score)
            var line = "Score \(score)/10, \(verdict.acceptable ? "acceptable" : "not acceptable")"
            if !verdict.issues.isEmpty { line += ": " + verdict.issues.joined(separator: "; ") }
            lines.append(line)
        } else if let verification = step.verification {
            lines.append(verification.passed
                ? "Checks passed (\(verification.passedChecks) of \(verification.checks))"
                : "Checks failed: " + verification.failures.joined(separator: "; "))
        } else if !step.output.isEmpty {
            lines.append(step.output.count > outputLimit ? String(step.output.prefix(outputLimit)) + "…" : step.output)
        }
        if let note = step.note { lines.append("(\(note))") }
        return lines.joined(separator: "\n") + "\n\n"
    }
}
