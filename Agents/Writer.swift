import RefineryCore
import Refinery

/// The `writer` agent: writes to the constraints stated in the request and refines until they
/// hold. The constraints (word and sentence counts, words to use — some an exact number of
/// times — or avoid, quoted in double or single quotes) are checked by code; the model's own
/// opinion of its work is not trusted where a check exists, and a request with no constraint
/// the code can check ends `unverified` at best.
public enum Writer {
    /// One line for `refinery agents`.
    public static let summary =
        "Writes to stated constraints (words, sentences, words to use or avoid) and refines until code says they hold."

    /// A writer for `request` on `model` (and `fallbacks`), with constraints read from the request.
    public static func agent(
        for request: String, model: any LanguageModel, fallbacks: [any LanguageModel] = [],
        costs: CostBook = CostBook(),
        clock: any DeadlineClock = ContinuousClock()
    ) -> Agent {
        let constraints = WritingConstraints(parsing: request)
        let maxTokens = min(1024, max(64, (constraints.maxWords ?? 150) * 2))
        var instructions = "You are a careful writer. Reply with the text only, no preamble."
        if !constraints.isEmpty { instructions += " " + constraints.instructions }
        let verifiers: [Verify] =
            constraints.isEmpty
            ? []
            : [
                // Checked as the postprocess will leave it, so best-of-N picks a candidate a cut
                // can fix over one it cannot.
                Verify("constraints", estimatedTime: .milliseconds(1)) { text, _ in
                    let problems = constraints.violations(of: constraints.repaired(text))
                    let checks = constraints.count
                    return VerificationResult(
                        passed: problems.isEmpty, failures: problems, checks: checks,
                        passedChecks: checks - problems.count)
                }
            ]
        // A local model cannot write a forbidden word at all: the tokens that start it are banned
        // (single words only, and none that would also ban a word the request asks for).
        let required = constraints.requiredWords + constraints.exactCounts.map(\.word)
        let avoidWords = constraints.forbiddenWords.filter { word in
            !word.contains(" ") && !required.contains { $0.lowercased().hasPrefix(word.lowercased()) }
        }
        return Agent(
            name: "writer", instructions: instructions, model: model, fallbacks: fallbacks,
            draft: Draft(maxTokens: maxTokens, sampling: SamplingParameters(temperature: 0.7), avoidWords: avoidWords),
            bestOfN: constraints.isEmpty ? nil : BestOfN(maxCandidates: 3),
            critique: Critique(rubric: "The text does what was asked, clearly and well.", maxTokens: 120),
            verifiers: verifiers, refine: Refine(maxTokens: maxTokens, avoidWords: avoidWords),
            stopRules: StopRules(scoreThreshold: 8, maxRounds: 5),
            postprocess: constraints.isEmpty ? nil : { @Sendable in constraints.repaired($0) }, costs: costs, clock: clock)
    }
}
