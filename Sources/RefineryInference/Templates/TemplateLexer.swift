import RefineryCore
/// One token of a template: literal text, a tag delimiter, or an expression token inside a tag.
struct TemplateToken: Sendable {
    enum Kind: Sendable, Equatable {
        case text(String)
        case variableBegin, variableEnd, blockBegin, blockEnd
        case name(String)
        case string(String)
        case integer(Int)
        case float(Double)
        /// An operator or punctuation: `+ - * / // % ** ~ == != < <= > >= = . , : | ( ) [ ] { }`.
        case op(String)
        case end
    }
    var kind: Kind
    var location: SourceLocation
}

/// Splits template source into tokens with jinja2's whitespace rules as transformers configures
/// them: `trim_blocks` (the first newline after a block or comment tag is dropped),
/// `lstrip_blocks` (spaces and tabs before a block or comment tag at the start of a line are
/// dropped), `-`/`+` modifiers, newlines normalized to `\n`, one trailing newline removed.
struct TemplateLexer {
    private let src: [UInt8]
    private var pos = 0
    private var line = 1
    private var lineStart = 0
    private var tokens: [TemplateToken] = []

    init(source: String) {
        // Normalize \r\n and \r to \n; drop one trailing newline (keep_trailing_newline=False).
        var bytes = [UInt8]()
        bytes.reserveCapacity(source.utf8.count)
        var iterator = source.utf8.makeIterator()
        var pending = iterator.next()
        while let b = pending {
            pending = iterator.next()
            if b == 13 {
                bytes.append(10)
                if pending == 10 { pending = iterator.next() }
            } else {
                bytes.append(b)
            }
        }
        if bytes.last == 10 { bytes.removeLast() }
        src = bytes
    }

    static func tokenize(_ source: String) throws -> [TemplateToken] {
        var lexer = TemplateLexer(source: source)
        try lexer.run()
        return lexer.tokens
    }

    private var location: SourceLocation { SourceLocation(line: line, column: pos - lineStart + 1) }

    private func error(_ message: String) -> TemplateError {
        TemplateError(code: .syntax, message: message, line: line, column: pos - lineStart + 1)
    }

    /// Moves to `newPos`, counting lines.
    private mutating func advance(to newPos: Int) {
        var i = pos
        while i < newPos {
            if src[i] == 10 { line += 1; lineStart = i + 1 }
            i += 1
        }
        pos = newPos
    }

    private func at(_ i: Int) -> UInt8 { i < src.count ? src[i] : 0 }

    private func hasPrefix(_ s: StaticString, at i: Int) -> Bool {
        let n = s.utf8CodeUnitCount
        guard i + n <= src.count else { return false }
        let p = s.utf8Start
        for k in 0..<n where src[i + k] != p[k] { return false }
        return true
    }

    private mutating func run() throws {
        var lineStarting = true
        while pos < src.count {
            // Find the next tag opening.
            var start = pos
            var kind: UInt8 = 0
            while start + 1 < src.count {
                if src[start] == UInt8(ascii: "{") {
                    let c = src[start + 1]
                    if c == UInt8(ascii: "{") || c == UInt8(ascii: "%") || c == UInt8(ascii: "#") { kind = c; break }
                }
                start += 1
            }
            if kind == 0 {
                emitText(from: pos, to: src.count)
                advance(to: src.count)
                break
            }
            let marker = at(start + 2)
            var textEnd = start
            if marker == UInt8(ascii: "-") {
                textEnd = rstripWhitespace(from: pos, to: start)
            } else if marker != UInt8(ascii: "+") && kind != UInt8(ascii: "{") {
                // lstrip_blocks: drop spaces/tabs between the last newline (or line start) and the tag.
                var l = start
                while l > pos && (src[l - 1] == 32 || src[l - 1] == 9) { l -= 1 }
                if (l > pos && src[l - 1] == 10) || (l == pos && lineStarting) { textEnd = l }
            }
            emitText(from: pos, to: textEnd)
            advance(to: start)
            let tagLocation = location
            let hasMarker = marker == UInt8(ascii: "-") || marker == UInt8(ascii: "+")
            advance(to: start + 2 + (hasMarker ? 1 : 0))
            switch kind {
            case UInt8(ascii: "#"):
                lineStarting = try skipComment(openedAt: tagLocation)
            case UInt8(ascii: "{"):
                tokens.append(TemplateToken(kind: .variableBegin, location: tagLocation))
                lineStarting = try lexTag(isBlock: false, openedAt: tagLocation)
            default:
                if let rawStarting = try lexRawBlock(openedAt: tagLocation) {
                    lineStarting = rawStarting
                } else {
                    tokens.append(TemplateToken(kind: .blockBegin, location: tagLocation))
                    lineStarting = try lexTag(isBlock: true, openedAt: tagLocation)
                }
            }
        }
        tokens.append(TemplateToken(kind: .end, location: location))
    }

