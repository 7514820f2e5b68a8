import RefineryCore
import Foundation

/// A safe arithmetic evaluator: numbers, `+ - * / %`, `^` (or `**`, right-associative),
/// parentheses, unary minus, the constants `pi` and `e`, and the functions `sqrt`, `abs`, `min`,
/// `max`, `round`, `floor`, `ceil`, `log` (natural; `log(x, base)` too), `exp`, `sin`, `cos`.
///
/// Nothing is executed: the text is parsed by recursive descent into numbers, and anything
/// else is an ``ArithmeticError`` with the offset where it went wrong.
public enum ArithmeticExpression {
    /// Longest accepted expression, in bytes.
    public static let maxLength = 2000
    /// Deepest accepted nesting of parentheses and unary operators.
    public static let maxDepth = 100

    /// The value of `text`.
    public static func evaluate(_ text: String) throws(ArithmeticError) -> Double {
        guard text.utf8.count <= maxLength else { throw .tooLong(text.utf8.count) }
        var parser = Parser(bytes: Array(text.utf8))
        let value = try parser.expression(depth: 0)
        parser.skipSpace()
        guard parser.at == parser.bytes.count else { throw .unexpected(parser.current, at: parser.at) }
        guard value.isFinite else { throw .notFinite }
        return value
    }

    /// `value` written as people expect: whole numbers without a fraction, others with up to
    /// 12 significant digits.
    public static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        var s = String(format: "%.12g", value)
        if s.contains("e") { return s }
        if s.contains(".") { while s.hasSuffix("0") { s.removeLast() } }
        return s
    }

    private struct Parser {
        let bytes: [UInt8]
        var at = 0

        var current: String {
            at < bytes.count ? String(decoding: [bytes[at]], as: UTF8.self) : "end of input"
        }

        mutating func skipSpace() {
            while at < bytes.count, bytes[at] == 0x20 || bytes[at] == 0x09 || bytes[at] == 0x0A || bytes[at] == 0x0D { at += 1 }
        }

        mutating func peek() -> UInt8? {
            skipSpace()
            return at < bytes.count ? bytes[at] : nil
        }

        mutating func expression(depth: Int) throws(ArithmeticError) -> Double {
            guard depth < maxDepth else { throw .tooDeep }
            var value = try term(depth: depth)
            while let c = peek(), c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
                at += 1
                let rhs = try term(depth: depth)
                value = c == UInt8(ascii: "+") ? value + rhs : value - rhs
            }
            return value
        }

        mutating func term(depth: Int) throws(ArithmeticError) -> Double {
            var value = try unary(depth: depth)
            while let c = peek(), c == UInt8(ascii: "*") || c == UInt8(ascii: "/") || c == UInt8(ascii: "%") {
                if c == UInt8(ascii: "*"), at + 1 < bytes.count, bytes[at + 1] == UInt8(ascii: "*") { break }
                let opAt = at
                at += 1
                let rhs = try unary(depth: depth)
                switch c {
                case UInt8(ascii: "*"): value *= rhs
                case UInt8(ascii: "/"):
                    guard rhs != 0 else { throw .divisionByZero(at: opAt) }
                    value /= rhs
                default:
                    guard rhs != 0 else { throw .divisionByZero(at: opAt) }
                    // Python's modulo: the result takes the divisor's sign.
                    let r = value.truncatingRemainder(dividingBy: rhs)
                    value = (r != 0 && (r < 0) != (rhs < 0)) ? r + rhs : r
                }
            }
            return value
        }

        mutating func unary(depth: Int) throws(ArithmeticError) -> Double {
            guard depth < maxDepth else { throw .tooDeep }
            if let c = peek(), c == UInt8(ascii: "-") || c == UInt8(ascii: "+") {
                at += 1
                let v = try unary(depth: depth + 1)
                return c == UInt8(ascii: "-") ? -v : v
            }
            return try power(depth: depth)
        }

        mutating func power(depth: Int) throws(ArithmeticError) -> Double {
            let base = try primary(depth: depth)
            guard let c = peek() else { return base }
            if c == UInt8(ascii: "^") {
                at += 1
            } else if c == UInt8(ascii: "*"), at + 1 < bytes.count, bytes[at + 1] == UInt8(ascii: "*") {
                at += 2
            } else {
                return base
            }
            let exponent = try unary(depth: depth + 1)
            return Foundation.pow(base, exponent)
        }

        mutating func primary(depth: Int) throws(ArithmeticError) -> Double {
            guard let c = peek() else { throw .unexpected("end of input", at: at) }
            if c == UInt8(ascii: "(") {
                at += 1
                let v = try expression(depth: depth + 1)
                guard peek() == UInt8(ascii: ")") else { throw .expected(")", found: current, at: at) }
                at += 1
                return v
            }
            if (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: ".") { return try number() }
            if Self.isLetter(c) { return try identifier(depth: depth) }
            throw .unexpected(current, at: at)
        }

        mutating func number() throws(ArithmeticError) -> Double {
            let start = at
            while at < bytes.count, (bytes[at] >= 0x30 && bytes[at] <= 0x39) || bytes[at] == UInt8(ascii: ".") || bytes[at] == UInt8(ascii: "_") { at += 1 }
            if at < bytes.count, bytes[at] == UInt8(ascii: "e") || bytes[at] == UInt8(ascii: "E") {
                var j = at + 1
                if j < bytes.count, bytes[j] == UInt8(ascii: "+") || bytes[j] == UInt8(ascii: "-") { j += 1 }
                if j < bytes.count, bytes[j] >= 0x30 && bytes[j] <= 0x39 {
                    at = j
                    while at < bytes.count, bytes[at] >= 0x30 && bytes[at] <= 0x39 { at += 1 }
                }
            }
            let text = String(decoding: bytes[start..<at].filter { $0 != UInt8(ascii: "_") }, as: UTF8.self)
            guard let value = Double(text) else { throw .badNumber(text, at: start) }
            return value
        }

        mutating func identifier(depth: Int) throws(ArithmeticError) -> Double {
            let start = at
            while at < bytes.count, Self.isLetter(bytes[at]) || (bytes[at] >= 0x30 && bytes[at] <= 0x39) { at += 1 }
            let name = String(decoding: bytes[start..<at], as: UTF8.self).lowercased()
            guard peek() == UInt8(ascii: "(") else {
                switch name {
                case "pi": return Double.pi
                case "e": return M_E
                default: throw .unknownName(name, at: start)
                }
            }
            guard Self.functions.contains(name) else { throw .unknownName(name, at: start) }
            at += 1
            var arguments: [Double] = []
            if peek() != UInt8(ascii: ")") {
                while true {
                    arguments.append(try expression(depth: depth + 1))
                    guard let c = peek() else { throw .expected(")", found: "end of input", at: at) }
                    at += 1
                    if c == UInt8(ascii: ")") { break }
                    guard c == UInt8(ascii: ",") else { throw .expected(", or )", found: String(decoding: [c], as: UTF8.self), at: at - 1) }
                }
            } else {
                at += 1
            }
            return try Self.apply(name, arguments, at: start)
        }

        static func apply(_ name: String, _ a: [Double], at offset: Int) throws(ArithmeticError) -> Double {
            func arity(_ n: Int) throws(ArithmeticError) {
                guard a.count == n else { throw .arity(name, expected: "\(n)", got: a.count, at: offset) }
            }
            switch name {
            case "sqrt":
                try arity(1)
                guard a[0] >= 0 else { throw .domain(name, at: offset) }
                return a[0].squareRoot()
            case "abs": try arity(1); return Swift.abs(a[0])
            case "round": try arity(1); return a[0].rounded(.toNearestOrAwayFromZero)
            case "floor": try arity(1); return a[0].rounded(.down)
            case "ceil": try arity(1); return a[0].rounded(.up)
            case "exp": try arity(1); return Foundation.exp(a[0])
            case "sin": try arity(1); return Foundation.sin(a[0])
            case "cos": try arity(1); return Foundation.cos(a[0])
            case "log":
                guard a.count == 1 || a.count == 2 else { throw .arity(name, expected: "1 or 2", got: a.count, at: offset) }
                guard a[0] > 0, a.count == 1 || (a[1] > 0 && a[1] != 1) else { throw .domain(name, at: offset) }
                return a.count == 1 ? Foundation.log(a[0]) : Foundation.log(a[0]) / Foundation.log(a[1])
            case "min", "max":
                guard !a.isEmpty else { throw .arity(name, expected: "at least 1", got: 0, at: offset) }
                return name == "min" ? a.min()! : a.max()!
            default:
                throw .unknownName(name, at: offset)
            }
        }

        static let functions: Set<String> = ["sqrt", "abs", "round", "floor", "ceil", "exp", "sin", "cos", "log", "min", "max"]

        static func isLetter(_ c: UInt8) -> Bool { (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == UInt8(ascii: "_") }
    }
}

