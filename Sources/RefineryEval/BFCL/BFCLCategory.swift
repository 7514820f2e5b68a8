import RefineryCore
import Refinery
import RefineryInference
/// One test category of the Berkeley function-calling benchmark that the harness runs: the
/// single-turn Python categories, checked by BFCL's AST matching.
///
/// The category's name decides how its calls are checked, exactly as BFCL's `ast_checker`
/// decides: a name containing `parallel` matches several calls in any order, one containing
/// `multiple` picks one function among several, `irrelevance` expects no call at all, and the
/// rest expect exactly one call.
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
    }

    /// The category's name as BFCL spells it (`simple_python`).
    public let name: String

    private init(_ name: String) { self.name = name }

    /// The categories the harness runs, in BFCL's order.
    public static let all: [BFCLCategory] = ["simple_python", "multiple", "parallel", "parallel_multiple", "irrelevance"]
        .map { BFCLCategory($0) }

    /// The categories of the benchmark run.
    public static let defaults: [BFCLCategory] = ["simple_python", "multiple", "parallel", "irrelevance"]
        .map { BFCLCategory($0) }

    /// The category called `name`; throws ``BFCLError/Code-swift.struct/unknownCategory`` for
    /// any other name.
    public init(named name: String) throws(BFCLError) {
        guard let found = Self.all.first(where: { $0.name == name }) else {
            throw BFCLError(
                code: .unknownCategory,
                message: "unknown BFCL category '\(name)'; known: \(Self.all.map(\.name).joined(separator: ", "))",
                value: name
            )
        }
        self = found
    }

    /// How this category's answers are checked (BFCL decides by the name).
    public var kind: Kind {
        if name.contains("irrelevance") { return .irrelevance }
        if name.contains("parallel") { return .parallel }
        if name.contains("multiple") { return .multiple }
        return .simple
    }

    /// Whether the category has a `possible_answer` file.
    public var hasAnswers: Bool { kind != .irrelevance }

    /// The question file inside the package's `data` folder.
    public var questionFile: String { "BFCL_v4_\(name).json" }

    /// The answer file inside the package's `data` folder.
    public var answerFile: String { "possible_answer/BFCL_v4_\(name).json" }

    public var description: String { name }
}
