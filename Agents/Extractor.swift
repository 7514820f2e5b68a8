import RefineryCore
import Foundation
import Refinery

/// The `extractor` agent: turns free text into typed JSON — the people, organizations, places,
/// dates and amounts it mentions. Code checks that the output is JSON, that it fits the schema,
/// that every extracted value appears in the text (nothing invented), and that every sum of money
/// and every proper name the text states is in the record (nothing left out); failures are refined.
public enum Extractor {
    /// One line for `refinery agents`.
    public static let summary =
        "Extracts people, organizations, places, dates and amounts from text as schema-checked JSON."

    /// The schema of the extracted record.
    public static let schema: JSONValue = JSONSchema.object([
        .required("people", JSONSchema.array(of: JSONSchema.string())),
        .required("organizations", JSONSchema.array(of: JSONSchema.string())),
        .required("places", JSONSchema.array(of: JSONSchema.string())),
        .required("dates", JSONSchema.array(of: JSONSchema.string())),
        .required("amounts", JSONSchema.array(of: JSONSchema.string())),
    ])

    /// The typed record the JSON decodes into.
    public struct Record: Sendable, Hashable, Codable {
        public var people: [String]
        public var organizations: [String]
        public var places: [String]
        public var dates: [String]
        public var amounts: [String]
    }

    /// An extractor for `text` on `model`.
    public static func agent(
        for text: String, model: any LanguageModel, costs: CostBook = CostBook(),
        clock: any DeadlineClock = ContinuousClock()
    ) -> Agent {
        let instructions = """
            Extract what the user's text mentions. Reply with one JSON object only, with these \
            keys, each a list of strings copied exactly from the text (empty when none): "people" \
            (names of persons only), "organizations" (companies, institutions, groups), "places" \
            (cities, countries, regions), "dates", "amounts" (money and quantities).
            Example: for "Dr. Ana Ruiz of Nokia visited Lima on 2 May and paid $300." the reply is \
            {"people": ["Ana Ruiz"], "organizations": ["Nokia"], "places": ["Lima"], "dates": ["2 May"], "amounts": ["$300"]}
            """
        return Agent(
            name: "extractor", instructions: instructions, model: model,
            // Decoded under the schema on a local model: the reply is the JSON record by construction.
            draft: Draft(maxTokens: 320, sampling: .greedy, responseFormat: .jsonSchema(schema)),
            verifiers: [Verify("schema", estimatedTime: .milliseconds(1)) { answer, _ in check(answer, source: text) }],
            refine: Refine(maxTokens: 320, responseFormat: .jsonSchema(schema)), stopRules: StopRules(maxRounds: 3),
            postprocess: { answer in grounded(answer, source: text) }, costs: costs, clock: clock)
    }

    /// Parses `answer` (a fenced block is unwrapped) and lists what is wrong with it: not JSON,
    /// schema violations, values absent from `source`, values filed under the wrong kind, a sum of
    /// money in `source` missing from the amounts, a proper name in `source` that no field holds,
    /// nothing extracted from a text that names something (a capitalized word past a sentence's
    /// start, or a number). Each value and each proper name of `source` counts as a check.
    public static func check(_ answer: String, source: String) -> VerificationResult {
        guard let json = try? JSONValue(parsing: unfenced(answer)) else {
            return .fail("the reply is not one valid JSON object")
        }
        let violations = JSONSchemaValidator(schema: schema).violations(of: json)
        if !violations.isEmpty {
            return VerificationResult(
                passed: false, failures: violations.map(\.description), checks: 2, passedChecks: 1)
        }
        let haystack = source.lowercased()
        var failures: [String] = []
        var values = 0
        if case .object(let fields) = json {
            for (key, value) in fields {
                guard case .array(let items) = value else { continue }
                for case .string(let item) in items {
                    values += 1
                    if !haystack.contains(item.lowercased()) {
                        failures.append("\"\(item)\" in \(key) does not appear in the text")
                    }
                }
            }
        }
        failures += misfiled(json)
        failures += missingAmounts(json, source: source)
        failures += missingNames(json, source: source)
        if values == 0, mentionsSomething(source) {
            failures.append("nothing was extracted, but the text names people, places, dates or amounts")
        }
        let checks = 3 + values + properNames(in: source).count
        return VerificationResult(
            passed: failures.isEmpty, failures: failures, checks: checks,
            passedChecks: max(0, checks - failures.count))
    }

