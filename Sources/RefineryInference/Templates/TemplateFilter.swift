import RefineryCore
/// The filters of `value | name(args)`: jinja2's built-ins that chat templates use, and
/// transformers' `tojson`.
enum TemplateFilter: Sendable {
    case tojson, trim, length, upper, lower, title, capitalize, replace, join, first, last, defaultValue
    case list, string, int, float, items, selectAttr, rejectAttr, map, select, reject, unique, reverse
    case sort, abs, round, batch, indent, safe, escape, min, max, sum, dictsort, format, wordcount, attr, center

    init?(name: String) {
        switch name {
        case "tojson": self = .tojson
        case "trim": self = .trim
        case "length", "count": self = .length
        case "upper": self = .upper
        case "lower": self = .lower
        case "title": self = .title
        case "capitalize": self = .capitalize
        case "replace": self = .replace
        case "join": self = .join
        case "first": self = .first
        case "last": self = .last
        case "default", "d": self = .defaultValue
        case "list": self = .list
        case "string": self = .string
        case "int": self = .int
        case "float": self = .float
        case "items": self = .items
        case "selectattr": self = .selectAttr
        case "rejectattr": self = .rejectAttr
        case "map": self = .map
        case "select": self = .select
        case "reject": self = .reject
        case "unique": self = .unique
        case "reverse": self = .reverse
        case "sort": self = .sort
        case "abs": self = .abs
        case "round": self = .round
        case "batch": self = .batch
        case "indent": self = .indent
        case "safe": self = .safe
        case "e", "escape", "forceescape": self = .escape
        case "min": self = .min
        case "max": self = .max
        case "sum": self = .sum
        case "dictsort": self = .dictsort
        case "format": self = .format
        case "wordcount": self = .wordcount
        case "attr": self = .attr
        case "center": self = .center
        default: return nil
        }
    }

    /// jinja2 built-ins this interpreter does not implement: a template using one gets an
    /// `.unsupported` error rather than "no such filter".
    static let unsupportedBuiltins: Set<String> = [
        "filesizeformat", "groupby", "pprint", "random", "slice", "striptags", "truncate", "urlencode", "urlize",
        "wordwrap", "xmlattr",
    ]
}

extension TemplateInterpreter {
    func applyFilter(_ call: TemplateFilterCall, to value: TemplateValue, in scope: TemplateScope) throws -> TemplateValue {
        do {
            let arguments = try evaluateArguments(call.arguments, in: scope)
            return try applyFilter(call.filter, to: value, arguments)
        } catch let e as TemplateError {
            throw e.located(call.location)
        }
    }

