import RefineryCore
/// A critique's typed judgement of an answer.
public struct Verdict: Sendable, Hashable {
    /// Quality from 0 (useless) to 10 (perfect).
    public var score: Double
    /// Concrete problems to fix, most important first.
    public var issues: [String]
    /// Whether the answer may be returned as it is.
    public var acceptable: Bool

    /// A verdict with a `score` in 0...10.
    public init(score: Double, issues: [String], acceptable: Bool) {
        self.score = score
        self.issues = issues
        self.acceptable = acceptable
    }

    /// The issues that name a problem: items of at least two words. A small model's critique
    /// often lists stray words from the text ("amber", "tea") as issues; nothing in them can be
    /// fixed, so they are not fed to a rewrite.
    public var concreteIssues: [String] {
        issues.filter { issue in
            issue.split(whereSeparator: { !($0.isLetter || $0.isNumber) }).count >= 2
        }
    }

    /// Why this verdict contradicts itself, or nil when it does not: "acceptable" with a score
    /// below 5, or "not acceptable" with a score of 9 or more and no concrete problem named. A
    /// contradictory verdict is not trusted: it does not end the refinement as acceptable. (No
    /// verdict vouches for an answer: only external checks do.)
    public var contradiction: String? {
        if acceptable, score < 5 { return "marked acceptable with a score of \(Self.format(score))" }
        if !acceptable, score >= 9, concreteIssues.isEmpty {
            return "marked not acceptable with a score of \(Self.format(score)) and no concrete problem named"
        }
        return nil
    }

    static func format(_ score: Double) -> String {
        score == score.rounded() ? String(Int(score)) : String(score)
    }

    /// The JSON schema critique output is constrained to: `{"score": 0-10, "issues": [..],
    /// "acceptable": bool}`, keys in that order.
    public static let schema: JSONValue = [
        "type": "object",
        "properties": [
            "score": ["type": "integer", "minimum": 0, "maximum": 10],
            "issues": ["type": "array", "items": ["type": "string", "maxLength": 200], "maxItems": 5],
            "acceptable": ["type": "boolean"],
        ],
        "required": ["score", "issues", "acceptable"],
        "additionalProperties": false,
    ]

    /// Decodes a verdict from model output. Text around the JSON object (prose, code fences) is
    /// ignored; a missing or mistyped field, or no object at all, throws ``VerdictError``.
    public init(parsing text: String) throws(VerdictError) {
        guard let open = text.firstIndex(of: "{"), let close = text.lastIndex(of: "}"), open < close else {
            throw .noObject(text)
        }
        let value: JSONValue
        do { value = try JSONValue(parsing: String(text[open...close])) } catch {
            throw .invalidJSON(text, "\(error)")
        }
        let score: Double
        switch value["score"] {
        case .int(let i)?: score = Double(i)
        case .double(let d)?: score = d
        default: throw .badField("score", text)
        }
        guard score.isFinite, (0...10).contains(score) else { throw .badField("score", text) }
        guard case .bool(let acceptable)? = value["acceptable"] else { throw .badField("acceptable", text) }
        var issues: [String] = []
        if let list = value["issues"] {
            guard let items = list.arrayValue else { throw .badField("issues", text) }
            for item in items {
                guard let s = item.stringValue else { throw .badField("issues", text) }
                issues.append(s)
            }
        }
        self.init(score: score, issues: issues, acceptable: acceptable)
    }
}

/// Model output that is not a valid ``Verdict``.
public struct VerdictError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Sendable, Hashable { case noObject, invalidJSON, badField }
    private let code: Code
    /// What went wrong.
    public let message: String
    /// The offending model output.
    public let text: String

    static func noObject(_ text: String) -> VerdictError {
        VerdictError(code: .noObject, message: "the critique holds no JSON object", text: text)
    }
    static func invalidJSON(_ text: String, _ reason: String) -> VerdictError {
        VerdictError(code: .invalidJSON, message: "the critique is not valid JSON: \(reason)", text: text)
    }
    static func badField(_ field: String, _ text: String) -> VerdictError {
        VerdictError(
            code: .badField, message: "the critique's \"\(field)\" is missing or has the wrong type", text: text)
    }

    /// No JSON object in the output.
    public static let noObject = VerdictError(code: .noObject, message: "", text: "")
    /// The object is not valid JSON.
    public static let invalidJSON = VerdictError(code: .invalidJSON, message: "", text: "")
    /// A field is missing or mistyped.
    public static let badField = VerdictError(code: .badField, message: "", text: "")

    /// Errors match by code.
    public static func ~= (pattern: VerdictError, value: any Error) -> Bool {
        (value as? VerdictError)?.code == pattern.code
    }

    /// Errors are equal when their codes are, so `.badField` matches any bad-field error.
    public static func == (lhs: VerdictError, rhs: VerdictError) -> Bool { lhs.code == rhs.code }

    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    public var description: String { message }
}