    private mutating func emitText(from a: Int, to b: Int) {
        guard b > a else { return }
        let text = String(decoding: src[a..<b], as: UTF8.self)
        tokens.append(TemplateToken(kind: .text(text), location: location))
    }

    /// The end of `src[a..<b]` with trailing (Python) whitespace removed.
    private func rstripWhitespace(from a: Int, to b: Int) -> Int {
        // Decode backwards by scalars: whitespace beyond ASCII (U+00A0, U+3000, …) counts too.
        let text = String(decoding: src[a..<b], as: UTF8.self)
        var scalars = Substring(text).unicodeScalars
        while let last = scalars.last, isPyWhitespace(last) { scalars.removeLast() }
        return a + String(scalars).utf8.count
    }

    /// Skips (Python) whitespace from `pos`; returns whether the skipped run ended with `\n`.
    private mutating func skipWhitespace() -> Bool {
        var i = pos
        var endsWithNewline = false
        while i < src.count {
            let b = src[i]
            if b == 32 || (b >= 9 && b <= 13) || (b >= 0x1C && b <= 0x1F) {
                endsWithNewline = b == 10
                i += 1
                continue
            }
            if b >= 0x80 {
                // Multi-byte whitespace: decode one scalar.
                var it = src[i...].makeIterator()
                var decoder = UTF8()
                if case .scalarValue(let s) = decoder.decode(&it), isPyWhitespace(s) {
                    endsWithNewline = false
                    i += String(s).utf8.count
                    continue
                }
            }
            break
        }
        advance(to: i)
        return endsWithNewline
    }

    /// After a tag's closing delimiter: `-` strips all whitespace, `+` nothing, plain trims one
    /// newline when `trimNewline` (block and comment tags). Returns whether a line now starts.
    private mutating func finishTag(marker: UInt8, closeLength: Int, trimNewline: Bool) -> Bool {
        advance(to: pos + closeLength)
        if marker == UInt8(ascii: "-") { return skipWhitespace() }
        if marker != UInt8(ascii: "+") && trimNewline && at(pos) == 10 {
            advance(to: pos + 1)
            return true
        }
        return false
    }

    private mutating func skipComment(openedAt location: SourceLocation) throws -> Bool {
        var i = pos
        while i + 1 < src.count {
            if src[i] == UInt8(ascii: "#") && src[i + 1] == UInt8(ascii: "}") {
                let before = i > pos ? src[i - 1] : 0
                if before == UInt8(ascii: "-") || before == UInt8(ascii: "+") {
                    advance(to: i - 1)
                    return finishTag(marker: before, closeLength: 3, trimNewline: true)
                }
                advance(to: i)
                return finishTag(marker: 0, closeLength: 2, trimNewline: true)
            }
            i += 1
        }
        throw TemplateError(code: .syntax, message: "Missing end of comment tag", line: location.line, column: location.column)
    }

