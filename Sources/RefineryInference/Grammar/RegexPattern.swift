import RefineryCore
/// The regular-expression subset `pattern` supports, parsed into a tree and compiled into
/// grammar rules over the *JSON-encoded* content of a string.
///
/// Supported: literal characters; `.` (any character but a newline); classes `[abc]`,
/// `[^abc]`, ranges `[a-z]` (ASCII endpoints); escapes `\d \w \s \D \W \S`, `\t \n \r \f \v`,
/// `\xHH`, `\uHHHH` and escaped punctuation; quantifiers `? * + {m} {m,} {m,n}` (a trailing lazy
/// `?` is accepted and changes nothing); groups `( )`, `(?: )`, named groups; alternation `|`.
/// The pattern must match the *whole* string: a leading `^` and trailing `$` are accepted and
/// implied when absent (a whole-string match also satisfies JSON Schema's unanchored search).
/// Not supported (a ``GrammarError``): backreferences, lookaround, word boundaries, inline
/// flags, anchors inside the pattern, quantifiers above 1000.
///
/// Generated strings are a subset of what the pattern matches: `\d`, `\w` and `\s` produce ASCII
/// only; `\D`, `\W`, `\S` and negated classes built from them produce ASCII only (Python's
/// Unicode-aware classes would reject some non-ASCII characters); control characters other than
/// tab, newline, carriage return and form feed are never produced.
indirect enum RegexNode: Sendable, Hashable {
    case scalar(Unicode.Scalar)
    case set(RegexCharSet)
    case concat([RegexNode])
    case alternation([RegexNode])
    case repetition(RegexNode, min: Int, max: Int?)
}

/// A character class: which ASCII characters, which listed non-ASCII scalars, and whether every
/// non-ASCII character is in.
struct RegexCharSet: Sendable, Hashable {
    var ascii = [Bool](repeating: false, count: 128)
    var nonASCII: [Unicode.Scalar] = []
    var anyNonASCII = false
    /// Set when built from `\D \W \S` (which exclude some non-ASCII characters in Python).
    var excludesSomeNonASCII = false

    static func of(_ predicate: (UInt8) -> Bool) -> RegexCharSet {
        var s = RegexCharSet()
        for b in 0..<128 where predicate(UInt8(b)) { s.ascii[b] = true }
        return s
    }
    static let digit = of { $0 >= 0x30 && $0 <= 0x39 }
    static let word = of { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F }
    static let space = of { $0 == 0x20 || ($0 >= 0x09 && $0 <= 0x0D) }

    var complemented: RegexCharSet {
        var s = RegexCharSet()
        for b in 0..<128 { s.ascii[b] = !ascii[b] }
        s.anyNonASCII = !anyNonASCII && nonASCII.isEmpty
        return s
    }

    mutating func formUnion(_ other: RegexCharSet) {
        for b in 0..<128 where other.ascii[b] { ascii[b] = true }
        nonASCII += other.nonASCII
        anyNonASCII = anyNonASCII || other.anyNonASCII
        excludesSomeNonASCII = excludesSomeNonASCII || other.excludesSomeNonASCII
    }
}

/// Parses the supported regex subset.
struct RegexParser {
    private let scalars: [Unicode.Scalar]
    private var i = 0
    private let source: String
    private let path: String
    /// Whether the pattern began with `^` (set by ``parse()``).
    private(set) var anchoredAtStart = false
    /// Whether the pattern ended with an unescaped `$` (set by ``parse()``).
    private(set) var anchoredAtEnd = false

    init(_ pattern: String, path: String) {
        source = pattern
        scalars = Array(pattern.unicodeScalars)
        self.path = path
    }

    private func fail(_ detail: String) -> GrammarError { .invalidPattern(source, path: path, detail) }

    mutating func parse() throws(GrammarError) -> RegexNode {
        var end = scalars.count
        if i < end, scalars[i] == "^" { i += 1; anchoredAtStart = true }
        if end > i, scalars[end - 1] == "$", !(end >= 2 && scalars[end - 2] == "\\" && !isEscapedBackslash(end - 2)) {
            end -= 1
            anchoredAtEnd = true
        }
        let node = try parseAlternation(end: end)
        guard i == end else { throw fail("unexpected '\(scalars[i])' at offset \(i)") }
        return node
    }

