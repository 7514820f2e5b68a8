/// A strict RFC 8259 JSON parser producing ``JSONValue``s.
///
/// - Objects keep their keys in document order; a key repeated in one object is an error.
/// - Integers that fit in 64 bits stay exact (`.int`); other numbers become `.double`.
/// - Strings must be well-formed UTF-8, control characters must be escaped, and `\u` escapes
///   must not name lone surrogates.
/// - Nesting is limited (``maxDepth``) and parsing is iterative, so hostile input cannot
///   exhaust the stack.
///
/// Every failure is a ``JSONParseError`` carrying the byte offset of the mistake.
public struct JSONParser: Sendable {
    /// The deepest nesting of arrays and objects accepted.
    public var maxDepth: Int

    public init(maxDepth: Int = 512) {
        self.maxDepth = maxDepth
    }

    /// Parses one JSON value from UTF-8 bytes (whitespace around it allowed).
    public func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONParseError) -> JSONValue {
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            throw JSONParseError(code: .unexpectedEnd, message: "empty input", offset: 0)
        }
        var reader = JSONReader(
            base: base.assumingMemoryBound(to: UInt8.self), count: bytes.count, maxDepth: maxDepth)
        return try reader.document()
    }

    /// Parses one JSON value from UTF-8 bytes.
    public func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        let result: Result<JSONValue, JSONParseError> = bytes.withUnsafeBytes { raw in
            do throws(JSONParseError) { return .success(try parse(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Parses one JSON value from a string.
    public func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        var text = text
        let result: Result<JSONValue, JSONParseError> = text.withUTF8 { utf8 in
            do throws(JSONParseError) { return .success(try parse(UnsafeRawBufferPointer(utf8))) } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

extension JSONValue {
    /// Parses a JSON text with the default ``JSONParser``.
    public init(parsing text: String) throws(JSONParseError) {
        self = try JSONParser().parse(text)
    }

    /// Parses UTF-8 JSON bytes with the default ``JSONParser``.
    public init(parsing bytes: [UInt8]) throws(JSONParseError) {
        self = try JSONParser().parse(bytes)
    }
}

// MARK: - The reader

private enum Byte {
    static let quote: UInt8 = 0x22, backslash: UInt8 = 0x5C, slash: UInt8 = 0x2F
    static let comma: UInt8 = 0x2C, colon: UInt8 = 0x3A
    static let openBrace: UInt8 = 0x7B, closeBrace: UInt8 = 0x7D
    static let openBracket: UInt8 = 0x5B, closeBracket: UInt8 = 0x5D
    static let minus: UInt8 = 0x2D, plus: UInt8 = 0x2B, dot: UInt8 = 0x2E
    static let zero: UInt8 = 0x30, nine: UInt8 = 0x39
    static let lowerE: UInt8 = 0x65, upperE: UInt8 = 0x45
}

/// An open array or object while its members are read.
private struct Container {
    var isObject: Bool
    var elements: [JSONValue] = []
    var pairs: [(key: String, value: JSONValue)] = []
    var pendingKey: String = ""
    /// Keys seen, kept once an object grows past a few members (a linear scan before that).
    var keySet: Set<String>? = nil

    init(isObject: Bool) { self.isObject = isObject }
}

private struct JSONReader {
    let base: UnsafePointer<UInt8>
    let count: Int
    let maxDepth: Int
    var i = 0

    init(base: UnsafePointer<UInt8>, count: Int, maxDepth: Int) {
        self.base = base
        self.count = count
        self.maxDepth = maxDepth
    }

    func fail(_ code: JSONParseError.Code, _ message: String, at offset: Int) -> JSONParseError {
        JSONParseError(code: code, message: message, offset: offset)
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while i < count {
            let c = base[i]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i &+= 1 } else { return }
        }
    }

    func describe(_ c: UInt8) -> String {
        c >= 0x20 && c < 0x7F ? "'\(Character(Unicode.Scalar(c)))'" : "byte 0x\(String(c, radix: 16))"
    }

    mutating func document() throws(JSONParseError) -> JSONValue {
        var stack: [Container] = []
        var result: JSONValue
        parsing: while true {
            skipWhitespace()
            guard i < count else { throw fail(.unexpectedEnd, "expected a value", at: i) }
            var value: JSONValue
            switch base[i] {
            case Byte.openBrace, Byte.openBracket:
                let isObject = base[i] == Byte.openBrace
                if stack.count >= maxDepth {
                    throw fail(.tooDeep, "nesting deeper than \(maxDepth) levels", at: i)
                }
                i &+= 1
                skipWhitespace()
                if i < count && base[i] == (isObject ? Byte.closeBrace : Byte.closeBracket) {
                    i &+= 1
                    value = isObject ? .object([]) : .array([])
                } else {
                    var container = Container(isObject: isObject)
                    if isObject { container.pendingKey = try key(in: &container) }
                    stack.append(container)
                    continue parsing
                }
            case Byte.quote:
                value = .string(try string())
            case 0x74:  // t
                try literal("true")
                value = .bool(true)
            case 0x66:  // f
                try literal("false")
                value = .bool(false)
            case 0x6E:  // n
                try literal("null")
                value = .null
            case Byte.minus, Byte.zero...Byte.nine:
                value = try number()
            default:
                throw fail(.unexpectedCharacter, "\(describe(base[i])) cannot start a value", at: i)
            }
            // Attach the value to its container and close every container that ends here.
            while true {
                guard !stack.isEmpty else {
                    result = value
                    break parsing
                }
                let top = stack.count &- 1
                if stack[top].isObject {
                    let k = stack[top].pendingKey
                    stack[top].pairs.append((key: k, value: value))
                } else {
                    stack[top].elements.append(value)
                }
                skipWhitespace()
                guard i < count else {
                    throw fail(.unexpectedEnd, stack[top].isObject ? "unterminated object" : "unterminated array", at: i)
                }
                let c = base[i]
                i &+= 1
                if c == Byte.comma {
                    if stack[top].isObject {
                        skipWhitespace()
                        stack[top].pendingKey = try key(in: &stack[top])
                    }
                    continue parsing
                } else if stack[top].isObject && c == Byte.closeBrace {
                    value = .object(stack.removeLast().pairs)
                } else if !stack[top].isObject && c == Byte.closeBracket {
                    value = .array(stack.removeLast().elements)
                } else {
                    let expected = stack[top].isObject ? "',' or '}'" : "',' or ']'"
                    throw fail(.unexpectedCharacter, "expected \(expected), found \(describe(c))", at: i &- 1)
                }
            }
        }
        skipWhitespace()
        if i < count {
            throw fail(.trailingCharacters, "\(describe(base[i])) after the end of the value", at: i)
        }
        return result
    }

    /// Reads `"key" :` (the reader is at the opening quote, after whitespace) and checks that
    /// the object does not already have that key.
    mutating func key(in container: inout Container) throws(JSONParseError) -> String {
        guard i < count else { throw fail(.unexpectedEnd, "expected an object key", at: i) }
        guard base[i] == Byte.quote else {
            throw fail(.unexpectedCharacter, "expected a string key, found \(describe(base[i]))", at: i)
        }
        let start = i
        let k = try string()
        if container.keySet != nil {
            if !container.keySet!.insert(k).inserted { throw duplicate(k, at: start) }
        } else {
            for pair in container.pairs where pair.key == k { throw duplicate(k, at: start) }
            if container.pairs.count >= 8 { container.keySet = Set(container.pairs.map(\.key) + [k]) }
        }
        skipWhitespace()
        guard i < count else { throw fail(.unexpectedEnd, "expected ':' after an object key", at: i) }
        guard base[i] == Byte.colon else {
            throw fail(.unexpectedCharacter, "expected ':' after an object key, found \(describe(base[i]))", at: i)
        }
        i &+= 1
        return k
    }

    func duplicate(_ key: String, at offset: Int) -> JSONParseError {
        fail(.duplicateKey, "the key \"\(key.prefix(64))\" appears twice in one object", at: offset)
    }

    mutating func literal(_ word: StaticString) throws(JSONParseError) {
        let n = word.utf8CodeUnitCount
        let w = word.utf8Start
        var k = 0
        while k < n {
            guard i &+ k < count else { throw fail(.unexpectedEnd, "truncated literal \(word)", at: i &+ k) }
            guard base[i &+ k] == w[k] else {
                throw fail(.unexpectedCharacter, "invalid literal (expected \(word))", at: i &+ k)
            }
            k &+= 1
        }
        i &+= n
    }

    // MARK: Numbers

    mutating func number() throws(JSONParseError) -> JSONValue {
        let start = i
        var negative = false
        if base[i] == Byte.minus {
            negative = true
            i &+= 1
        }
        guard i < count else { throw fail(.unexpectedEnd, "a number ends after '-'", at: i) }
        let firstDigit = base[i]
        guard firstDigit >= Byte.zero && firstDigit <= Byte.nine else {
            throw fail(.invalidNumber, "expected a digit, found \(describe(firstDigit))", at: i)
        }
        // Integer part, accumulated negatively so that Int64.min is exact.
        var magnitude: Int64 = 0
        var overflow = false
        if firstDigit == Byte.zero {
            i &+= 1
            if i < count && base[i] >= Byte.zero && base[i] <= Byte.nine {
                throw fail(.invalidNumber, "a number cannot have leading zeros", at: i)
            }
        } else {
            while i < count {
                let c = base[i]
                guard c >= Byte.zero && c <= Byte.nine else { break }
                if !overflow {
                    let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
                    let (s, o2) = m.subtractingReportingOverflow(Int64(c &- Byte.zero))
                    if o1 || o2 { overflow = true } else { magnitude = s }
                }
                i &+= 1
            }
        }
        var isInteger = true
        if i < count && base[i] == Byte.dot {
            isInteger = false
            i &+= 1
            let digits = i
            while i < count && base[i] >= Byte.zero && base[i] <= Byte.nine { i &+= 1 }
            if i == digits {
                if i >= count { throw fail(.unexpectedEnd, "a number ends after '.'", at: i) }
                throw fail(.invalidNumber, "expected a digit after '.', found \(describe(base[i]))", at: i)
            }
        }
        if i < count && (base[i] == Byte.lowerE || base[i] == Byte.upperE) {
            isInteger = false
            i &+= 1
            if i < count && (base[i] == Byte.plus || base[i] == Byte.minus) { i &+= 1 }
            let digits = i
            while i < count && base[i] >= Byte.zero && base[i] <= Byte.nine { i &+= 1 }
            if i == digits {
                if i >= count { throw fail(.unexpectedEnd, "a number ends inside its exponent", at: i) }
                throw fail(.invalidNumber, "expected a digit in the exponent, found \(describe(base[i]))", at: i)
            }
        }
        if isInteger && !overflow {
            if negative {
                return magnitude == 0 ? .double(-0.0) : .int(magnitude)
            }
            if magnitude != Int64.min { return .int(-magnitude) }
        }
        let text = String(decoding: UnsafeBufferPointer(start: base + start, count: i &- start), as: UTF8.self)
        guard let d = Double(text) else {
            throw fail(.invalidNumber, "cannot read \(text.prefix(40)) as a number", at: start)
        }
        return .double(d)
    }

    // MARK: Strings

    /// Reads a string; the reader is at its opening quote.
    mutating func string() throws(JSONParseError) -> String {
        i &+= 1
        let start = i
        // Fast path: plain ASCII without escapes.
        while i < count {
            let c = base[i]
            if c == Byte.quote {
                let s = String(decoding: UnsafeBufferPointer(start: base + start, count: i &- start), as: UTF8.self)
                i &+= 1
                return s
            }
            if c == Byte.backslash || c < 0x20 || c >= 0x80 { break }
            i &+= 1
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(i &- start &+ 16)
        bytes.append(contentsOf: UnsafeBufferPointer(start: base + start, count: i &- start))
        while true {
            guard i < count else { throw fail(.unexpectedEnd, "unterminated string", at: i) }
            let c = base[i]
            if c == Byte.quote {
                i &+= 1
                return String(decoding: bytes, as: UTF8.self)
            } else if c == Byte.backslash {
                try escape(into: &bytes)
            } else if c < 0x20 {
                throw fail(.controlCharacter, "control character 0x\(String(c, radix: 16)) must be escaped", at: i)
            } else if c < 0x80 {
                bytes.append(c)
                i &+= 1
            } else {
                let n = try utf8Sequence()
                bytes.append(contentsOf: UnsafeBufferPointer(start: base + i, count: n))
                i &+= n
            }
        }
    }

    /// The length of the well-formed UTF-8 sequence starting at `i` (a non-ASCII lead byte).
    func utf8Sequence() throws(JSONParseError) -> Int {
        let b0 = base[i]
        let n: Int
        var lo: UInt8 = 0x80, hi: UInt8 = 0xBF
        switch b0 {
        case 0xC2...0xDF: n = 2
        case 0xE0: n = 3; lo = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: n = 3
        case 0xED: n = 3; hi = 0x9F  // no UTF-16 surrogates
        case 0xF0: n = 4; lo = 0x90
        case 0xF1...0xF3: n = 4
        case 0xF4: n = 4; hi = 0x8F
        default: throw fail(.invalidUTF8, "byte 0x\(String(b0, radix: 16)) cannot start a UTF-8 sequence", at: i)
        }
        guard i &+ n <= count else { throw fail(.invalidUTF8, "truncated UTF-8 sequence", at: i) }
        let b1 = base[i &+ 1]
        guard b1 >= lo && b1 <= hi else { throw fail(.invalidUTF8, "malformed UTF-8 sequence", at: i) }
        var k = 2
        while k < n {
            guard base[i &+ k] & 0xC0 == 0x80 else { throw fail(.invalidUTF8, "malformed UTF-8 sequence", at: i) }
            k &+= 1
        }
        return n
    }

    mutating func escape(into bytes: inout [UInt8]) throws(JSONParseError) {
        let at = i
        guard i &+ 1 < count else { throw fail(.unexpectedEnd, "unterminated escape", at: at) }
        let e = base[i &+ 1]
        i &+= 2
        switch e {
        case Byte.quote: bytes.append(Byte.quote)
        case Byte.backslash: bytes.append(Byte.backslash)
        case Byte.slash: bytes.append(Byte.slash)
        case 0x62: bytes.append(0x08)  // b
        case 0x66: bytes.append(0x0C)  // f
        case 0x6E: bytes.append(0x0A)  // n
        case 0x72: bytes.append(0x0D)  // r
        case 0x74: bytes.append(0x09)  // t
        case 0x75:  // u
            var scalar = try hex4()
            if scalar >= 0xD800 && scalar <= 0xDBFF {
                guard i &+ 1 < count, base[i] == Byte.backslash, base[i &+ 1] == 0x75 else {
                    throw fail(.invalidUnicode, "a high surrogate must be followed by a low surrogate", at: at)
                }
                i &+= 2
                let low = try hex4()
                guard low >= 0xDC00 && low <= 0xDFFF else {
                    throw fail(.invalidUnicode, "a high surrogate must be followed by a low surrogate", at: at)
                }
                scalar = 0x10000 &+ ((scalar &- 0xD800) << 10) &+ (low &- 0xDC00)
            } else if scalar >= 0xDC00 && scalar <= 0xDFFF {
                throw fail(.invalidUnicode, "a lone low surrogate", at: at)
            }
            for unit in UTF8.encode(Unicode.Scalar(scalar)!)! { bytes.append(unit) }
        default:
            throw fail(.invalidEscape, "\\\(describe(e)) is not a JSON escape", at: at)
        }
    }

    mutating func hex4() throws(JSONParseError) -> UInt32 {
        var v: UInt32 = 0
        for k in 0..<4 {
            guard i &+ k < count else { throw fail(.unexpectedEnd, "truncated \\u escape", at: i &+ k) }
            let c = base[i &+ k]
            let d: UInt8
            switch c {
            case Byte.zero...Byte.nine: d = c &- Byte.zero
            case 0x61...0x66: d = c &- 0x61 &+ 10
            case 0x41...0x46: d = c &- 0x41 &+ 10
            default: throw fail(.invalidEscape, "\(describe(c)) is not a hex digit", at: i &+ k)
            }
            v = v << 4 | UInt32(d)
        }
        i &+= 4
        return v
    }
}