    /// `answer` with every value that does not appear in `source` taken out (nothing invented
    /// survives, by construction), re-serialized; unchanged when it is not a JSON object.
    public static func grounded(_ answer: String, source: String) -> String {
        guard case .object(let fields)? = try? JSONValue(parsing: unfenced(answer)) else { return answer }
        let haystack = source.lowercased()
        let kept: [(key: String, value: JSONValue)] = fields.map { key, value in
            guard case .array(let items) = value else { return (key, value) }
            var seen = Set<String>()
            let found = items.filter { item in
                guard case .string(let text) = item else { return false }
                let trimmed = text.trimmingCharacters(in: .whitespaces)
                return !trimmed.isEmpty && haystack.contains(trimmed.lowercased()) && seen.insert(trimmed.lowercased()).inserted
            }
            return (key, .array(found))
        }
        return JSONValue.object(kept).serialized()
    }

    /// Values filed under the wrong kind, as far as code can tell: a person named with an
    /// organization's word ("Acme Corp", "Red Cross activists"), an organization or place
    /// that starts with a person's title ("Mayor Tom Berg"), or one value under two kinds.
    static func misfiled(_ json: JSONValue) -> [String] {
        func values(_ key: String) -> [String] { json[key]?.arrayValue?.compactMap(\.stringValue) ?? [] }
        let organizationWords: Set<String> = [
            "corp", "corporation", "inc", "ltd", "llc", "company", "university", "bank", "council", "ministry",
            "group", "activists", "association", "institute", "foundation", "agency", "committee", "club",
        ]
        let titles: Set<String> = [
            "mr", "mrs", "ms", "dr", "mayor", "professor", "president", "ceo", "director", "minister", "spokesperson",
        ]
        var failures: [String] = []
        for person in values("people") where WritingConstraints.words(person).contains(where: organizationWords.contains) {
            failures.append("\"\(person)\" in people names an organization or a group, not a person")
        }
        for key in ["organizations", "places"] {
            for value in values(key) where WritingConstraints.words(value).first.map(titles.contains) == true {
                failures.append("\"\(value)\" in \(key) is a person (it starts with a title)")
            }
        }
        var seen: [String: String] = [:]
        for key in ["people", "organizations", "places", "dates", "amounts"] {
            for value in values(key) {
                if let other = seen[value.lowercased()], other != key {
                    failures.append("\"\(value)\" is under both \(other) and \(key)")
                }
                seen[value.lowercased()] = key
            }
        }
        return failures
    }

    /// A number as amounts write it: digits, thousands after commas, decimals ("1,150", "2.5").
    private static let amountNumber = #"\d+(?:,\d{3})*(?:\.\d+)?"#
    private static let moneyPattern: NSRegularExpression = {
        let scale = #"(?:\s?(?:thousand|million|billion|bn|m|k)\b)?"#
        let currencies = #"(?:euros?|dollars?|pounds?|yen|yuan|francs?|kronor|kroner|krona|rupees?|pesos?|reais|usd|eur|gbp|jpy|chf|cad|aud)\b"#
        let pattern = #"[$€£¥₹]\s?"# + amountNumber + scale + "|" + amountNumber + #"\s?(?:thousand |million |billion )?"# + currencies
        return try! NSRegularExpression(pattern: pattern, options: [.caseInsensitive])
    }()

    /// Sums of money that `text` states: a currency sign before a number ("$300", "€ 2.5 million")
    /// or a currency after it ("1,150 euros", "40 USD"), as written.
    public static func moneyMentions(in text: String) -> [String] {
        let range = NSRange(text.startIndex..., in: text)
        return moneyPattern.matches(in: text, range: range).compactMap { Range($0.range, in: text).map { String(text[$0]) } }
    }

    /// A sum of money the text states that no value in `amounts` carries (its number absent from
    /// them all): what a record that leaves out an amount misses, and a check by code alone.
    static func missingAmounts(_ json: JSONValue, source: String) -> [String] {
        let amounts = (json["amounts"]?.arrayValue?.compactMap(\.stringValue) ?? []).map { $0.lowercased() }
        return moneyMentions(in: source).compactMap { mention in
            guard let digits = mention.range(of: amountNumber, options: .regularExpression) else { return nil }
            let number = String(mention[digits])
            return amounts.contains(where: { $0.contains(number) }) ? nil : "the text states the amount \"\(mention)\", but amounts leaves it out"
        }
    }

