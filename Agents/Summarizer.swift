import RefineryCore
import Foundation
import Refinery

/// The `summarizer` agent: summarizes a text within a word limit, covering its key terms and
/// adding nothing. Code checks the word count, that the summary mentions the text's most
/// frequent content words, that every number and name in it appears in the text, and that it
/// ends on a finished sentence; the summary is refined until they hold. The word limit and the
/// sentence end also hold by construction: a summary over the limit, or ending mid-sentence, is
/// cut back to its last whole sentence that fits.
public enum Summarizer {
    /// One line for `refinery agents`.
    public static let summary =
        "Summarizes text within a word limit; code checks length, key terms, and that every number and name is in the text."

    /// A summarizer for `text` on `model`: at most a third of its length (10 to 80 words), and
    /// mentioning its `keyTerms` most frequent content words.
    public static func agent(
        for text: String, model: any LanguageModel, keyTerms: Int = 2, costs: CostBook = CostBook(),
        clock: any DeadlineClock = ContinuousClock()
    ) -> Agent {
        let limit = wordLimit(for: text)
        let terms = Self.keyTerms(of: text, count: keyTerms)
        let constraints = WritingConstraints(maxWords: limit, requiredWords: terms)
        let instructions =
            "Summarize the user's text in at most \(limit) words, in complete sentences. Mention "
            + terms.map { "\"\($0)\"" }.joined(separator: ", ")
            + ". Use only facts, numbers and names from the text. Reply with the summary only."
        return Agent(
            name: "summarizer", instructions: instructions, model: model,
            draft: Draft(maxTokens: limit * 4 + 48, sampling: SamplingParameters(temperature: 0.3)),
            bestOfN: BestOfN(maxCandidates: 3),
            verifiers: [
                Verify("length, coverage and grounding", estimatedTime: .milliseconds(1)) { answer, _ in
                    let problems = constraints.violations(of: answer) + ungrounded(answer, source: text)
                        + (endsOnSentence(answer) ? [] : ["does not end on a finished sentence"])
                    let checks = constraints.count + 2
                    return VerificationResult(
                        passed: problems.isEmpty, failures: problems, checks: checks,
                        passedChecks: max(0, checks - problems.count))
                }
            ],
            refine: Refine(maxTokens: limit * 4 + 48), stopRules: StopRules(maxRounds: 3),
            postprocess: { answer in fitted(answer, maxWords: limit, keyTerms: terms) }, costs: costs, clock: clock)
    }

    /// `summary` cut back to whole sentences within `maxWords` words, when it is over the limit
    /// or ends mid-sentence and such sentences exist; else unchanged. Sentences that mention a
    /// `keyTerms` word not yet covered are kept first, then the others in order; the kept
    /// sentences stay in their original order.
    public static func fitted(_ summary: String, maxWords: Int, keyTerms: [String] = []) -> String {
        let trimmed = summary.trimmingCharacters(in: .whitespacesAndNewlines)
        let words = WritingConstraints.words(trimmed).count
        guard words > maxWords || !endsOnSentence(trimmed) else { return trimmed }
        let sentences = WritingConstraints.sentences(trimmed).filter(endsOnSentence)
        var kept = Set<Int>()
        var count = 0
        var uncovered = Set(keyTerms.map { $0.lowercased() })
        func take(_ index: Int) {
            let n = WritingConstraints.words(sentences[index]).count
            guard !kept.contains(index), count + n <= maxWords else { return }
            kept.insert(index)
            count += n
            uncovered.subtract(WritingConstraints.words(sentences[index]))
        }
        for (index, sentence) in sentences.enumerated()
        where !uncovered.isDisjoint(with: WritingConstraints.words(sentence)) {
            take(index)
        }
        for index in sentences.indices { take(index) }
        guard !kept.isEmpty else { return trimmed }
        return kept.sorted().map { sentences[$0] }.joined(separator: " ")
    }

    /// Whether `text` ends with sentence punctuation (a closing quote or bracket after it allowed).
    public static func endsOnSentence(_ text: String) -> Bool {
        let end = text.trimmingCharacters(in: .whitespacesAndNewlines).trimmingCharacters(
            in: CharacterSet(charactersIn: "\"')]\u{201D}\u{2019}*"))
        return end.last.map { ".!?".contains($0) } ?? false
    }

    /// What `summary` adds that `source` does not have: numbers, and names (capitalized words
    /// not at a sentence start), each one line.
    public static func ungrounded(_ summary: String, source: String) -> [String] {
        let sourceWords = Set(WritingConstraints.words(source))
        let sourceNumbers = Set(numbers(in: source))
        var problems: [String] = []
        for number in numbers(in: summary) where !sourceNumbers.contains(number) {
            problems.append("the number \(number) is not in the text")
        }
        for name in names(in: summary) where !sourceWords.contains(name.lowercased()) {
            problems.append("the name \"\(name)\" is not in the text")
        }
        return Array(Set(problems)).sorted()
    }

    /// The numbers in `text`, thousands separators dropped ("1,200" is "1200").
    static func numbers(in text: String) -> [String] {
        let pattern = try! NSRegularExpression(pattern: #"\d[\d,]*(\.\d+)?"#)
        let range = NSRange(text.startIndex..., in: text)
        return pattern.matches(in: text, range: range).compactMap { match in
            Range(match.range, in: text).map { String(text[$0]).replacingOccurrences(of: ",", with: "") }
        }.map { $0.hasSuffix(".") ? String($0.dropLast()) : $0 }
    }

    /// Capitalized words that do not start a sentence (a rough test for names).
    static func names(in text: String) -> [String] {
        var names: [String] = []
        for sentence in WritingConstraints.sentences(text) {
            let words = sentence.split(whereSeparator: { $0.isWhitespace }).map {
                $0.trimmingCharacters(in: .punctuationCharacters)
            }
            for word in words.dropFirst() where word.first?.isUppercase == true && word.count > 1 {
                names.append(word)
            }
        }
        return names
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
