import RefineryCore
import Foundation
import Refinery

/// What a piece of writing must satisfy, checked by code rather than by the model's opinion:
/// a word-count range, a sentence-count range, words it must contain (some an exact number of
/// times), words it must not.
public struct WritingConstraints: Sendable, Hashable {
    /// At least this many words.
    public var minWords: Int?
    /// At most this many words.
    public var maxWords: Int?
    /// At least this many sentences.
    public var minSentences: Int?
    /// At most this many sentences.
    public var maxSentences: Int?
    /// Words that must appear (case-insensitive, whole words).
    public var requiredWords: [String]
    /// Words that must appear exactly so many times ("use 'amber' exactly once").
    public var exactCounts: [WordCount]
    /// Words that must not appear (case-insensitive, whole words, plurals included).
    public var forbiddenWords: [String]

    /// A word and how many times it must appear.
    public struct WordCount: Sendable, Hashable {
        public var word: String
        public var count: Int

        public init(_ word: String, _ count: Int) {
            self.word = word
            self.count = count
        }
    }

    /// Constraints with the given limits and word lists.
    public init(
        minWords: Int? = nil, maxWords: Int? = nil, minSentences: Int? = nil, maxSentences: Int? = nil,
        requiredWords: [String] = [], exactCounts: [WordCount] = [], forbiddenWords: [String] = []
    ) {
        self.minWords = minWords
        self.maxWords = maxWords
        self.minSentences = minSentences
        self.maxSentences = maxSentences
        self.requiredWords = requiredWords
        self.exactCounts = exactCounts
        self.forbiddenWords = forbiddenWords
    }

    /// Reads the constraints stated in a request: "at most/at least/under N words", "N words"
    /// (within 10%), "exactly/at most/at least N sentences", "one sentence"; words in double or
    /// single quotes after "include/use/mention" (required; "exactly once/twice/N times" sets
    /// a count) or after "without/avoid/never use/do not use" (forbidden). Numbers may be
    /// digits or words ("two sentences").
    public init(parsing text: String) {
        self.init()
        // "two-sentence blurb" and "a 50-word note" state counts too.
        let tokens = text.lowercased().split(whereSeparator: { $0.isWhitespace || $0 == "-" }).map {
            String($0.trimmingCharacters(in: .punctuationCharacters))
        }
        for (index, token) in tokens.enumerated() where index + 1 < tokens.count {
            guard let n = Self.number(token) else { continue }
            let unit = tokens[index + 1]
            let before = index >= 2 ? tokens[index - 2] + " " + tokens[index - 1] : ""
            let previous = index >= 1 ? tokens[index - 1] : ""
            if unit.hasPrefix("word") {
                readLimit(n, before: before, previous: previous, min: &minWords, max: &maxWords, slack: n / 10)
            } else if unit.hasPrefix("sentence") {
                readLimit(n, before: before, previous: previous, min: &minSentences, max: &maxSentences, slack: 0)
            }
        }
        for clause in Self.clauses(text) {
            let quoted = Self.quoted(clause.text)
            if clause.negative {
                forbiddenWords += quoted
            } else if let times = Self.exactTimes(in: clause.text.lowercased()) {
                exactCounts += quoted.map { WordCount($0, times) }
            } else {
                requiredWords += quoted
            }
        }
    }

    /// Reads "at most N", "at least N", "under N", "exactly N" or a bare "N" into a range.
    private func readLimit(_ n: Int, before: String, previous: String, min: inout Int?, max: inout Int?, slack: Int) {
        switch before {
        case "at most", "no more", "up to": max = n
        case "at least", "no fewer": min = n
        default:
            if previous == "under" || previous == "fewer" {
                max = n - 1
            } else if previous == "exactly" {
                (min, max) = (n, n)
            } else if min == nil, max == nil {
                (min, max) = (n - slack, n + slack)
            }
        }
    }

    /// How many constraints there are: each one is a check.
    public var count: Int {
        (minWords == nil ? 0 : 1) + (maxWords == nil ? 0 : 1) + (minSentences == nil && maxSentences == nil ? 0 : 1)
            + requiredWords.count + exactCounts.count + forbiddenWords.count
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
        let sentences = Self.sentences(text).count
        if let minSentences, sentences < minSentences {
            problems.append("has \(sentences) sentence\(sentences == 1 ? "" : "s"), needs \(sentenceRange)")
        } else if let maxSentences, sentences > maxSentences {
            problems.append("has \(sentences) sentences, needs \(sentenceRange)")
        }
        let present = Set(words)
        for word in requiredWords where !present.contains(word.lowercased()) {
            problems.append("does not contain the word \"\(word)\"")
        }
        for required in exactCounts {
            let found = Self.occurrences(of: required.word, in: words)
            if found != required.count {
                problems.append("uses \"\(required.word)\" \(Self.times(found)), needs exactly \(Self.times(required.count))")
            }
        }
        // A forbidden word is forbidden in its plural too ("water" and "waters").
        for word in forbiddenWords {
            guard let found = [word, word + "s", word + "es"].first(where: { present.contains($0.lowercased()) }) else {
                continue
            }
            let form = found == word ? "" : " (as \"\(found)\")"
            problems.append("contains the forbidden word \"\(word)\"\(form): remove it or use another word")
        }
        return problems
    }