    /// Capitalized words that name nothing a record holds as a name: months and weekdays (dates,
    /// not names), currencies, titles ("Mayor Tom Berg" names Tom Berg), nationalities ("a French
    /// bank"), times of day. A run of capitalized words is cut at each of them.
    private static let notNames: Set<String> = [
        "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
        "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
        "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat",
        "euro", "euros", "dollar", "dollars", "pound", "pounds", "sterling", "yen", "yuan", "renminbi", "franc",
        "francs", "krona", "kronor", "krone", "kroner", "rupee", "rupees", "peso", "pesos", "reais", "rand",
        "ruble", "rubles", "rouble", "roubles", "lira", "cent", "cents", "pence",
        "usd", "eur", "gbp", "jpy", "chf", "cad", "aud", "cny", "inr", "brl", "sek", "nok", "dkk",
        "mr", "mrs", "ms", "dr", "prof", "professor", "sir", "dame", "lord", "lady", "mayor", "president",
        "ceo", "cfo", "cto", "coo", "chairman", "chairwoman", "director", "minister", "governor", "senator",
        "judge", "captain", "king", "queen", "prince", "princess", "pope", "spokesperson",
        "american", "british", "english", "french", "german", "spanish", "italian", "portuguese", "dutch",
        "belgian", "swiss", "austrian", "swedish", "norwegian", "danish", "finnish", "irish", "scottish", "welsh",
        "polish", "czech", "hungarian", "romanian", "greek", "turkish", "russian", "ukrainian", "chinese",
        "japanese", "korean", "indian", "pakistani", "thai", "vietnamese", "indonesian", "australian",
        "canadian", "mexican", "brazilian", "argentine", "argentinian", "chilean", "colombian", "egyptian",
        "nigerian", "kenyan", "african", "european", "asian", "arab", "israeli", "iranian", "saudi",
        "am", "pm", "gmt", "utc",
    ]

    /// Words that open a sentence capitalized without being part of a name ("The", "On",
    /// "Yesterday"): taken off the front of a run that starts a sentence.
    private static let sentenceOpeners: Set<String> = [
        "a", "an", "the", "on", "in", "at", "by", "for", "from", "to", "with", "of", "as", "after", "before",
        "during", "since", "until", "about", "under", "over", "into", "through", "between", "among", "without",
        "yesterday", "today", "tonight", "tomorrow", "last", "next", "this", "that", "these", "those", "then",
        "there", "here", "when", "while", "where", "what", "who", "which", "why", "how", "if", "and", "but", "or",
        "so", "yet", "also", "meanwhile", "however", "later", "earlier", "now", "each", "every", "all", "some",
        "both", "many", "most", "several", "his", "her", "its", "their", "our", "my", "your", "he", "she", "it",
        "they", "we", "you", "according", "dear",
    ]

    /// Abbreviations whose period does not end a sentence ("Dr. Ana Ruiz").
    private static let abbreviations: Set<String> = ["mr", "mrs", "ms", "dr", "prof"]

