import RefineryCore
/// A JSON schema (or grammar) that cannot be compiled into a constraint.
///
/// Every error names the schema keyword at fault and its location as a JSON pointer into the
/// schema (`""` is the root, `"/properties/name/pattern"` a nested keyword), so a caller can
/// point the schema's author at the exact spot.
public struct GrammarError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: String, Sendable, Hashable {
        case unsupportedKeyword, invalidSchema, unsatisfiable, invalidReference, invalidPattern, tooLarge
    }

    private let code: Code
    /// A human-readable explanation.
    public let message: String
    /// The schema keyword at fault (for example `"not"` or `"pattern"`).
    public let keyword: String
    /// JSON pointer to the schema object holding `keyword` (`""` for the root).
    public let path: String

    private init(_ code: Code, _ message: String, keyword: String, path: String) {
        self.code = code
        self.message = message
        self.keyword = keyword
        self.path = path
    }

    /// A keyword outside the supported subset (or a supported keyword used in an unsupported way).
    public static func unsupportedKeyword(_ keyword: String, path: String, _ detail: String = "") -> GrammarError {
        .init(.unsupportedKeyword, "unsupported schema keyword '\(keyword)' at '\(path)'\(detail.isEmpty ? "" : ": \(detail)")",
              keyword: keyword, path: path)
    }
    /// A keyword whose value has the wrong shape (for example `"required": 3`).
    public static func invalidSchema(_ keyword: String, path: String, _ detail: String) -> GrammarError {
        .init(.invalidSchema, "invalid value for '\(keyword)' at '\(path)': \(detail)", keyword: keyword, path: path)
    }
    /// A schema that no JSON value satisfies (`false`, an empty `enum`, `minimum` above `maximum`).
    public static func unsatisfiable(_ keyword: String, path: String, _ detail: String) -> GrammarError {
        .init(.unsatisfiable, "no value satisfies '\(keyword)' at '\(path)': \(detail)", keyword: keyword, path: path)
    }
    /// A `$ref` that is not a local JSON pointer, points nowhere, or refers to itself without
    /// producing any output (which would expand forever).
    public static func invalidReference(_ reference: String, path: String, _ detail: String) -> GrammarError {
        .init(.invalidReference, "bad $ref '\(reference)' at '\(path)': \(detail)", keyword: "$ref", path: path)
    }
    /// A `pattern` outside the supported regular-expression subset.
    public static func invalidPattern(_ pattern: String, path: String, _ detail: String) -> GrammarError {
        .init(.invalidPattern, "unsupported pattern '\(pattern)' at '\(path)': \(detail)", keyword: "pattern", path: path)
    }
    /// A bound so large that the compiled constraint would be unreasonably big.
    public static func tooLarge(_ keyword: String, path: String, _ detail: String) -> GrammarError {
        .init(.tooLarge, "'\(keyword)' at '\(path)' is too large: \(detail)", keyword: keyword, path: path)
    }

    /// Whether no value satisfies the schema at fault (as opposed to a schema outside the subset).
    var isUnsatisfiable: Bool { code == .unsatisfiable }

    /// Whether `other` has the same code (ignoring message, keyword and path).
    public func isKind(of other: GrammarError) -> Bool { code == other.code }

    public var description: String { message }
}