    /// `{% raw %}…{% endraw %}`: when the tag just opened is `raw`, emits its body as text and
    /// returns the line-starting state; otherwise returns `nil` and leaves the position alone.
    private mutating func lexRawBlock(openedAt location: SourceLocation) throws -> Bool? {
        var i = pos
        while i < src.count && (src[i] == 32 || src[i] == 9 || src[i] == 10) { i += 1 }
        guard hasPrefix("raw", at: i) else { return nil }
        i += 3
        while i < src.count && (src[i] == 32 || src[i] == 9 || src[i] == 10) { i += 1 }
        var marker: UInt8 = 0
        if at(i) == UInt8(ascii: "-") || at(i) == UInt8(ascii: "+") { marker = src[i]; i += 1 }
        guard hasPrefix("%}", at: i) else { return nil }
        advance(to: i - (marker == 0 ? 0 : 1))
        var lineStarting = finishTag(marker: marker, closeLength: marker == 0 ? 2 : 3, trimNewline: true)
        // Find {%[-+]? endraw [-+]?%}
        var j = pos
        while j + 1 < src.count {
            if src[j] == UInt8(ascii: "{") && src[j + 1] == UInt8(ascii: "%") {
                var k = j + 2
                let open = at(k)
                if open == UInt8(ascii: "-") || open == UInt8(ascii: "+") { k += 1 }
                while k < src.count && (src[k] == 32 || src[k] == 9 || src[k] == 10) { k += 1 }
                if hasPrefix("endraw", at: k) {
                    k += 6
                    while k < src.count && (src[k] == 32 || src[k] == 9 || src[k] == 10) { k += 1 }
                    var close: UInt8 = 0
                    if at(k) == UInt8(ascii: "-") || at(k) == UInt8(ascii: "+") { close = src[k]; k += 1 }
                    if hasPrefix("%}", at: k) {
                        var textEnd = j
                        if open == UInt8(ascii: "-") {
                            textEnd = rstripWhitespace(from: pos, to: j)
                        } else if open != UInt8(ascii: "+") {
                            var l = j
                            while l > pos && (src[l - 1] == 32 || src[l - 1] == 9) { l -= 1 }
                            if (l > pos && src[l - 1] == 10) || (l == pos && lineStarting) { textEnd = l }
                        }
                        emitText(from: pos, to: textEnd)
                        advance(to: k - (close == 0 ? 0 : 1))
                        lineStarting = finishTag(marker: close, closeLength: close == 0 ? 2 : 3, trimNewline: true)
                        return lineStarting
                    }
                }
            }
            j += 1
        }
        throw TemplateError(code: .syntax, message: "Missing end of raw directive", line: location.line, column: location.column)
    }