    /// Whether the backslash at `k` is itself escaped (preceded by an odd run of backslashes).
    private func isEscapedBackslash(_ k: Int) -> Bool {
        var run = 0
        var j = k - 1
        while j >= 0, scalars[j] == "\\" { run += 1; j -= 1 }
        return run % 2 == 1
    }

    private mutating func parseAlternation(end: Int) throws(GrammarError) -> RegexNode {
        var branches = [try parseConcat(end: end)]
        while i < end, scalars[i] == "|" {
            i += 1
            branches.append(try parseConcat(end: end))
        }
        return branches.count == 1 ? branches[0] : .alternation(branches)
    }

    private mutating func parseConcat(end: Int) throws(GrammarError) -> RegexNode {
        var items: [RegexNode] = []
        while i < end, scalars[i] != "|", scalars[i] != ")" {
            items.append(try parseQuantified(end: end))
        }
        return items.count == 1 ? items[0] : .concat(items)
    }

    private mutating func parseQuantified(end: Int) throws(GrammarError) -> RegexNode {
        var node = try parseAtom(end: end)
        while i < end {
            let c = scalars[i]
            var bounds: (Int, Int?)
            if c == "?" { bounds = (0, 1); i += 1 }
            else if c == "*" { bounds = (0, nil); i += 1 }
            else if c == "+" { bounds = (1, nil); i += 1 }
            else if c == "{" { bounds = try parseBraces(end: end) }
            else { break }
            if i < end, scalars[i] == "?" { i += 1 }  // lazy: same language
            if i < end, scalars[i] == "+" { throw fail("possessive quantifiers are not supported") }
            if let max = bounds.1, max < bounds.0 { throw fail("quantifier {\(bounds.0),\(max)} has max below min") }
            if bounds.0 > 1000 || (bounds.1 ?? 0) > 1000 { throw fail("quantifier bounds above 1000") }
            node = .repetition(node, min: bounds.0, max: bounds.1)
        }
        return node
    }

    private mutating func parseNumber(end: Int) -> Int? {
        var value = 0
        var digits = 0
        while i < end, scalars[i].value >= 0x30, scalars[i].value <= 0x39 {
            value = min(value * 10 + Int(scalars[i].value - 0x30), 1_000_000)
            digits += 1
            i += 1
        }
        return digits == 0 ? nil : value
    }

    private mutating func parseBraces(end: Int) throws(GrammarError) -> (Int, Int?) {
        i += 1
        guard let lo = parseNumber(end: end) else { throw fail("'{' must start a quantifier {m}, {m,} or {m,n}") }
        var hi: Int? = lo
        if i < end, scalars[i] == "," {
            i += 1
            hi = parseNumber(end: end)
        }
        guard i < end, scalars[i] == "}" else { throw fail("unterminated quantifier") }
        i += 1
        return (lo, hi)
    }

    private mutating func parseAtom(end: Int) throws(GrammarError) -> RegexNode {
        let c = scalars[i]
        switch c {
        case "(":
            i += 1
            if i < end, scalars[i] == "?" {
                i += 1
                if i < end, scalars[i] == ":" {
                    i += 1
                } else if i < end, scalars[i] == "P" || scalars[i] == "<" {
                    if scalars[i] == "P" { i += 1 }
                    guard i < end, scalars[i] == "<" else { throw fail("unsupported group syntax") }
                    if i + 1 < end, scalars[i + 1] == "=" || scalars[i + 1] == "!" { throw fail("lookbehind is not supported") }
                    while i < end, scalars[i] != ">" { i += 1 }
                    guard i < end else { throw fail("unterminated group name") }
                    i += 1
                } else {
                    throw fail("lookaround, inline flags and other (?...) groups are not supported")
                }
            }
            let inner = try parseAlternation(end: end)
            guard i < end, scalars[i] == ")" else { throw fail("missing ')'") }
            i += 1
            return inner
        case "[":
            return .set(try parseClass(end: end))
        case ".":
            i += 1
            var s = RegexCharSet.of { $0 != 0x0A }
            s.anyNonASCII = true
            return .set(s)
        case "\\":
            i += 1
            guard i < end else { throw fail("trailing backslash") }
            let e = scalars[i]
            i += 1
            if let set = classEscape(e) { return .set(set) }
            return .scalar(try literalEscape(e, end: end))
        case "^", "$":
            throw fail("anchors are only supported at the start and end of the pattern")
        case "*", "+", "?", "{":
            throw fail("nothing to repeat at offset \(i)")
        case ")":
            throw fail("unbalanced ')'")
        default:
            i += 1
            return .scalar(c)
        }
    }