    /// The proper names `text` states, as written, each once: runs of consecutive capitalized words
    /// (acronyms too: "Banco BPI"), on one line, cut by punctuation, numbers and lowercase words
    /// ("Bank of America" is two names, "Bank" and "America"). Conservative, so a correct record
    /// is not failed: a run is also cut at a month, weekday, currency, title or nationality; a
    /// sentence's first word ("On", "The", "Yesterday") is not a name unless a capitalized word
    /// follows it ("Kenji Sato paid"), and a common opener before one is dropped ("The Galp board");
    /// one-letter words, "I" ("I'm"), words with digits ("A320") and a possessive "'s" do not count.
    public static func properNames(in text: String) -> [String] {
        var names: [String] = []
        var seen = Set<String>()
        var run: [String] = []
        var runStartsSentence = false
        func close() {
            // Cut the run at words that name nothing; each piece remembers whether it opens a sentence.
            var pieces: [(words: [String], opens: Bool)] = [([], runStartsSentence)]
            for word in run {
                if notNames.contains(word.lowercased()) {
                    pieces.append(([], false))
                } else {
                    pieces[pieces.count - 1].words.append(word)
                }
            }
            for var piece in pieces where !piece.words.isEmpty {
                if piece.opens {
                    if sentenceOpeners.contains(piece.words[0].lowercased()) {
                        piece.words.removeFirst()
                    } else if piece.words.count == 1 {
                        continue
                    }
                }
                let name = piece.words.joined(separator: " ")
                if !name.isEmpty, seen.insert(name.lowercased()).inserted { names.append(name) }
            }
            run = []
        }
        var sentenceStart = true
        var previousWord: String?
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if character.isLetter {
                // A word: letters, with inner apostrophes and hyphens ("O'Brien", "Coca-Cola").
                var end = text.index(after: index)
                while end < text.endIndex {
                    if text[end].isLetter {
                        end = text.index(after: end)
                    } else if "'’-".contains(text[end]), text.index(after: end) < text.endIndex,
                        text[text.index(after: end)].isLetter
                    {
                        end = text.index(after: end)
                    } else {
                        break
                    }
                }
                var word = String(text[index..<end])
                if word.count > 2, word.lowercased().hasSuffix("'s") || word.lowercased().hasSuffix("’s") {
                    word.removeLast(2)
                }
                let hasDigits = end < text.endIndex && text[end].isNumber
                let pronoun = word == "I" || word.hasPrefix("I'") || word.hasPrefix("I’")
                if word.first?.isUppercase == true, word.count > 1, !hasDigits, !pronoun {
                    if run.isEmpty { runStartsSentence = sentenceStart }
                    run.append(word)
                } else {
                    close()
                }
                sentenceStart = false
                previousWord = word.lowercased()
                index = end
                continue
            }
            if character.isNewline {
                close()
                sentenceStart = true
            } else if !character.isWhitespace {
                close()
                if character.isNumber {
                    sentenceStart = false
                } else if ".!?:".contains(character) {
                    let next = text.index(after: index)
                    let abbreviation = character == "." && previousWord.map(abbreviations.contains) == true
                    if !abbreviation, next == text.endIndex || text[next].isWhitespace { sentenceStart = true }
                }
                // Other punctuation (commas, quotes, brackets, dashes) leaves the sentence where it was.
            }
            previousWord = nil
            index = text.index(after: index)
        }
        close()
        return names
    }

    /// A proper name `source` states that no field of the record holds (none of people,
    /// organizations, places, dates and amounts contains it, and it contains none of at least three
    /// characters, as whole words and case aside: "Banco BPI" and "BPI" hold each other): what a
    /// record that leaves out a person, organization or place misses, and a check by code alone.
    static func missingNames(_ json: JSONValue, source: String) -> [String] {
        let values = ["people", "organizations", "places", "dates", "amounts"]
            .flatMap { json[$0]?.arrayValue?.compactMap(\.stringValue) ?? [] }
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            .filter { !$0.isEmpty }
        return properNames(in: source).compactMap { name in
            let lowered = name.lowercased()
            let held = values.contains { value in
                containsWords(value, lowered) || (value.count >= 3 && containsWords(lowered, value))
            }
            return held ? nil : "the text names \"\(name)\", which no field holds"
        }
    }

    /// Whether `needle` occurs in `haystack` as whole words: no letter or digit just before or after it.
    static func containsWords(_ haystack: String, _ needle: String) -> Bool {
        var searchStart = haystack.startIndex
        while let found = haystack.range(of: needle, range: searchStart..<haystack.endIndex) {
            func joins(_ character: Character?) -> Bool { character.map { $0.isLetter || $0.isNumber } ?? false }
            let before = found.lowerBound == haystack.startIndex ? nil : haystack[haystack.index(before: found.lowerBound)]
            let after = found.upperBound == haystack.endIndex ? nil : haystack[found.upperBound]
            if !joins(before), !joins(after) { return true }
            searchStart = haystack.index(after: found.lowerBound)
        }
        return false
    }

    /// Whether `text` has a number, or a capitalized word that does not start a sentence.
    static func mentionsSomething(_ text: String) -> Bool {
        if text.contains(where: \.isNumber) { return true }
        var sentenceStart = true
        for word in text.split(whereSeparator: \.isWhitespace) {
            if !sentenceStart, word.first?.isUppercase == true, word.count > 1 { return true }
            sentenceStart = word.last.map { ".!?".contains($0) } ?? false
        }
        return false
    }

    /// The record in `answer`, when it is valid.
    public static func record(from answer: String) -> Record? {
        guard let json = try? JSONValue(parsing: unfenced(answer)),
            JSONSchemaValidator(schema: schema).violations(of: json).isEmpty
        else { return nil }
        return try? JSONDecoder().decode(Record.self, from: Data(json.serializedBytes()))
    }

    /// The text inside a Markdown code fence, or the text itself.
    static func unfenced(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix("```") else { return trimmed }
        var lines = trimmed.split(separator: "\n", omittingEmptySubsequences: false).dropFirst()
        if lines.last?.hasPrefix("```") == true { lines = lines.dropLast() }
        return lines.joined(separator: "\n")
    }
}