    /// Lexes expression tokens up to the tag's closing delimiter; returns the line-starting state.
    private mutating func lexTag(isBlock: Bool, openedAt location: SourceLocation) throws -> Bool {
        var depth = 0
        while true {
            // Whitespace inside a tag.
            _ = skipWhitespace()
            guard pos < src.count else {
                throw TemplateError(
                    code: .syntax,
                    message: isBlock ? "unexpected end of template, expected 'end of statement block'."
                        : "unexpected end of template, expected 'end of print statement'.",
                    line: location.line, column: location.column)
            }
            let c = src[pos]
            // Closing delimiters, unless inside brackets.
            if depth == 0 {
                let endLocation = self.location
                if isBlock {
                    if (c == UInt8(ascii: "-") || c == UInt8(ascii: "+")) && hasPrefix("%}", at: pos + 1) {
                        tokens.append(TemplateToken(kind: .blockEnd, location: endLocation))
                        return finishTag(marker: c, closeLength: 3, trimNewline: true)
                    }
                    if hasPrefix("%}", at: pos) {
                        tokens.append(TemplateToken(kind: .blockEnd, location: endLocation))
                        return finishTag(marker: 0, closeLength: 2, trimNewline: true)
                    }
                } else {
                    if c == UInt8(ascii: "-") && hasPrefix("}}", at: pos + 1) {
                        tokens.append(TemplateToken(kind: .variableEnd, location: endLocation))
                        return finishTag(marker: c, closeLength: 3, trimNewline: false)
                    }
                    if hasPrefix("}}", at: pos) {
                        tokens.append(TemplateToken(kind: .variableEnd, location: endLocation))
                        return finishTag(marker: 0, closeLength: 2, trimNewline: false)
                    }
                }
            }
            let tokenLocation = self.location
            if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") {
                let s = try lexString(quote: c)
                tokens.append(TemplateToken(kind: .string(s), location: tokenLocation))
            } else if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                tokens.append(TemplateToken(kind: try lexNumber(), location: tokenLocation))
            } else if nameCharacterLength(at: pos, first: true) > 0 {
                var i = pos
                while i < src.count {
                    let n = nameCharacterLength(at: i, first: i == pos)
                    if n == 0 { break }
                    i += n
                }
                let name = String(decoding: src[pos..<i], as: UTF8.self)
                advance(to: i)
                tokens.append(TemplateToken(kind: .name(name), location: tokenLocation))
            } else {
                let second = at(pos + 1)
                let op: String
                if (c == UInt8(ascii: "/") && second == c) || (c == UInt8(ascii: "*") && second == c) {
                    op = c == UInt8(ascii: "/") ? "//" : "**"
                } else if second == UInt8(ascii: "="), let first = Self.comparisonOperators[c] {
                    op = first
                } else if Self.singleOperators.contains(c) {
                    op = String(UnicodeScalar(c))
                } else {
                    let scalar = String(decoding: src[pos..<min(pos + 4, src.count)], as: UTF8.self).unicodeScalars.first.map(String.init) ?? "?"
                    throw error("unexpected char '\(scalar)' at \(pos)")
                }
                if op == "(" || op == "[" || op == "{" { depth += 1 }
                if op == ")" || op == "]" || op == "}" {
                    if depth == 0 { throw error("unexpected '\(op)'") }
                    depth -= 1
                }
                advance(to: pos + op.utf8.count)
                tokens.append(TemplateToken(kind: .op(op), location: tokenLocation))
            }
        }
    }

    private static let comparisonOperators: [UInt8: String] = [
        UInt8(ascii: "="): "==", UInt8(ascii: "!"): "!=", UInt8(ascii: "<"): "<=", UInt8(ascii: ">"): ">=",
    ]
    private static let singleOperators: Set<UInt8> = Set("+-*/%~<>=.,:|()[]{}".utf8)

    /// The byte length of the identifier character at `i` (Python's `\w`: letters, digits —
    /// not first — and `_`), or 0 if there is none.
    private func nameCharacterLength(at i: Int, first: Bool) -> Int {
        let c = src[i]
        if (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 { return 1 }
        if c >= 48 && c <= 57 { return first ? 0 : 1 }
        guard c >= 0x80 else { return 0 }
        var iterator = src[i...].makeIterator()
        var decoder = UTF8()
        guard case .scalarValue(let scalar) = decoder.decode(&iterator) else { return 0 }
        let properties = scalar.properties
        let isWord = properties.isAlphabetic || (!first && properties.numericType != nil)
        return isWord ? String(scalar).utf8.count : 0
    }

    /// A string literal, unescaped like Python's `unicode-escape` (as jinja2 does).
    private mutating func lexString(quote: UInt8) throws -> String {
        let start = location
        var i = pos + 1
        var bytes = [UInt8]()
        while i < src.count && src[i] != quote {
            if src[i] == UInt8(ascii: "\\") && i + 1 < src.count {
                bytes.append(src[i]); bytes.append(src[i + 1]); i += 2
            } else {
                bytes.append(src[i]); i += 1
            }
        }
        guard i < src.count else {
            throw TemplateError(code: .syntax, message: "unexpected char \(quote == 39 ? "\"'\"" : "'\"'") at \(pos)", line: start.line, column: start.column)
        }
        advance(to: i + 1)
        return unescapePython(String(decoding: bytes, as: UTF8.self))
    }

    private func unescapePython(_ s: String) -> String {
        guard s.contains("\\") else { return s }
        let scalars = Array(s.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        func hexValue(_ start: Int, _ count: Int) -> UInt32? {
            guard start + count <= scalars.count else { return nil }
            var v: UInt32 = 0
            for k in start..<start + count {
                guard let d = Int(String(scalars[k]), radix: 16) else { return nil }
                v = v * 16 + UInt32(d)
            }
            return v
        }
        while i < scalars.count {
            let c = scalars[i]
            guard c == "\\", i + 1 < scalars.count else { out.append(c); i += 1; continue }
            let e = scalars[i + 1]
            i += 2
            switch e {
            case "\\": out.append("\\")
            case "'": out.append("'")
            case "\"": out.append("\"")
            case "a": out.append("\u{07}")
            case "b": out.append("\u{08}")
            case "f": out.append("\u{0C}")
            case "n": out.append("\n")
            case "r": out.append("\r")
            case "t": out.append("\t")
            case "v": out.append("\u{0B}")
            case "\n": break
            case "x", "u", "U":
                let n = e == "x" ? 2 : (e == "u" ? 4 : 8)
                if let v = hexValue(i, n), let scalar = Unicode.Scalar(v) {
                    out.append(scalar); i += n
                } else {
                    out.append("\\"); out.append(e)
                }
            case "0"..."7":
                var v = e.value - 48
                var k = 0
                while k < 2 && i < scalars.count && scalars[i] >= "0" && scalars[i] <= "7" {
                    v = v * 8 + scalars[i].value - 48; i += 1; k += 1
                }
                out.append(Unicode.Scalar(v) ?? "?")
            default:
                out.append("\\"); out.append(e)
            }
        }
        return String(out)
    }

    /// Integer (decimal, 0b, 0o, 0x, with `_` separators) or float literal.
    private mutating func lexNumber() throws -> TemplateToken.Kind {
        var i = pos
        func digits(_ allowed: (UInt8) -> Bool) {
            while i < src.count && (allowed(src[i]) || (src[i] == 95 && i + 1 < src.count && allowed(src[i + 1]))) { i += 1 }
        }
        let isDigit: (UInt8) -> Bool = { $0 >= 48 && $0 <= 57 }
        if src[i] == 48, i + 1 < src.count, let radix = ["b": 2, "B": 2, "o": 8, "O": 8, "x": 16, "X": 16][String(UnicodeScalar(src[i + 1]))] {
            i += 2
            let start = i
            digits { Int(String(UnicodeScalar($0)), radix: radix) != nil }
            let text = String(decoding: src[start..<i], as: UTF8.self).filter { $0 != "_" }
            guard let v = Int(text, radix: radix) else { throw error("invalid integer literal") }
            advance(to: i)
            return .integer(v)
        }
        digits(isDigit)
        var isFloat = false
        if at(i) == UInt8(ascii: "."), isDigit(at(i + 1)) {
            isFloat = true
            i += 1
            digits(isDigit)
        }
        if at(i) == UInt8(ascii: "e") || at(i) == UInt8(ascii: "E") {
            var j = i + 1
            if at(j) == UInt8(ascii: "+") || at(j) == UInt8(ascii: "-") { j += 1 }
            if isDigit(at(j)) {
                isFloat = true
                i = j
                digits(isDigit)
            }
        }
        let text = String(decoding: src[pos..<i], as: UTF8.self).filter { $0 != "_" }
        advance(to: i)
        if isFloat {
            guard let d = Double(text) else { throw error("invalid float literal '\(text)'") }
            return .float(d)
        }
        guard let v = Int(text) else { throw error("integer literal '\(text)' is too large") }
        return .integer(v)
    }
}
