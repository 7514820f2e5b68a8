import RefineryCore
import Refinery
import RefineryInference
/// One single-turn test category of the Berkeley function-calling benchmark, checked by BFCL's
/// AST matching. The categories are not listed here: ``BFCLDataSource/categories()`` discovers
/// them from the package's data files (see ``BFCLDataset/isASTCategory(name:firstQuestion:firstAnswer:)``).
///
/// The category's name decides how its calls are checked, exactly as BFCL's `ast_checker`
/// decides: a name containing `parallel` matches several calls in any order, one containing
/// `multiple` picks one function among several, `irrelevance` expects no call at all,
/// `relevance` at least one call, and the rest exactly one call. It also decides the language
/// of the values (`java`, `javascript`; Python otherwise).
public struct BFCLCategory: Sendable, Hashable, CustomStringConvertible {
    /// How a category's answers are checked.
    public enum Kind: Sendable, Hashable {
        /// Exactly one call, to the one function offered.
        case simple
        /// Exactly one call, to the right one of several functions.
        case multiple
        /// Several calls, matched to the expected ones in any order.
        case parallel
        /// No call: none of the functions fits the question.
        case irrelevance
        /// At least one call: some function fits (BFCL's live relevance check).
        case relevance
    }

    /// The language whose value rules BFCL applies to a category's calls.
    public enum Language: String, Sendable, Hashable {
        /// Python values (every category but the Java and JavaScript ones); the rules ported here.
        case python
        /// Java values written as strings (`simple_java`): BFCL's Java conversion, not ported.
        case java
        /// JavaScript values written as strings (`simple_javascript`): not ported.
        case javascript
    }

    /// The category's name as BFCL spells it (`simple_python`, `live_multiple`).
    public let name: String

    /// The category called `name` (its data files are `BFCL_v4_<name>.json`).
    public init(name: String) { self.name = name }

    /// The categories of the benchmark run (a default, not a catalogue).
    public static let defaults: [BFCLCategory] = ["simple_python", "multiple", "parallel", "irrelevance"]
        .map { BFCLCategory(name: $0) }

    /// How this category's answers are checked (BFCL decides by the name).
    public var kind: Kind {
        if name.contains("irrelevance") { return .irrelevance }
        if name.contains("relevance") { return .relevance }
        if name.contains("parallel") { return .parallel }
        if name.contains("multiple") { return .multiple }
        return .simple
    }

    /// The language of the category's values (BFCL decides by the name).
    public var language: Language {
        if name.contains("javascript") { return .javascript }
        if name.contains("java") { return .java }
        return .python
    }

    /// Whether the category has a `possible_answer` file.
    public var hasAnswers: Bool { kind != .irrelevance && kind != .relevance }

    /// The question file inside the package's `data` folder.
    public var questionFile: String { Self.questionFile(name) }

    /// The answer file inside the package's `data` folder.
    public var answerFile: String { "possible_answer/\(questionFile)" }

    /// `BFCL_v4_<name>.json`.
    static func questionFile(_ name: String) -> String { "\(filePrefix)\(name).json" }

    /// What every data file's name starts with.
    static let filePrefix = "BFCL_v4_"

    /// The category a top-level data file holds the questions of (`BFCL_v4_live_simple.json`),
    /// or nil for a file of another name.
    static func named(byQuestionFile file: String) -> BFCLCategory? {
        guard file.hasPrefix(filePrefix), file.hasSuffix(".json"), !file.contains("/") else { return nil }
        let name = String(file.dropFirst(filePrefix.count).dropLast(".json".count))
        return name.isEmpty ? nil : BFCLCategory(name: name)
    }

    public var description: String { name }
}
