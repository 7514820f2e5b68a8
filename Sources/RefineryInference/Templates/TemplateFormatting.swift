#if canImport(Glibc)
import RefineryCore
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Python's `%` string formatting (the `format` filter) and `str.format` (simple fields).
enum TemplateFormatting {
    /// `format % args` for `%s %r %d %i %f %F %e %g %x %o %c %%` with flags, width and precision.
    static func percentFormat(_ format: String, _ args: TemplateValue) throws -> String {
        let values: [TemplateValue]
        if case .tuple(let items) = args { values = items } else { values = [args] }
        var next = 0
        var out = ""
        let scalars = Array(format.unicodeScalars)
        var i = 0
        func take() throws -> TemplateValue {
            guard next < values.count else { throw TemplateError(code: .type, message: "TypeError: not enough arguments for format string") }
            defer { next += 1 }
            return values[next]
        }
        while i < scalars.count {
            let c = scalars[i]
            guard c == "%" else { out.unicodeScalars.append(c); i += 1; continue }
            i += 1
            guard i < scalars.count else { throw TemplateError(code: .value, message: "ValueError: incomplete format") }
            var flags = ""
            while i < scalars.count, "-+ #0".unicodeScalars.contains(scalars[i]) { flags.unicodeScalars.append(scalars[i]); i += 1 }
            var width = ""
            while i < scalars.count, scalars[i].properties.numericType == .decimal { width.unicodeScalars.append(scalars[i]); i += 1 }
            var precision: String?
            if i < scalars.count && scalars[i] == "." {
                i += 1
                var p = ""
                while i < scalars.count, scalars[i].properties.numericType == .decimal { p.unicodeScalars.append(scalars[i]); i += 1 }
                precision = p
            }
            guard i < scalars.count else { throw TemplateError(code: .value, message: "ValueError: incomplete format") }
            let conversion = scalars[i]
            i += 1
            var piece: String
            switch conversion {
            case "%": out += "%"; continue
            case "s": piece = try take().pyStr
            case "r", "a": piece = try take().pyRepr
            case "d", "i", "u", "x", "X", "o", "c", "f", "F", "e", "E", "g", "G":
                let v = try take()
                guard let n = v.numericValue else {
                    throw TemplateError(code: .type, message: "TypeError: %\(conversion) format: a real number is required, not \(v.typeName)")
                }
                piece = cFormat(flags: flags, width: width, precision: precision, conversion: conversion, n)
                out += piece
                continue
            default:
                throw TemplateError(code: .value, message: "ValueError: unsupported format character '\(conversion)'")
            }
            if let precision, let p = Int(precision) { piece = String(piece.unicodeScalars.prefix(p)) }
            if let w = Int(width), piece.unicodeScalars.count < w {
                try TemplateLimits.check(count: w)
                let pad = String(repeating: " ", count: w - piece.unicodeScalars.count)
                piece = flags.contains("-") ? piece + pad : pad + piece
            }
            out += piece
        }
        // CPython skips this check when the argument supports indexing (dict, list, …).
        var indexable = false
        switch args {
        case .dict, .list, .undefined: indexable = true
        default: break
        }
        if next < values.count, !indexable {
            throw TemplateError(code: .type, message: "TypeError: not all arguments converted during string formatting")
        }
        return out
    }

    private static func cFormat(flags: String, width: String, precision: String?, conversion: Unicode.Scalar, _ n: TemplateValue) -> String {
        var spec = "%" + flags + width
        if let precision { spec += "." + (precision.isEmpty ? "0" : precision) }
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: 512)
        defer { buffer.deallocate() }
        switch conversion {
        case "c":
            guard case .int(let v) = n, v >= 0, v <= 0x10FFFF, let scalar = Unicode.Scalar(UInt32(v)) else { return "" }
            return String(scalar)
        case "d", "i", "u", "x", "X", "o":
            var i: Int
            if case .int(let v) = n { i = v } else { i = Int(n.asDouble.rounded(.towardZero)) }
            let c = conversion == "u" || conversion == "i" ? "d" : String(conversion)
            // Python writes a sign and the magnitude (C would print two's complement for %x/%o).
            let negative = c != "d" && i < 0
            if negative { i = i == .min ? .max : -i }
            _ = withVaList([i]) { vsnprintf(buffer, 512, spec + "l" + c, $0) }
            if negative { return "-" + String(cString: buffer) }
        default:
            _ = withVaList([n.asDouble]) { vsnprintf(buffer, 512, spec + String(conversion), $0) }
        }
        return String(cString: buffer)
    }

    /// Python's `round(x, ndigits)` for a float: correctly rounded (half to even on the exact
    /// binary value), which C's `%.*f` also gives; negative `ndigits` round to tens, hundreds….
    static func pyRound(_ x: Double, _ ndigits: Int) -> Double {
        guard x.isFinite else { return x }
        if ndigits < 0 {
            var scale = 1.0
            for _ in 0..<Swift.min(-ndigits, 400) { scale *= 10 }
            let y = x / scale
            var z = y.rounded(.toNearestOrEven)
            if Swift.abs(y - z) == 0.5 { z = 2.0 * (y / 2.0).rounded(.toNearestOrEven) }
            return z * scale
        }
        if ndigits > 330 { return x }
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: 512)
        defer { buffer.deallocate() }
        _ = withVaList([Int32(ndigits), x]) { vsnprintf(buffer, 512, "%.*f", $0) }
        return Double(String(cString: buffer)) ?? x
    }

    /// `str.format(*args, **kwargs)` with `{}`, `{0}`, `{name}`, `{name.attr}`-free fields and
    /// `{{`/`}}`; a format spec or conversion is refused with a clear error.
    static func strFormat(_ format: String, _ arguments: TemplateArguments) throws -> String {
        var out = ""
        var auto = 0
        let scalars = Array(format.unicodeScalars)
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            if c == "{" {
                if i + 1 < scalars.count && scalars[i + 1] == "{" { out += "{"; i += 2; continue }
                var j = i + 1
                var field = ""
                while j < scalars.count && scalars[j] != "}" { field.unicodeScalars.append(scalars[j]); j += 1 }
                guard j < scalars.count else { throw TemplateError(code: .value, message: "ValueError: Single '{' encountered in format string") }
                if field.contains(":") || field.contains("!") || field.contains(".") || field.contains("[") {
                    throw TemplateError(code: .unsupported, message: "str.format field '{\(field)}' is not supported (only {}, {0} and {name})")
                }
                let value: TemplateValue?
                if field.isEmpty {
                    value = auto < arguments.positional.count ? arguments.positional[auto] : nil
                    auto += 1
                } else if let index = Int(field) {
                    value = index < arguments.positional.count ? arguments.positional[index] : nil
                } else {
                    value = arguments.keyword.first(where: { $0.name == field })?.value
                }
                guard let value else {
                    throw TemplateError(code: .value, message: "IndexError: Replacement index \(field.isEmpty ? String(auto - 1) : field) out of range")
                }
                out += value.pyStr
                i = j + 1
            } else if c == "}" {
                guard i + 1 < scalars.count && scalars[i + 1] == "}" else {
                    throw TemplateError(code: .value, message: "ValueError: Single '}' encountered in format string")
                }
                out += "}"
                i += 2
            } else {
                out.unicodeScalars.append(c)
                i += 1
            }
        }
        return out
    }
}
