import RefineryCore
/// Python methods templates call on strings, dicts and lists (`x.strip()`, `d.items()`, …).
/// Mutating list and dict methods are refused, as in jinja2's immutable sandbox.
enum TemplateMethods {
    private static let stringMethods: Set<String> = [
        "strip", "lstrip", "rstrip", "startswith", "endswith", "split", "rsplit", "splitlines", "upper", "lower",
        "replace", "title", "capitalize", "swapcase", "format", "join", "find", "rfind", "index", "rindex", "count",
        "isdigit", "isalpha", "isalnum", "isspace", "islower", "isupper", "isnumeric", "isdecimal", "center",
        "ljust", "rjust", "zfill", "removeprefix", "removesuffix", "partition", "rpartition",
    ]
    private static let dictMethods: Set<String> = ["items", "keys", "values", "get", "copy"]
    private static let listMethods: Set<String> = ["index", "count", "copy"]
    private static let unsafeMethods: Set<String> = [
        "append", "extend", "insert", "pop", "remove", "sort", "reverse", "clear", "update", "setdefault", "popitem",
    ]

    static func isMethod(_ object: TemplateValue, _ name: String) -> Bool {
        switch object {
        case .string: return stringMethods.contains(name)
        case .dict: return dictMethods.contains(name)
        case .list, .tuple: return listMethods.contains(name)
        default: return false
        }
    }

    static func isUnsafe(_ object: TemplateValue, _ name: String) -> Bool {
        switch object {
        case .list, .dict: return unsafeMethods.contains(name)
        default: return false
        }
    }

    static func call(_ object: TemplateValue, _ name: String, _ a: TemplateArguments) throws -> TemplateValue {
        switch object {
        case .string(let s): return try stringMethod(s, name, a)
        case .dict(let d):
            switch name {
            case "items": return .list(d.entries.map { .tuple([$0.key, $0.value]) })
            case "keys": return .list(d.entries.map(\.key))
            case "values": return .list(d.entries.map(\.value))
            case "get":
                guard let key = a.value(0, "key") else { throw missing("get", "key") }
                return d[key] ?? a.value(1, "default") ?? .none
            case "copy": return object
            default: break
            }
        case .list(let items), .tuple(let items):
            switch name {
            case "index":
                guard let x = a.value(0, "value") else { throw missing("index", "value") }
                guard let i = items.firstIndex(where: { $0.pyEquals(x) }) else {
                    throw TemplateError(code: .value, message: "ValueError: \(x.pyRepr) is not in list")
                }
                return .int(i)
            case "count":
                guard let x = a.value(0, "value") else { throw missing("count", "value") }
                return .int(items.filter { $0.pyEquals(x) }.count)
            case "copy": return object
            default: break
            }
        default: break
        }
        throw TemplateError(code: .undefined, message: "\(TemplateInterpreter.objectTypeRepr(object)) has no attribute '\(name)'")
    }

    private static func missing(_ method: String, _ parameter: String) -> TemplateError {
        TemplateError(code: .type, message: "TypeError: \(method)() missing required argument: '\(parameter)'")
    }

    private static func optionalString(_ v: TemplateValue?, _ method: String) throws -> String? {
        switch v {
        case nil, .none?: return nil
        case .string(let s)?: return s
        case let other?: throw TemplateError(code: .type, message: "TypeError: \(method) arg must be None or str, not \(other.typeName)")
        }
    }

    private static func string(_ v: TemplateValue?, _ method: String) throws -> String {
        guard case .string(let s)? = v else {
            throw TemplateError(code: .type, message: "TypeError: \(method)() argument must be str, not \(v?.typeName ?? "nothing")")
        }
        return s
    }

    private static func int(_ v: TemplateValue?, default d: Int) throws -> Int {
        switch v {
        case nil, .none?: return d
        case .int(let i)?: return i
        case .bool(let b)?: return b ? 1 : 0
        case let other?: throw TemplateError(code: .type, message: "TypeError: '\(other.typeName)' object cannot be interpreted as an integer")
        }
    }