    func applyFilter(_ filter: TemplateFilter, to original: TemplateValue, _ a: TemplateArguments) throws -> TemplateValue {
        switch filter {
        case .safe: return .markup(original.pyStr)
        case .escape:
            if case .markup = original { return original }
            return .markup(PythonStrings.htmlEscape(original.pyStr))
        default: break
        }
        let value = original.plain
        switch filter {
        case .tojson:
            var indent: String?
            switch a.value(0, "indent") {
            case .int(let n)?:
                try TemplateLimits.check(count: n)
                indent = String(repeating: " ", count: Swift.max(n, 0))
            case .string(let s)?: indent = s
            default: indent = nil
            }
            var separators: (String, String)?
            if case .tuple(let parts)? = a.value(2, "separators"), parts.count == 2,
               case .string(let item) = parts[0], case .string(let key) = parts[1] {
                separators = (item, key)
            } else if case .list(let parts)? = a.value(2, "separators"), parts.count == 2,
                      case .string(let item) = parts[0], case .string(let key) = parts[1] {
                separators = (item, key)
            }
            let options = TemplateJSON.Options(
                indent: indent, separators: separators,
                sortKeys: a.value(3, "sort_keys")?.isTruthy ?? false,
                ensureASCII: a.value(4, "ensure_ascii")?.isTruthy ?? false)
            return .string(try TemplateJSON.dumps(value, options))
        case .trim:
            let chars: String?
            if case .string(let c)? = a.value(0, "chars") { chars = c } else { chars = nil }
            return .string(PythonStrings.strip(value.pyStr, chars, leading: true, trailing: true))
        case .length:
            return .int(try value.length())
        case .upper: return .string(PythonStrings.upper(value.pyStr))
        case .lower: return .string(PythonStrings.lower(value.pyStr))
        case .title: return .string(PythonStrings.jinjaTitle(value.pyStr))
        case .capitalize: return .string(PythonStrings.capitalize(value.pyStr))
        case .replace:
            guard let old = a.value(0, "old"), let new = a.value(1, "new") else {
                throw TemplateError(code: .type, message: "TypeError: replace() missing required arguments")
            }
            var count = -1
            if case .int(let c)? = a.value(2, "count") { count = c }
            return .string(PythonStrings.replace(value.pyStr, old.pyStr, new.pyStr, count: count))
        case .join:
            var items = try value.iterate()
            if let attribute = a.value(1, "attribute"), !(attribute.isUndefined), !(attribute.pyEquals(.none)) {
                items = try items.map { try lookupAttribute($0, attribute) }
            }
            let separator = a.value(0, "d")?.pyStr ?? ""
            return .string(items.map(\.pyStr).joined(separator: separator))
        case .first:
            if case .string(let s) = value {
                return s.unicodeScalars.first.map { .string(String($0)) } ?? .undefined(hint: "No first item, sequence was empty.")
            }
            return try value.iterate().first ?? .undefined(hint: "No first item, sequence was empty.")
        case .last:
            if case .string(let s) = value {
                return s.unicodeScalars.last.map { .string(String($0)) } ?? .undefined(hint: "No last item, sequence was empty.")
            }
            return try value.iterate().last ?? .undefined(hint: "No last item, sequence was empty.")
        case .defaultValue:
            let fallback = a.value(0, "default_value") ?? .string("")
            let boolean = a.value(1, "boolean")?.isTruthy ?? false
            if value.isUndefined || (boolean && !value.isTruthy) { return fallback }
            return value
        case .list:
            return .list(try value.iterate())
        case .string:
            return .string(value.pyStr)
        case .int:
            try value.requireDefined()  // Undefined.__int__ raises
            let fallback = a.value(0, "default") ?? .int(0)
            var base = 10
            if case .int(let b)? = a.value(1, "base") { base = b }
            return Self.pyInt(value, base: base) ?? fallback
        case .float:
            try value.requireDefined()  // Undefined.__float__ raises
            let fallback = a.value(0, "default") ?? .double(0)
            return Self.pyFloat(value).map { .double($0) } ?? fallback
        case .items:
            if value.isUndefined { return .list([]) }
            guard case .dict(let d) = value else {
                throw TemplateError(code: .type, message: "TypeError: Can only get item pairs from a mapping.")
            }
            return .list(d.entries.map { .tuple([$0.key, $0.value]) })
        case .selectAttr, .rejectAttr:
            guard let attribute = a.positional.first else {
                throw TemplateError(code: .type, message: "TypeError: Missing parameter for attribute name")
            }
            let keep = filter == .selectAttr
            if !value.isTruthy { return .list([]) }
            return .list(try value.iterate().filter { item in
                let v = try lookupAttribute(item, attribute)
                return try selectTest(v, Array(a.positional.dropFirst())) == keep
            })
        case .select, .reject:
            let keep = filter == .select
            if !value.isTruthy { return .list([]) }
            return .list(try value.iterate().filter { try selectTest($0, a.positional) == keep })
        case .map:
            if !value.isTruthy { return .list([]) }
            let items = try value.iterate()
            if a.positional.isEmpty, let attribute = a.keyword.first(where: { $0.name == "attribute" })?.value {
                let fallback = a.keyword.first(where: { $0.name == "default" })?.value
                return .list(try items.map { item in
                    let v = try lookupAttribute(item, attribute)
                    if let fallback, v.isUndefined, !fallback.pyEquals(.none) { return fallback }
                    return v
                })
            }
            guard case .string(let name)? = a.positional.first else {
                throw TemplateError(code: .type, message: "TypeError: map requires a filter name or attribute=")
            }
            guard let inner = TemplateFilter(name: name) else {
                throw TemplateError(code: .unknownFilter, message: "No filter named '\(name)'.")
            }
            var rest = a
            rest.positional.removeFirst()
            return .list(try items.map { try applyFilter(inner, to: $0, rest) })
        case .unique:
            let caseSensitive = a.value(0, "case_sensitive")?.isTruthy ?? false
            let attribute = a.value(1, "attribute")
            var seen: [TemplateValue] = []
            var out: [TemplateValue] = []
            for item in try value.iterate() {
                var key = item
                if let attribute, !attribute.pyEquals(.none) { key = try lookupAttribute(item, attribute) }
                if !caseSensitive, case .string(let s) = key { key = .string(PythonStrings.lower(s)) }
                switch key {
                case .list, .dict, .undefined, .object:
                    throw TemplateError(code: .type, message: "TypeError: unhashable type: '\(key.typeName)'")
                default: break
                }
                if !seen.contains(where: { $0.pyEquals(key) }) {
                    seen.append(key)
                    out.append(item)
                }
            }
            return .list(out)
        case .reverse:
            if case .string(let s) = value { return .string(String(String.UnicodeScalarView(s.unicodeScalars.reversed()))) }
            return .list(try value.iterate().reversed())
        case .sort:
            let reverse = a.value(0, "reverse")?.isTruthy ?? false
            let caseSensitive = a.value(1, "case_sensitive")?.isTruthy ?? false
            let attribute = a.value(2, "attribute")
            let items = try value.iterate()
            var keyed: [(key: TemplateValue, item: TemplateValue)] = try items.map { item in
                var key = item
                if let attribute, !attribute.pyEquals(.none) { key = try lookupAttribute(item, attribute) }
                if !caseSensitive, case .string(let s) = key { key = .string(PythonStrings.lower(s)) }
                return (key, item)
            }
            try keyed.sort { x, y in reverse ? try y.key.pyCompare(x.key) < 0 : try x.key.pyCompare(y.key) < 0 }
            return .list(keyed.map(\.item))
        case .abs:
            switch value {
            case .int(let i):
                guard i != .min else { throw TemplateError(code: .value, message: "integer overflow") }
                return .int(Swift.abs(i))
            case .double(let d): return .double(Swift.abs(d))
            case .bool(let b): return .int(b ? 1 : 0)
            default:
                throw TemplateError(code: .type, message: "TypeError: bad operand type for abs(): '\(value.typeName)'")
            }
        case .round:
            var precision = 0
            if case .int(let p)? = a.value(0, "precision") { precision = p }
            let method = a.value(1, "method")?.pyStr ?? "common"
            guard let number = value.numericValue else {
                throw TemplateError(code: .type, message: "TypeError: type \(value.typeName) doesn't define __round__ method")
            }
            let scale = pow10(precision)
            switch method {
            case "common":
                if case .int(let i) = number, precision >= 0 { return .int(i) }
                let x = number.asDouble
                return .double(TemplateFormatting.pyRound(x, precision))
            case "ceil": return .double((number.asDouble * scale).rounded(.up) / scale)
            case "floor": return .double((number.asDouble * scale).rounded(.down) / scale)
            default:
                throw TemplateError(code: .value, message: "method must be common, ceil or floor")
            }
        case .batch:
            guard case .int(let size)? = a.value(0, "linecount"), size > 0 else {
                throw TemplateError(code: .value, message: "batch size must be a positive integer")
            }
            let fill = a.value(1, "fill_with")
            var batches: [TemplateValue] = []
            var current: [TemplateValue] = []
            for item in try value.iterate() {
                current.append(item)
                if current.count == size { batches.append(.list(current)); current = [] }
            }
            if !current.isEmpty {
                if let fill, !fill.pyEquals(.none) {
                    while current.count < size { current.append(fill) }
                }
                batches.append(.list(current))
            }
            return .list(batches)
        case .indent:
            let indentation: String
            switch a.value(0, "width") {
            case .string(let s)?: indentation = s
            case .int(let n)?:
                try TemplateLimits.check(count: n)
                indentation = String(repeating: " ", count: Swift.max(n, 0))
            default: indentation = "    "
            }
            let first = a.value(1, "first")?.isTruthy ?? false
            let blank = a.value(2, "blank")?.isTruthy ?? false
            // jinja2 does `s += "\n"`: only strings (and Markup) can be indented.
            guard case .string(let text) = value else {
                try value.requireDefined()
                throw TemplateError(code: .type, message: "TypeError: indent expects a string, not \(value.typeName)")
            }
            let lines = PythonStrings.splitLines(text + "\n")
            var result: String
            if blank {
                result = lines.joined(separator: "\n" + indentation)
            } else {
                result = lines.first ?? ""
                if lines.count > 1 {
                    result += "\n" + lines.dropFirst().map { $0.isEmpty ? $0 : indentation + $0 }.joined(separator: "\n")
                }
            }
            return .string(first ? indentation + result : result)
        case .safe, .escape:
            return value  // handled above
        case .min, .max:
            let caseSensitive = a.value(0, "case_sensitive")?.isTruthy ?? false
            let attribute = a.value(1, "attribute")
            var best: (key: TemplateValue, item: TemplateValue)?
            for item in try value.iterate() {
                var key = item
                if let attribute, !attribute.pyEquals(.none) { key = try lookupAttribute(item, attribute) }
                if !caseSensitive, case .string(let s) = key { key = .string(PythonStrings.lower(s)) }
                if let current = best {
                    let c = try key.pyCompare(current.key)
                    if (filter == .min && c < 0) || (filter == .max && c > 0) { best = (key, item) }
                } else {
                    best = (key, item)
                }
            }
            return best?.item ?? .undefined(hint: "No aggregated item, sequence was empty.")
        case .sum:
            let attribute = a.value(0, "attribute")
            var total = a.value(1, "start") ?? .int(0)
            for item in try value.iterate() {
                var v = item
                if let attribute, !attribute.pyEquals(.none) { v = try lookupAttribute(item, attribute) }
                total = try TemplateArithmetic.apply(.add, total, v)
            }
            return total
        case .dictsort:
            try value.requireDefined()
            guard case .dict(let d) = value else {
                throw TemplateError(code: .type, message: "TypeError: dictsort expects a mapping")
            }
            let caseSensitive = a.value(0, "case_sensitive")?.isTruthy ?? false
            let byValue = a.value(1, "by")?.pyStr == "value"
            let reverse = a.value(2, "reverse")?.isTruthy ?? false
            var pairs = d.entries
            func key(_ p: (key: TemplateValue, value: TemplateValue)) -> TemplateValue {
                let k = byValue ? p.value : p.key
                if !caseSensitive, case .string(let s) = k { return .string(PythonStrings.lower(s)) }
                return k
            }
            try pairs.sort { x, y in reverse ? try key(y).pyCompare(key(x)) < 0 : try key(x).pyCompare(key(y)) < 0 }
            return .list(pairs.map { .tuple([$0.key, $0.value]) })
        case .format:
            let args: TemplateValue = .tuple(a.positional)
            return .string(try TemplateFormatting.percentFormat(value.pyStr, args))
        case .wordcount:
            var count = 0
            var inWord = false
            for c in value.pyStr.unicodeScalars {
                let isWord = c == "_" || c.properties.isAlphabetic || c.properties.numericType != nil
                if isWord && !inWord { count += 1 }
                inWord = isWord
            }
            return .int(count)
        case .attr:
            let name = a.value(0, "name")?.pyStr ?? ""
            switch value {
            case .string, .dict, .list, .tuple:
                if TemplateMethods.isMethod(value, name) { return try getAttribute(value, name) }
            case .object(let o):
                if let v = o.attribute(name) { return v }
            case .undefined(let hint):
                throw TemplateError(code: .undefined, message: hint)
            default: break
            }
            return .undefined(hint: "\(Self.objectTypeRepr(value)) has no attribute '\(name)'")
        case .center:
            var width = 80
            if case .int(let w)? = a.value(0, "width") { width = w }
            try TemplateLimits.check(count: width)
            return .string(PythonStrings.center(value.pyStr, width, " "))
        }
    }

