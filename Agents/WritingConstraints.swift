import RefineryCore
import Refinery

/// What a piece of writing must satisfy, checked by code rather than by the model's opinion:
/// a word-count range, words it must contain, words it must not.
public struct WritingConstraints: Sendable, Hashable {
    /// At least this many words.
    public var minWords: Int?
    /// At most this many words.
    public var maxWords: Int?
    /// Words that must appear (case-insensitive, whole words).
    public var requiredWords: [String]
    /// Words that must not appear (case-insensitive, whole words).
    public var forbiddenWords: [String]

    /// Constraints with the given limits and word lists.
    public init(minWords: Int? = nil, maxWords: Int? = nil, requiredWords: [String] = [], forbiddenWords: [String] = [])
    {
        self.minWords = minWords
        self.maxWords = maxWords
        self.requiredWords = requiredWords
        self.forbiddenWords = forbiddenWords
    }

    /// Reads the constraints stated in a request: "at most N words", "at least N words",
    /// "N words" (exactly, within 10%), "include/use/mention the words "a", "b"" and
    /// "without/avoid/never use the word "c"" (quoted words, one sentence per kind).
    public init(parsing text: String) {
        self.init()
        let lower = text.lowercased()
        let tokens = lower.split(whereSeparator: { $0.isWhitespace }).map(String.init)
        for (index, token) in tokens.enumerated() where index + 1 < tokens.count {
            guard let n = Int(token), tokens[index + 1].hasPrefix("word") else { continue }
            let before = index >= 2 ? tokens[index - 2] + " " + tokens[index - 1] : ""
            switch before {
            case "at most", "no more", "up to": maxWords = n
            case "at least", "no fewer": minWords = n
            default:
                if index >= 1, tokens[index - 1] == "under" {
                    maxWords = n - 1
                } else if minWords == nil, maxWords == nil {
                    minWords = n - n / 10
                    maxWords = n + n / 10
                }
            }
        }
        for clause in Self.clauses(lower) {
            let quoted = Self.quoted(clause.text)
            if clause.negative { forbiddenWords += quoted } else { requiredWords += quoted }
        }
    }

    /// Every constraint `text` breaks, one line each (empty when all hold).
    public func violations(of text: String) -> [String] {
        let words = Self.words(text)
        var problems: [String] = []
        if let minWords, words.count < minWords {
            problems.append("has \(words.count) words, needs at least \(minWords)")
        }
        if let maxWords, words.count > maxWords {
            problems.append("has \(words.count) words, needs at most \(maxWords)")
        }
        let present = Set(words)
        for word in requiredWords where !present.contains(word.lowercased()) {
            problems.append("does not contain the word \"\(word)\"")
        }
        for word in forbiddenWords where present.contains(word.lowercased()) {
            problems.append("contains the forbidden word \"\(word)\"")
        }
        return problems
    }

    /// Whether nothing is constrained.
    public var isEmpty: Bool { minWords == nil && maxWords == nil && requiredWords.isEmpty && forbiddenWords.isEmpty }

    /// The constraints as instructions for the model.
    public var instructions: String {
        var parts: [String] = []
        switch (minWords, maxWords) {
        case let (min?, max?): parts.append("between \(min) and \(max) words")
        case let (min?, nil): parts.append("at least \(min) words")
        case let (nil, max?): parts.append("at most \(max) words")
        case (nil, nil): break
        }
        if !requiredWords.isEmpty {
            parts.append("use the words " + requiredWords.map { "\"\($0)\"" }.joined(separator: ", "))
        }
        if !forbiddenWords.isEmpty {
            parts.append("never use " + forbiddenWords.map { "\"\($0)\"" }.joined(separator: ", "))
        }
        return parts.isEmpty ? "" : "Constraints: " + parts.joined(separator: "; ") + "."
    }

    /// Lower-cased words: runs of letters, digits and apostrophes.
    static func words(_ text: String) -> [String] {
        text.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "'") }).map(String.init)
    }

    /// Sentences or phrases that ask to include or to avoid words.
    private static func clauses(_ text: String) -> [(text: String, negative: Bool)] {
        let separators: Set<Character> = [".", ";", "\n"]
        let positive: Set<String> = [
            "include", "including", "use", "using", "mention", "mentioning", "contain", "containing",
        ]
        let negative: Set<String> = ["without", "avoid", "avoiding", "exclude", "excluding"]
        return text.split(whereSeparator: { separators.contains($0) }).compactMap { part in
            let clause = String(part)
            let words = Self.words(clause)
            let negated = zip(words, words.dropFirst()).contains {
                ["not", "never", "don't", "no"].contains($0) && positive.contains($1)
            }
            if negated || words.contains(where: negative.contains) { return (clause, true) }
            if words.contains(where: positive.contains) { return (clause, false) }
            return nil
        }
    }

    /// Words in double quotes.
    private static func quoted(_ text: String) -> [String] {
        let pieces = text.split(separator: "\"", omittingEmptySubsequences: false)
        return stride(from: 1, to: pieces.count - 1, by: 2).map { String(pieces[$0]) }.filter { !$0.isEmpty }
    }
}
