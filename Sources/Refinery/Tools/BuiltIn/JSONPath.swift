import RefineryCore

/// A small path language over ``JSONValue``: an optional `$`, then `.key`, `["key"]`,
/// `[index]` (negative counts from the end) and `[*]` / `.*` (every element or member).
///
/// `$.users[*].name` on `{"users": [{"name": "a"}, {"name": "b"}]}` selects `"a"` and `"b"`.
public struct JSONPath: Sendable, Hashable, CustomStringConvertible {
    /// One step of a path.
    public enum Step: Sendable, Hashable {
        case key(String)
        case index(Int)
        case wildcard
    }

    /// The steps, in order.
    public let steps: [Step]
    /// The text the path was parsed from.
    public let description: String

    /// Parses `text`; throws a ``JSONPathError`` with the offset of the first problem.
    public init(_ text: String) throws(JSONPathError) {
        description = text
        var steps: [Step] = []
        let s = Array(text.unicodeScalars)
        var i = 0
        if i < s.count, s[i] == "$" { i += 1 }
        func isKeyChar(_ c: Unicode.Scalar) -> Bool { c != "." && c != "[" && c != "]" && !c.properties.isWhitespace }
        while i < s.count {
            switch s[i] {
            case ".":
                i += 1
                if i < s.count, s[i] == "*" { steps.append(.wildcard); i += 1; continue }
                let start = i
                while i < s.count, isKeyChar(s[i]) { i += 1 }
                guard i > start else { throw JSONPathError(message: "expected a key after '.'", offset: start) }
                steps.append(.key(String(String.UnicodeScalarView(s[start..<i]))))
            case "[":
                i += 1
                guard i < s.count else { throw JSONPathError(message: "unclosed '['", offset: i) }
                if s[i] == "*" {
                    i += 1
                    steps.append(.wildcard)
                } else if s[i] == "\"" || s[i] == "'" {
                    let quote = s[i]
                    i += 1
                    var key = String.UnicodeScalarView()
                    while i < s.count, s[i] != quote {
                        if s[i] == "\\", i + 1 < s.count { i += 1 }
                        key.append(s[i])
                        i += 1
                    }
                    guard i < s.count else { throw JSONPathError(message: "unclosed quoted key", offset: i) }
                    i += 1
                    steps.append(.key(String(key)))
                } else {
                    let start = i
                    if s[i] == "-" { i += 1 }
                    while i < s.count, s[i].properties.numericType == .decimal, s[i].isASCII { i += 1 }
                    guard let n = Int(String(String.UnicodeScalarView(s[start..<i]))) else {
                        throw JSONPathError(message: "expected an index, a quoted key or '*' inside '[ ]'", offset: start)
                    }
                    steps.append(.index(n))
                }
                guard i < s.count, s[i] == "]" else { throw JSONPathError(message: "expected ']'", offset: i) }
                i += 1
            default:
                if steps.isEmpty && i == 0 {
                    // A leading bare key: `users[0]` means `$.users[0]`.
                    let start = i
                    while i < s.count, isKeyChar(s[i]) { i += 1 }
                    steps.append(.key(String(String.UnicodeScalarView(s[start..<i]))))
                } else {
                    throw JSONPathError(message: "unexpected '\(s[i])'", offset: i)
                }
            }
        }
        self.steps = steps
    }

    /// The values the path selects in `document`, in document order (empty when nothing matches).
    public func select(in document: JSONValue) -> [JSONValue] {
        var current = [document]
        for step in steps {
            var next: [JSONValue] = []
            for value in current {
                switch (step, value) {
                case (.key(let k), .object(let pairs)):
                    if let v = pairs.first(where: { $0.key == k })?.value { next.append(v) }
                case (.index(let n), .array(let items)):
                    let i = n < 0 ? items.count + n : n
                    if items.indices.contains(i) { next.append(items[i]) }
                case (.wildcard, .array(let items)): next.append(contentsOf: items)
                case (.wildcard, .object(let pairs)): next.append(contentsOf: pairs.map(\.value))
                default: break
                }
            }
            current = next
        }
        return current
    }

    /// Whether the path can select more than one value.
    public var isWildcard: Bool { steps.contains(.wildcard) }
}

/// A path the ``JSONPath`` parser rejects.
public struct JSONPathError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    /// Offset (in Unicode scalars) of the problem.
    public let offset: Int
    public var description: String { "\(message) at offset \(offset)" }
}
