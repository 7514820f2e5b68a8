import RefineryCore
import Refinery
import Foundation
import RefineryInference

/// What happened on one entry: the output, the calls read from it, and BFCL's verdict.
public struct BFCLEntryResult: Sendable {
    /// The entry's id (`simple_python_0`).
    public var id: String
    /// The entry's category.
    public var category: BFCLCategory
    /// The model's text output.
    public var output: String
    /// The calls read from the output.
    public var decoded: BFCLDecodedOutput
    /// BFCL's verdict (for a failed generation, `generation_error`).
    public var check: BFCLCheckResult
    /// Why generation failed, if it did.
    public var generationError: String?

    /// Whether the entry counts as correct.
    public var correct: Bool { check.valid }
    /// Whether the output held a call that could not be read.
    public var unparseable: Bool { decoded.unparseable }

    /// One JSON object describing the result (for a details file).
    public var json: JSONValue {
        var pairs: [(key: String, value: JSONValue)] = [
            ("id", .string(id)), ("category", .string(category.name)), ("correct", .bool(correct)),
            ("unparseable", .bool(unparseable)), ("output", .string(output)),
            ("calls", .array(decoded.calls.map { .object([("name", .string($0.name)), ("arguments", $0.arguments)]) })),
        ]
        if !decoded.malformed.isEmpty { pairs.append(("malformed", .array(decoded.malformed.map { .string($0) }))) }
        if !check.valid {
            pairs.append(("error_type", .string(check.errorType)))
            pairs.append(("error", .string(check.error)))
        }
        if let generationError { pairs.append(("generation_error", .string(generationError))) }
        return .object(pairs)
    }
}

/// Accuracy over a set of entries.
public struct BFCLScore: Sendable, Hashable {
    /// Entries answered correctly.
    public var correct: Int
    /// Entries whose output held a call that could not be read.
    public var unparseable: Int
    /// Entries run.
    public var total: Int

    /// Creates a score.
    public init(correct: Int = 0, unparseable: Int = 0, total: Int = 0) {
        self.correct = correct
        self.unparseable = unparseable
        self.total = total
    }

    /// `correct / total` (0 for no entries).
    public var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }

    mutating func add(_ result: BFCLEntryResult) {
        total += 1
        if result.correct { correct += 1 }
        if result.unparseable { unparseable += 1 }
    }

    /// `{"accuracy": …, "unparseable": …, "total": …, "correct": …}`.
    public var json: JSONValue {
        .object([
            ("accuracy", .double(accuracy)), ("unparseable", .int(Int64(unparseable))), ("total", .int(Int64(total))),
            ("correct", .int(Int64(correct))),
        ])
    }
}

/// The scores of a run: one per category, in the order run, and overall (over all entries, so
/// with equal counts per category it is also the mean of the categories).
public struct BFCLReport: Sendable {
    /// Each category's score, in the order the categories were given.
    public var categories: [(category: BFCLCategory, score: BFCLScore)]
    /// The score over every entry.
    public var overall: BFCLScore
    /// Every entry's result, in the order of the entries.
    public var results: [BFCLEntryResult]

    /// The report of `results`, with categories in `order` (categories without results are left out).
    public init(results: [BFCLEntryResult], order: [BFCLCategory]) {
        var scores: [BFCLCategory: BFCLScore] = [:]
        var overall = BFCLScore()
        for result in results {
            scores[result.category, default: BFCLScore()].add(result)
            overall.add(result)
        }
        var categories: [(category: BFCLCategory, score: BFCLScore)] = []
        for category in order where !categories.contains(where: { $0.category == category }) {
            if let score = scores[category] { categories.append((category, score)) }
        }
        self.categories = categories
        self.overall = overall
        self.results = results
    }

    /// `{"categories": {NAME: SCORE, …}, "overall": SCORE}` (see ``BFCLScore/json``).
    public var json: JSONValue {
        .object([
            ("categories", .object(categories.map { ($0.category.name, $0.score.json) })),
            ("overall", overall.json),
        ])
    }

    /// A table for people: one line per category, then the overall line.
    public var table: String {
        func line(_ name: String, _ score: BFCLScore) -> String {
            let percent = (score.accuracy * 1000).rounded() / 10
            let padded = name.padding(toLength: 20, withPad: " ", startingAt: 0)
            let accuracy = "\(percent)%"
            return padded + String(repeating: " ", count: max(0, 9 - accuracy.count)) + accuracy
                + String(repeating: " ", count: max(0, 10 - "\(score.correct)/\(score.total)".count)) + "\(score.correct)/\(score.total)"
                + String(repeating: " ", count: max(0, 13 - "\(score.unparseable)".count)) + "\(score.unparseable)"
        }
        var out = "category".padding(toLength: 20, withPad: " ", startingAt: 0) + " accuracy   correct  unparseable\n"
        for (category, score) in categories { out += line(category.name, score) + "\n" }
        out += line("overall", overall) + "\n"
        return out
    }
}
