#if canImport(Glibc)
import RefineryCore
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Python's binary operators on template values.
enum TemplateArithmetic {
    static func apply(_ op: TemplateExpr.BinaryOp, _ left: TemplateValue, _ right: TemplateValue) throws -> TemplateValue {
        try left.requireDefined()
        try right.requireDefined()
        // markupsafe: Markup + str escapes the str (and str + Markup likewise).
        if case .add = op {
            switch (left, right) {
            case let (.markup(x), .markup(y)): return .markup(x + y)
            case let (.markup(x), .string(y)): return .markup(x + PythonStrings.htmlEscape(y))
            case let (.string(x), .markup(y)): return .markup(PythonStrings.htmlEscape(x) + y)
            default: break
            }
        }
        let a = left.plain, b = right.plain
        if let x = a.numericValue, let y = b.numericValue {
            if case .int(let i) = x, case .int(let j) = y { return try integer(op, i, j) }
            return try float(op, x.asDouble, y.asDouble)
        }
        switch (op, a, b) {
        case let (.add, .string(x), .string(y)):
            try TemplateLimits.check(count: x.utf8.count + y.utf8.count)
            return .string(x + y)
        case let (.add, .list(x), .list(y)):
            try TemplateLimits.check(count: x.count + y.count, unitSize: 16)
            return .list(x + y)
        case let (.add, .tuple(x), .tuple(y)): return .tuple(x + y)
        case let (.mul, .string(s), n), let (.mul, n, .string(s)):
            if let count = repeatCount(n) {
                try TemplateLimits.check(count: count, unitSize: s.utf8.count)
                return .string(String(repeating: s, count: count))
            }
        case let (.mul, .list(items), n), let (.mul, n, .list(items)):
            if let count = repeatCount(n) {
                try TemplateLimits.check(count: count, unitSize: items.count * 16)
                return .list(Array(repeating: items, count: count).flatMap { $0 })
            }
        case let (.mul, .tuple(items), n), let (.mul, n, .tuple(items)):
            if let count = repeatCount(n) {
                try TemplateLimits.check(count: count, unitSize: items.count * 16)
                return .tuple(Array(repeating: items, count: count).flatMap { $0 })
            }
        case let (.mod, .string(format), args):
            return .string(try TemplateFormatting.percentFormat(format, args))
        default: break
        }
        if case .add = op, case .string = a {
            throw TemplateError(code: .type, message: "TypeError: can only concatenate str (not \"\(b.typeName)\") to str")
        }
        if case .add = op, case .list = a {
            throw TemplateError(code: .type, message: "TypeError: can only concatenate list (not \"\(b.typeName)\") to list")
        }
        throw TemplateError(
            code: .type,
            message: "TypeError: unsupported operand type(s) for \(op.rawValue): '\(a.typeName)' and '\(b.typeName)'")
    }

    private static func repeatCount(_ v: TemplateValue) -> Int? {
        switch v {
        case .int(let i): return max(i, 0)
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    private static func overflow() -> TemplateError {
        TemplateError(code: .value, message: "integer overflow (values beyond 64 bits are not supported)")
    }

    private static func integer(_ op: TemplateExpr.BinaryOp, _ a: Int, _ b: Int) throws -> TemplateValue {
        switch op {
        case .add:
            let (r, o) = a.addingReportingOverflow(b)
            if o { throw overflow() }
            return .int(r)
        case .sub:
            let (r, o) = a.subtractingReportingOverflow(b)
            if o { throw overflow() }
            return .int(r)
        case .mul:
            let (r, o) = a.multipliedReportingOverflow(by: b)
            if o { throw overflow() }
            return .int(r)
        case .div:
            if b == 0 { throw TemplateError(code: .value, message: "ZeroDivisionError: division by zero") }
            return .double(Double(a) / Double(b))
        case .floorDiv:
            if b == 0 { throw TemplateError(code: .value, message: "ZeroDivisionError: integer division or modulo by zero") }
            if a == .min && b == -1 { throw overflow() }
            let q = a / b
            return .int((a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q)
        case .mod:
            if b == 0 { throw TemplateError(code: .value, message: "ZeroDivisionError: integer division or modulo by zero") }
            if b == -1 { return .int(0) }
            let r = a % b
            return .int((r != 0 && ((r < 0) != (b < 0))) ? r + b : r)
        case .pow:
            if b < 0 { return .double(Glibc_pow(Double(a), Double(b))) }
            var result = 1, base = a, exponent = b
            while exponent > 0 {
                if exponent & 1 == 1 {
                    let (r, o) = result.multipliedReportingOverflow(by: base)
                    if o { throw overflow() }
                    result = r
                }
                exponent >>= 1
                if exponent > 0 {
                    let (sq, o) = base.multipliedReportingOverflow(by: base)
                    if o { throw overflow() }
                    base = sq
                }
            }
            return .int(result)
        }
    }

    private static func float(_ op: TemplateExpr.BinaryOp, _ a: Double, _ b: Double) throws -> TemplateValue {
        switch op {
        case .add: return .double(a + b)
        case .sub: return .double(a - b)
        case .mul: return .double(a * b)
        case .div:
            if b == 0 { throw TemplateError(code: .value, message: "ZeroDivisionError: float division by zero") }
            return .double(a / b)
        case .floorDiv:
            if b == 0 { throw TemplateError(code: .value, message: "ZeroDivisionError: float floor division by zero") }
            return .double(pyFloatMod(a, b).quotient)
        case .mod:
            if b == 0 { throw TemplateError(code: .value, message: "ZeroDivisionError: float modulo") }
            return .double(pyFloatMod(a, b).remainder)
        case .pow:
            if a == 0 && b < 0 {
                throw TemplateError(code: .value, message: "ZeroDivisionError: 0.0 cannot be raised to a negative power")
            }
            return .double(Glibc_pow(a, b))
        }
    }

    /// CPython's `float_divmod`.
    private static func pyFloatMod(_ a: Double, _ b: Double) -> (quotient: Double, remainder: Double) {
        var mod = fmod(a, b)
        var div = (a - mod) / b
        if mod != 0 {
            if (b < 0) != (mod < 0) {
                mod += b
                div -= 1
            }
        } else {
            mod = b < 0 ? -0.0 : 0.0
        }
        var floordiv: Double
        if div != 0 {
            floordiv = div.rounded(.down)
            if div - floordiv > 0.5 { floordiv += 1 }
        } else {
            floordiv = a / b < 0 ? -0.0 : 0.0
        }
        return (floordiv, mod)
    }
}

@inline(__always)
private func Glibc_pow(_ a: Double, _ b: Double) -> Double { pow(a, b) }