/// An expression the calculator cannot evaluate.
public struct ArithmeticError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Sendable, Hashable { case syntax, unknownName, arity, domain, divisionByZero, notFinite, limit }
    private let code: Code
    public let message: String
    /// Byte offset in the expression, when the problem has a place.
    public let offset: Int?

    private init(_ code: Code, _ message: String, offset: Int? = nil) {
        self.code = code
        self.message = message
        self.offset = offset
    }

    static func unexpected(_ found: String, at: Int) -> Self { .init(.syntax, "unexpected \(found.debugDescription) at offset \(at)", offset: at) }
    static func expected(_ what: String, found: String, at: Int) -> Self {
        .init(.syntax, "expected \(what) at offset \(at), found \(found.debugDescription)", offset: at)
    }
    static func badNumber(_ text: String, at: Int) -> Self { .init(.syntax, "bad number \(text.debugDescription) at offset \(at)", offset: at) }
    static func unknownName(_ name: String, at: Int) -> Self { .init(.unknownName, "unknown name '\(name)' at offset \(at)", offset: at) }
    static func arity(_ name: String, expected: String, got: Int, at: Int) -> Self {
        .init(.arity, "\(name) takes \(expected) argument(s), got \(got)", offset: at)
    }
    static func domain(_ name: String, at: Int) -> Self { .init(.domain, "\(name) is undefined for that argument", offset: at) }
    static func divisionByZero(at: Int) -> Self { .init(.divisionByZero, "division by zero at offset \(at)", offset: at) }
    static var notFinite: Self { .init(.notFinite, "the result is not a finite number") }
    static var tooDeep: Self { .init(.limit, "the expression nests more than \(ArithmeticExpression.maxDepth) levels") }
    static func tooLong(_ n: Int) -> Self { .init(.limit, "the expression is \(n) bytes long; the limit is \(ArithmeticExpression.maxLength)") }

    /// Whether `other` has the same code.
    public func isKind(of other: ArithmeticError) -> Bool { code == other.code }

    public var description: String { message }
}
