import RefineryCore
/// The tests of `x is name` / `x is not name` (jinja2's built-in tests).
enum TemplateTest: Sendable {
    case defined, undefined, none, string, number, integer, float, mapping, iterable, sequence
    case isTrue, isFalse, boolean, even, odd, divisibleBy, equalTo, notEqual, lessThan, lessOrEqual
    case greaterThan, greaterOrEqual, isIn, sameAs, callable, lower, upper, escaped, filter, test

    init?(name: String) {
        switch name {
        case "defined": self = .defined
        case "undefined": self = .undefined
        case "none": self = .none
        case "string": self = .string
        case "number": self = .number
        case "integer": self = .integer
        case "float": self = .float
        case "mapping": self = .mapping
        case "iterable": self = .iterable
        case "sequence": self = .sequence
        case "true": self = .isTrue
        case "false": self = .isFalse
        case "boolean": self = .boolean
        case "even": self = .even
        case "odd": self = .odd
        case "divisibleby": self = .divisibleBy
        case "equalto", "eq", "==": self = .equalTo
        case "ne", "!=": self = .notEqual
        case "lt", "lessthan", "<": self = .lessThan
        case "le", "<=": self = .lessOrEqual
        case "gt", "greaterthan", ">": self = .greaterThan
        case "ge", ">=": self = .greaterOrEqual
        case "in": self = .isIn
        case "sameas": self = .sameAs
        case "callable": self = .callable
        case "lower": self = .lower
        case "upper": self = .upper
        case "escaped": self = .escaped
        case "filter": self = .filter
        case "test": self = .test
        default: return nil
        }
    }
}

extension TemplateInterpreter {
    func applyTest(_ test: TemplateTest, _ original: TemplateValue, _ arguments: TemplateArguments) throws -> Bool {
        if test == .escaped, case .markup = original { return true }
        let value = original.plain
        func argument() throws -> TemplateValue {
            guard let a = arguments.positional.first ?? arguments.keyword.first?.value else {
                throw TemplateError(code: .type, message: "TypeError: test is missing its argument")
            }
            return a
        }
        switch test {
        case .defined: return !value.isUndefined
        case .undefined: return value.isUndefined
        case .none:
            if case .none = value { return true }
            return false
        case .string:
            if case .string = value { return true }
            return false
        case .number:
            switch value {
            case .int, .double, .bool: return true
            default: return false
            }
        case .integer:
            if case .int = value { return true }
            return false
        case .float:
            if case .double = value { return true }
            return false
        case .mapping:
            if case .dict = value { return true }
            return false
        case .iterable:
            switch value {
            case .list, .tuple, .dict, .string, .undefined: return true
            default: return false
            }
        case .sequence:
            switch value {
            case .list, .tuple, .dict, .string, .undefined: return true
            default: return false
            }
        case .isTrue:
            if case .bool(true) = value { return true }
            return false
        case .isFalse:
            if case .bool(false) = value { return true }
            return false
        case .boolean:
            if case .bool = value { return true }
            return false
        case .even, .odd:
            // jinja2: `value % 2 == 0` / `value % 2 == 1` (floats included).
            let remainder = try TemplateArithmetic.apply(.mod, value, .int(2))
            return remainder.pyEquals(.int(test == .even ? 0 : 1))
        case .divisibleBy:
            let d = try argument()
            guard case .int(let n)? = d.numericValue, n != 0 else {
                return try TemplateArithmetic.apply(.mod, value, d).pyEquals(.int(0))
            }
            guard case .int(let i)? = value.numericValue else { return try TemplateArithmetic.apply(.mod, value, d).pyEquals(.int(0)) }
            return i % n == 0
        case .equalTo: return value.pyEquals(try argument())
        case .notEqual: return !value.pyEquals(try argument())
        case .lessThan: return try value.pyCompare(try argument(), op: "<") < 0
        case .lessOrEqual: return try value.pyCompare(try argument(), op: "<=") <= 0
        case .greaterThan: return try value.pyCompare(try argument(), op: ">") > 0
        case .greaterOrEqual: return try value.pyCompare(try argument(), op: ">=") >= 0
        case .isIn: return try argument().pyContains(value)
        case .sameAs:
            let other = try argument()
            switch (value, other) {
            case (.none, .none): return true
            case let (.bool(a), .bool(b)): return a == b
            case let (.object(a), .object(b)): return a === b
            case let (.int(a), .int(b)): return a == b && a >= -5 && a <= 256  // CPython's small-int cache
            case let (.string(a), .string(b)): return a.utf8.elementsEqual(b.utf8) && a.unicodeScalars.count <= 1
            default: return false
            }
        case .callable:
            if case .object(let o) = value { return o is TemplateCallable }
            return false
        case .lower:
            guard case .string(let s) = value else { return false }
            return s.unicodeScalars.contains { $0.properties.isLowercase } && !s.unicodeScalars.contains { $0.properties.isUppercase }
        case .upper:
            guard case .string(let s) = value else { return false }
            return s.unicodeScalars.contains { $0.properties.isUppercase } && !s.unicodeScalars.contains { $0.properties.isLowercase }
        case .escaped: return false
        case .filter:
            guard case .string(let name) = value else { return false }
            return TemplateFilter(name: name) != nil
        case .test:
            guard case .string(let name) = value else { return false }
            return TemplateTest(name: name) != nil
        }
    }
}
