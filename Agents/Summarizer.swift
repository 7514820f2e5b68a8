import RefineryCore
import Refinery

/// The `summarizer` agent: summarizes a text within a word limit and covering its key terms.
/// Both are checked by code — the word count, and that the summary mentions the text's most
/// frequent content words — and the summary is refined until they hold.
public enum Summarizer {
    /// One line for `refinery agents`.
    public static let summary = "Summarizes text within a word limit, checked for length and coverage of its key terms."

    /// A summarizer for `text` on `model`: at most a third of its length (10 to 80 words), and
    /// mentioning its `keyTerms` most frequent content words.
    public static func agent(
        for text: String, model: any LanguageModel, keyTerms: Int = 3, costs: CostBook = CostBook(),
        clock: any DeadlineClock = ContinuousClock()
    ) -> Agent {
        let limit = wordLimit(for: text)
        let terms = Self.keyTerms(of: text, count: keyTerms)
        let constraints = WritingConstraints(maxWords: limit, requiredWords: terms)
        let instructions =
            "Summarize the user's text in at most \(limit) words. Mention "
            + terms.map { "\"\($0)\"" }.joined(separator: ", ") + ". Reply with the summary only."
        return Agent(
            name: "summarizer", instructions: instructions, model: model,
            draft: Draft(maxTokens: limit * 2 + 16, sampling: SamplingParameters(temperature: 0.3)),
            bestOfN: BestOfN(maxCandidates: 3),
            verifiers: [
                Verify("length and coverage", estimatedTime: .milliseconds(1)) { answer, _ in
                    let problems = constraints.violations(of: answer)
                    let checks = 1 + terms.count
                    return VerificationResult(
                        passed: problems.isEmpty, failures: problems, checks: checks,
                        passedChecks: checks - problems.count)
                }
            ],
            refine: Refine(maxTokens: limit * 2 + 16), stopRules: StopRules(maxRounds: 3), costs: costs, clock: clock)
    }

    /// A third of the text's words, kept between 10 and 80.
    public static func wordLimit(for text: String) -> Int {
        min(80, max(10, WritingConstraints.words(text).count / 3))
    }

    /// The `count` most frequent words of four letters or more that are not common function
    /// words, most frequent first (ties in order of first appearance).
    public static func keyTerms(of text: String, count: Int) -> [String] {
        let words = WritingConstraints.words(text).filter { $0.count >= 4 && !stopWords.contains($0) }
        var frequency: [String: (count: Int, first: Int)] = [:]
        for (index, word) in words.enumerated() {
            frequency[word, default: (0, index)].count += 1
        }
        return frequency.filter { $0.value.count >= 2 }
            .sorted { ($0.value.count, -$0.value.first) > ($1.value.count, -$1.value.first) }
            .prefix(count).map(\.key)
    }

    static let stopWords: Set<String> = [
        "that", "this", "with", "from", "have", "were", "they", "their", "there", "which", "would", "about", "been",
        "when", "what", "will", "into", "than", "then", "them", "also", "more", "most", "some", "such", "only",
        "other", "these", "those", "could", "should", "after", "before", "where", "while", "because", "each",
        "over", "very", "just", "it's", "its", "being", "does", "under", "between", "through", "both", "many",
    ]
}