    /// jinja2's `make_attrgetter`: dotted path, each part an item lookup (integers as indices).
    private func lookupAttribute(_ item: TemplateValue, _ attribute: TemplateValue) throws -> TemplateValue {
        guard case .string(let path) = attribute else { return try getItem(item, attribute) }
        var v = item
        for part in path.split(separator: ".", omittingEmptySubsequences: false) {
            if let i = Int(part) { v = try getItem(v, .int(i)) } else { v = try getItem(v, .string(String(part))) }
        }
        return v
    }

    /// `select`/`reject` and the `*attr` variants: a named test with arguments, or truthiness.
    private func selectTest(_ value: TemplateValue, _ arguments: [TemplateValue]) throws -> Bool {
        guard let first = arguments.first else { return value.isTruthy }
        guard case .string(let name) = first else {
            throw TemplateError(code: .type, message: "TypeError: test name must be a string")
        }
        guard let test = TemplateTest(name: name) else {
            throw TemplateError(code: .unknownTest, message: "No test named '\(name)'.")
        }
        return try applyTest(test, value, TemplateArguments(positional: Array(arguments.dropFirst())))
    }

    private func pow10(_ p: Int) -> Double {
        var r = 1.0
        if p >= 0 { for _ in 0..<Swift.min(p, 400) { r *= 10 } } else { for _ in 0..<Swift.min(-p, 400) { r /= 10 } }
        return r
    }