    /// Whether nothing is constrained.
    public var isEmpty: Bool { count == 0 }

    /// `text`, or the closest text code can make from it by deleting that meets every
    /// constraint: without a short lead-in that ends in a colon ("Here is the text:"), without
    /// wrapping quotes, or cut back to its first whole sentences (the most that fit). Code only
    /// takes away, never writes, so a text missing a word or a sentence comes back unchanged, as
    /// does one no cut can fix.
    public func repaired(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !isEmpty, !violations(of: trimmed).isEmpty else { return text }
        var bases = [trimmed]
        if let body = Self.withoutLeadIn(trimmed) { bases.append(body) }
        for base in bases where base != trimmed && violations(of: base).isEmpty { return base }
        for base in bases {
            let sentences = Self.sentences(base)
            guard sentences.count > 1 else { continue }
            for kept in stride(from: sentences.count - 1, through: 1, by: -1) {
                let cut = sentences.prefix(kept).joined(separator: " ")
                if violations(of: cut).isEmpty { return cut }
            }
        }
        return text
    }

    /// The text after a lead-in of at most 12 words ending in a colon, with no sentence end
    /// before it ("A new answer could be: …"), unquoted; nil when it has none.
    static func withoutLeadIn(_ text: String) -> String? {
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let lead = text[..<colon]
        guard !lead.contains(where: { ".!?".contains($0) }), words(String(lead)).count <= 12 else { return nil }
        var body = text[text.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        if body.count > 1, let first = body.first, let last = body.last, first == last, first == "\"" || first == "'" {
            body = String(body.dropFirst().dropLast()).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return body.contains(where: \.isLetter) ? body : nil
    }

    /// The constraints as instructions for the model.
    public var instructions: String {
        var parts: [String] = []
        switch (minWords, maxWords) {
        case let (min?, max?): parts.append(min == max ? "exactly \(min) words" : "between \(min) and \(max) words")
        case let (min?, nil): parts.append("at least \(min) words")
        case let (nil, max?): parts.append("at most \(max) words")
        case (nil, nil): break
        }
        if minSentences != nil || maxSentences != nil { parts.append(sentenceRange) }
        if !requiredWords.isEmpty {
            parts.append("use the words " + requiredWords.map { "\"\($0)\"" }.joined(separator: ", "))
        }
        for required in exactCounts {
            parts.append("use the word \"\(required.word)\" exactly \(Self.times(required.count))")
        }
        if !forbiddenWords.isEmpty {
            parts.append("never use " + forbiddenWords.map { "\"\($0)\"" }.joined(separator: ", "))
        }
        return parts.isEmpty ? "" : "Constraints: " + parts.joined(separator: "; ") + "."
    }

    private var sentenceRange: String {
        switch (minSentences, maxSentences) {
        case let (min?, max?) where min == max: "exactly \(min) sentence\(min == 1 ? "" : "s")"
        case let (min?, max?): "between \(min) and \(max) sentences"
        case let (min?, nil): "at least \(min) sentences"
        case let (nil, max?): "at most \(max) sentence\(max == 1 ? "" : "s")"
        case (nil, nil): ""
        }
    }

    /// Lower-cased words: runs of letters, digits and apostrophes.
    public static func words(_ text: String) -> [String] {
        text.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "'") }).map {
            String($0.trimmingCharacters(in: CharacterSet(charactersIn: "'")))
        }.filter { !$0.isEmpty }
    }

    /// The sentences of `text`: runs ending in `.`, `!` or `?` (or the end) that hold a letter.
    public static func sentences(_ text: String) -> [String] {
        var sentences: [String] = []
        var current = ""
        let characters = Array(text)
        for (index, character) in characters.enumerated() {
            current.append(character)
            let ends = ".!?".contains(character)
            let next = index + 1 < characters.count ? characters[index + 1] : " "
            // "3.5" and "e.g." are not sentence ends: an end is followed by space or the end,
            // and does not close an abbreviation.
            if ends, next.isWhitespace || next == "\"" || next == "'", !(character == "." && Self.endsAbbreviation(current)) {
                sentences.append(current)
                current = ""
            }
        }
        sentences.append(current)
        return sentences.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter {
            $0.contains(where: \.isLetter)
        }
    }

    static let abbreviations: Set<String> = ["mr", "mrs", "ms", "dr", "st", "vs", "prof", "jr", "sr", "etc", "e.g", "i.e", "no"]

    /// Whether `text`, ending in a period, ends with an abbreviation ("Dr.", "e.g.").
    private static func endsAbbreviation(_ text: String) -> Bool {
        let word = text.dropLast().split(whereSeparator: \.isWhitespace).last.map { $0.lowercased() } ?? ""
        return abbreviations.contains(word.trimmingCharacters(in: CharacterSet(charactersIn: "(\"'")))
    }

    /// How many times `word` (or a phrase of words) occurs in `words`.
    static func occurrences(of word: String, in words: [String]) -> Int {
        let phrase = Self.words(word)
        guard !phrase.isEmpty, words.count >= phrase.count else { return 0 }
        return (0...(words.count - phrase.count)).filter { Array(words[$0..<($0 + phrase.count)]) == phrase }.count
    }

    private static func times(_ n: Int) -> String {
        switch n {
        case 1: "once"
        case 2: "twice"
        default: "\(n) times"
        }
    }

    static let numberWords = [
        "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
        "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "a": 1,
        "single": 1,
    ]

    /// A count written in digits or as a word ("a" and "single" count as one only before a unit).
    static func number(_ token: String) -> Int? {
        if let n = Int(token), n > 0, n < 100_000 { return n }
        return numberWords[token]
    }

    /// The count in "exactly once", "exactly twice", "exactly N times" (nil: none stated).
    static func exactTimes(in clause: String) -> Int? {
        let tokens = clause.split(whereSeparator: { $0.isWhitespace || $0.isPunctuation && $0 != "'" }).map(String.init)
        for (index, token) in tokens.enumerated() where token == "exactly" && index + 1 < tokens.count {
            let next = tokens[index + 1]
            if next == "once" { return 1 }
            if next == "twice" { return 2 }
            if let n = number(next), index + 2 < tokens.count, tokens[index + 2].hasPrefix("time") { return n }
        }
        if tokens.contains("once") { return 1 }
        return nil
    }

    /// Sentences or phrases that ask to include or to avoid words.
    private static func clauses(_ text: String) -> [(text: String, negative: Bool)] {
        let positive: Set<String> = [
            "include", "including", "use", "using", "mention", "mentioning", "contain", "containing", "with",
        ]
        let negative: Set<String> = ["without", "avoid", "avoiding", "exclude", "excluding"]
        return splitClauses(text).compactMap { clause in
            let words = Self.words(clause)
            let negated = zip(words, words.dropFirst()).contains {
                ["not", "never", "don't", "no"].contains($0) && positive.contains($1)
            }
            if negated || words.contains(where: negative.contains) { return (clause, true) }
            if words.contains(where: positive.contains) { return (clause, false) }
            return nil
        }
    }

    /// `text` cut at sentence ends, semicolons and newlines — but not inside quotes.
    private static func splitClauses(_ text: String) -> [String] {
        var clauses: [String] = []
        var current = ""
        var inDouble = false
        for character in text {
            if character == "\"" { inDouble.toggle() }
            if !inDouble, ".;\n!?".contains(character) {
                clauses.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        clauses.append(current)
        return clauses.filter { !$0.isEmpty }
    }

    /// Words in double quotes, or in single quotes that are not apostrophes (a quote that opens
    /// after a non-letter and closes before one).
    static func quoted(_ text: String) -> [String] {
        var found: [String] = []
        for mark in ["\"", "'", "\u{201C}\u{201D}", "\u{2018}\u{2019}"] {
            let open = mark.first!, close = mark.last!
            let characters = Array(text)
            var index = 0
            while index < characters.count {
                let before = index == 0 ? " " : characters[index - 1]
                guard characters[index] == open, !before.isLetter, !before.isNumber else {
                    index += 1
                    continue
                }
                var end = index + 1
                while end < characters.count, characters[end] != close { end += 1 }
                let after = end + 1 < characters.count ? characters[end + 1] : " "
                if end < characters.count, end > index + 1, !after.isLetter {
                    let word = String(characters[(index + 1)..<end]).trimmingCharacters(in: .whitespaces)
                    if !word.isEmpty, word.count <= 40 { found.append(word) }
                    index = end + 1
                } else {
                    index += 1
                }
            }
        }
        return found
    }
}