    private func classEscape(_ e: Unicode.Scalar) -> RegexCharSet? {
        switch e {
        case "d": return .digit
        case "w": return .word
        case "s": return .space
        case "D", "W", "S":
            let base: RegexCharSet = e == "D" ? .digit : e == "W" ? .word : .space
            var s = RegexCharSet()
            for b in 0..<128 { s.ascii[b] = !base.ascii[b] }
            s.excludesSomeNonASCII = true
            return s
        default: return nil
        }
    }

    private mutating func literalEscape(_ e: Unicode.Scalar, end: Int) throws(GrammarError) -> Unicode.Scalar {
        switch e {
        case "t": return "\t"
        case "n": return "\n"
        case "r": return "\r"
        case "f": return "\u{0C}"
        case "v": return "\u{0B}"
        case "x", "u":
            let count = e == "x" ? 2 : 4
            guard i + count <= end, let v = UInt32(String(String.UnicodeScalarView(scalars[i..<(i + count)])), radix: 16),
                  let s = Unicode.Scalar(v) else { throw fail("bad \\\(e) escape") }
            i += count
            return s
        default:
            if e.isASCII, !(e.properties.isAlphabetic || ("0"..."9").contains(e)) { return e }
            throw fail("escape \\\(e) is not supported")
        }
    }

    private mutating func parseClass(end: Int) throws(GrammarError) -> RegexCharSet {
        i += 1
        var negated = false
        if i < end, scalars[i] == "^" { negated = true; i += 1 }
        var set = RegexCharSet()
        var first = true
        while true {
            guard i < end else { throw fail("missing ']'") }
            var c = scalars[i]
            if c == "]", !first { i += 1; break }
            first = false
            i += 1
            if c == "\\" {
                guard i < end else { throw fail("trailing backslash") }
                let e = scalars[i]
                i += 1
                if let cls = classEscape(e) { set.formUnion(cls); continue }
                c = try literalEscape(e, end: end)
            } else if c == "[", i < end, scalars[i] == ":" {
                throw fail("POSIX classes are not supported")
            }
            // A range a-b (a '-' before ']' is literal).
            if i + 1 < end, scalars[i] == "-", scalars[i + 1] != "]" {
                i += 1
                var hi = scalars[i]
                i += 1
                if hi == "\\" {
                    guard i < end else { throw fail("trailing backslash") }
                    let e = scalars[i]
                    i += 1
                    if classEscape(e) != nil { throw fail("a class escape cannot end a range") }
                    hi = try literalEscape(e, end: end)
                }
                guard c.value <= hi.value else { throw fail("range \(c)-\(hi) is reversed") }
                if hi.value < 128 {
                    for v in c.value...hi.value { set.ascii[Int(v)] = true }
                } else {
                    guard hi.value - c.value <= 256 else { throw fail("non-ASCII ranges wider than 256 characters are not supported") }
                    for v in c.value...hi.value {
                        if v < 128 { set.ascii[Int(v)] = true } else if let s = Unicode.Scalar(v) { set.nonASCII.append(s) }
                    }
                }
            } else if c.value < 128 {
                set.ascii[Int(c.value)] = true
            } else {
                set.nonASCII.append(c)
            }
        }
        if negated {
            guard set.nonASCII.isEmpty else { throw fail("negated classes with non-ASCII characters are not supported") }
            let excludes = set.excludesSomeNonASCII || set.anyNonASCII
            var s = RegexCharSet()
            for b in 0..<128 { s.ascii[b] = !set.ascii[b] }
            // [^\d] etc. would exclude Unicode digits in Python: produce ASCII only then.
            s.anyNonASCII = !excludes && !containsPerlClass(set)
            return s
        }
        return set
    }

    /// Whether the class holds all of \d, \w or \s's ASCII members (a sign one was used).
    private func containsPerlClass(_ set: RegexCharSet) -> Bool {
        for cls in [RegexCharSet.digit, .space] where (0..<128).allSatisfy({ !cls.ascii[$0] || set.ascii[$0] }) {
            return true
        }
        return false
    }
}