    private static func stringMethod(_ s: String, _ name: String, _ a: TemplateArguments) throws -> TemplateValue {
        switch name {
        case "strip": return .string(PythonStrings.strip(s, try optionalString(a.value(0, "chars"), name), leading: true, trailing: true))
        case "lstrip": return .string(PythonStrings.strip(s, try optionalString(a.value(0, "chars"), name), leading: true, trailing: false))
        case "rstrip": return .string(PythonStrings.strip(s, try optionalString(a.value(0, "chars"), name), leading: false, trailing: true))
        case "startswith", "endswith":
            let candidates: [TemplateValue]
            switch a.value(0, "prefix") {
            case .tuple(let items)?, .list(let items)?: candidates = items
            case let v?: candidates = [v]
            case nil: throw missing(name, "prefix")
            }
            for candidate in candidates {
                let p = try string(candidate, name)
                let hit = name == "startswith" ? s.unicodeScalars.starts(with: p.unicodeScalars)
                    : s.unicodeScalars.reversed().starts(with: p.unicodeScalars.reversed())
                if hit { return .bool(true) }
            }
            return .bool(false)
        case "split", "rsplit":
            let sep = try optionalString(a.value(0, "sep"), name)
            if sep == "" { throw TemplateError(code: .value, message: "ValueError: empty separator") }
            let maxSplit = try int(a.value(1, "maxsplit"), default: -1)
            let parts = name == "split" ? PythonStrings.split(s, sep, maxSplit: maxSplit) : PythonStrings.rsplit(s, sep, maxSplit: maxSplit)
            return .list(parts.map { .string($0) })
        case "splitlines": return .list(PythonStrings.splitLines(s).map { .string($0) })
        case "upper": return .string(PythonStrings.upper(s))
        case "lower": return .string(PythonStrings.lower(s))
        case "title": return .string(PythonStrings.title(s))
        case "capitalize": return .string(PythonStrings.capitalize(s))
        case "swapcase": return .string(PythonStrings.swapcase(s))
        case "replace":
            let old = try string(a.value(0, "old"), name), new = try string(a.value(1, "new"), name)
            return .string(PythonStrings.replace(s, old, new, count: try int(a.value(2, "count"), default: -1)))
        case "format": return .string(try TemplateFormatting.strFormat(s, a))
        case "join":
            guard let iterable = a.value(0, "iterable") else { throw missing(name, "iterable") }
            let parts = try iterable.iterate().map { item -> String in
                guard case .string(let p) = item else {
                    throw TemplateError(code: .type, message: "TypeError: sequence item: expected str instance, \(item.typeName) found")
                }
                return p
            }
            return .string(parts.joined(separator: s))
        case "find", "rfind", "index", "rindex", "count":
            let needle = try string(a.value(0, "sub"), name)
            if name == "count" {
                if needle.isEmpty { return .int(s.unicodeScalars.count + 1) }
                var n = 0, from = 0
                while let i = pyFind(s, needle, from: from) { n += 1; from = i + needle.unicodeScalars.count }
                return .int(n)
            }
            var found: Int?
            if name.hasPrefix("r") {
                var from = 0
                while let i = pyFind(s, needle, from: from) { found = i; from = i + 1 }
            } else {
                found = pyFind(s, needle)
            }
            if let found { return .int(found) }
            if name.hasSuffix("index") { throw TemplateError(code: .value, message: "ValueError: substring not found") }
            return .int(-1)
        case "isdigit", "isdecimal", "isnumeric":
            return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.numericType != nil })
        case "isalpha": return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.isAlphabetic })
        case "isalnum":
            return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || $0.properties.numericType != nil })
        case "isspace": return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy(isPyWhitespace))
        case "islower":
            return .bool(s.unicodeScalars.contains { $0.properties.isLowercase } && !s.unicodeScalars.contains { $0.properties.isUppercase })
        case "isupper":
            return .bool(s.unicodeScalars.contains { $0.properties.isUppercase } && !s.unicodeScalars.contains { $0.properties.isLowercase })
        case "center", "ljust", "rjust":
            let width = try int(a.value(0, "width"), default: 0)
            let fill = try a.value(1, "fillchar").map { try string($0, name).unicodeScalars.first ?? " " } ?? " "
            let n = s.unicodeScalars.count
            guard width > n else { return .string(s) }
            try TemplateLimits.check(count: width)
            let pad = String(repeating: String(fill), count: width - n)
            if name == "ljust" { return .string(s + pad) }
            if name == "rjust" { return .string(pad + s) }
            return .string(PythonStrings.center(s, width, fill))
        case "zfill":
            let width = try int(a.value(0, "width"), default: 0)
            let n = s.unicodeScalars.count
            guard width > n else { return .string(s) }
            try TemplateLimits.check(count: width)
            let zeros = String(repeating: "0", count: width - n)
            if let first = s.unicodeScalars.first, first == "+" || first == "-" {
                return .string(String(first) + zeros + String(s.unicodeScalars.dropFirst()))
            }
            return .string(zeros + s)
        case "removeprefix":
            let p = try string(a.value(0, "prefix"), name)
            return .string(s.unicodeScalars.starts(with: p.unicodeScalars) ? String(s.unicodeScalars.dropFirst(p.unicodeScalars.count)) : s)
        case "removesuffix":
            let p = try string(a.value(0, "suffix"), name)
            let hit = !p.isEmpty && s.unicodeScalars.reversed().starts(with: p.unicodeScalars.reversed())
            return .string(hit ? String(s.unicodeScalars.dropLast(p.unicodeScalars.count)) : s)
        case "partition", "rpartition":
            let sep = try string(a.value(0, "sep"), name)
            let parts = name == "partition" ? PythonStrings.split(s, sep, maxSplit: 1) : PythonStrings.rsplit(s, sep, maxSplit: 1)
            if parts.count == 2 { return .tuple([.string(parts[0]), .string(sep), .string(parts[1])]) }
            return name == "partition" ? .tuple([.string(s), .string(""), .string("")]) : .tuple([.string(""), .string(""), .string(s)])
        default:
            throw TemplateError(code: .undefined, message: "'str object' has no attribute '\(name)'")
        }
    }
}
