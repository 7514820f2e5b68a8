import RefineryCore
/// An error parsing or rendering a chat template.
///
/// Every failure is reported this way — a syntax error, a construct the interpreter does not
/// support, an undefined value used where jinja2 would fail, a type error, or the template
/// calling `raise_exception(message)` — never a crash. `line` and `column` (1-based) locate the
/// offending construct in the template source.
public struct TemplateError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: String, Hashable, Sendable {
            case syntax, unsupported, unknownFilter, unknownTest, undefined, type, value, raised, limit
        }
        private let kind: Kind
        private init(_ kind: Kind) { self.kind = kind }

        /// The template text is not valid Jinja.
        public static let syntax = Code(.syntax)
        /// Valid Jinja that this interpreter does not implement (`include`, `extends`, …).
        public static let unsupported = Code(.unsupported)
        /// A filter name jinja2 does not know either.
        public static let unknownFilter = Code(.unknownFilter)
        /// A test name (`x is …`) jinja2 does not know either.
        public static let unknownTest = Code(.unknownTest)
        /// An undefined value was used where jinja2 raises `UndefinedError`.
        public static let undefined = Code(.undefined)
        /// An operation on values of the wrong type (`'a' + 1`, iterating an int, …).
        public static let type = Code(.type)
        /// An operation on a value it cannot take (division by zero, integer overflow, …).
        public static let value = Code(.value)
        /// The template called `raise_exception(message)`; `message` is the template's text.
        public static let raised = Code(.raised)
        /// Rendering exceeded a safety limit (recursion depth, output size).
        public static let limit = Code(.limit)

        public var description: String { kind.rawValue }
    }

    /// What kind of failure this is.
    public let code: Code
    /// A human-readable explanation (for `.raised`, exactly the template's message).
    public let message: String
    /// 1-based line in the template source, or 0 when unknown.
    public let line: Int
    /// 1-based column in the template source, or 0 when unknown.
    public let column: Int

    /// An error of kind `code`; `line` and `column` are 0 when the position is unknown.
    public init(code: Code, message: String, line: Int = 0, column: Int = 0) {
        self.code = code
        self.message = message
        self.line = line
        self.column = column
    }

    public var description: String {
        line > 0 ? "template error (\(code)) at \(line):\(column): \(message)" : "template error (\(code)): \(message)"
    }

    /// The same error located at `location`, unless it already carries a location.
    func located(_ location: SourceLocation) -> TemplateError {
        line > 0 ? self : TemplateError(code: code, message: message, line: location.line, column: location.column)
    }
}

/// A position in template source (1-based).
struct SourceLocation: Sendable, Hashable {
    var line: Int
    var column: Int
}

/// Resource bounds that keep a hostile template from exhausting memory or time.
enum TemplateLimits {
    /// The most bytes one rendering, or one value built during it, may hold.
    static let maxBytes = 64 << 20
    /// The most `for` iterations (and loop-filter tests) one rendering may run; a chat of a
    /// thousand messages needs a few thousand.
    static let maxIterations = 1_000_000

    /// Throws `.limit` when a value of `count` units of `unitSize` bytes would exceed `maxBytes`.
    static func check(count: Int, unitSize: Int = 1) throws {
        let (total, overflow) = count.multipliedReportingOverflow(by: Swift.max(unitSize, 1))
        if overflow || total > maxBytes {
            throw TemplateError(code: .limit, message: "a value of \(count) × \(unitSize) bytes exceeds the \(maxBytes)-byte limit")
        }
    }
}