    /// jinja2's `int` filter: `int(value)` / `int(str, base)`, else `int(float(value))`, else nil.
    static func pyInt(_ value: TemplateValue, base: Int) -> TemplateValue? {
        switch value {
        case .int: return value
        case .bool(let b): return .int(b ? 1 : 0)
        case .double(let d):
            guard d.isFinite, Swift.abs(d) < 9.2e18 else { return nil }
            return .int(Int(d.rounded(.towardZero)))
        case .string(let s):
            var text = PythonStrings.strip(s, nil, leading: true, trailing: true).filter { $0 != "_" }
            var negative = false
            if text.hasPrefix("-") || text.hasPrefix("+") { negative = text.hasPrefix("-"); text.removeFirst() }
            var radix = base
            let lower = text.lowercased()
            for (prefix, r) in [("0x", 16), ("0o", 8), ("0b", 2)] where lower.hasPrefix(prefix) && (base == r || base == 0) {
                radix = r
                text.removeFirst(2)
            }
            if radix == 0 { radix = 10 }
            if radix >= 2 && radix <= 36, !text.isEmpty, let v = Int(text, radix: radix) { return .int(negative ? -v : v) }
            if let d = pyFloat(value), d.isFinite, Swift.abs(d) < 9.2e18 { return .int(Int(d.rounded(.towardZero))) }
            return nil
        default:
            return nil
        }
    }

    /// Python's `float(value)` for numbers and numeric strings, else nil.
    static func pyFloat(_ value: TemplateValue) -> Double? {
        switch value {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .bool(let b): return b ? 1 : 0
        case .string(let s):
            let text = PythonStrings.strip(s, nil, leading: true, trailing: true).filter { $0 != "_" }.lowercased()
            switch text {
            case "inf", "+inf", "infinity", "+infinity": return .infinity
            case "-inf", "-infinity": return -.infinity
            case "nan", "+nan", "-nan": return .nan
            default: break
            }
            guard !text.isEmpty, text.allSatisfy({ "0123456789.eE+-".contains($0) }) else { return nil }
            return Double(text)
        default:
            return nil
        }
    }
}
