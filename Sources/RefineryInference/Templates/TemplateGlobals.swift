import RefineryCore
/// The global functions a template sees: jinja2's `range`, `dict`, `namespace`, and the two
/// transformers adds, `raise_exception(message)` and `strftime_now(format)`.
enum TemplateGlobals {
    static func make(clock: TemplateClock) -> [String: TemplateValue] {
        var globals: [String: TemplateValue] = [:]
        globals["range"] = .object(TemplateCallable(name: "range") { a, _ in
            let ints = try a.positional.map { v -> Int in
                guard case .int(let i)? = v.numericValue else {
                    throw TemplateError(code: .type, message: "TypeError: '\(v.typeName)' object cannot be interpreted as an integer")
                }
                return i
            }
            let (start, stop, step): (Int, Int, Int)
            switch ints.count {
            case 1: (start, stop, step) = (0, ints[0], 1)
            case 2: (start, stop, step) = (ints[0], ints[1], 1)
            case 3: (start, stop, step) = (ints[0], ints[1], ints[2])
            default: throw TemplateError(code: .type, message: "TypeError: range expected 1 to 3 arguments, got \(ints.count)")
            }
            guard step != 0 else { throw TemplateError(code: .value, message: "ValueError: range() arg 3 must not be zero") }
            // jinja2's sandbox refuses ranges over MAX_RANGE items; count before building.
            let span = step > 0 ? Double(stop) - Double(start) : Double(start) - Double(stop)
            let count = span <= 0 ? 0 : (span / Double(step.magnitude)).rounded(.up)
            guard count <= 100_000 else {
                throw TemplateError(code: .limit, message: "Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).")
            }
            return .list(stride(from: start, to: stop, by: step).map { .int($0) })
        })
        globals["dict"] = .object(TemplateCallable(name: "dict") { a, _ in
            var d = TemplateDict()
            if let first = a.positional.first, case .dict(let base) = first { d = base }
            for (name, value) in a.keyword { d[.string(name)] = value }
            return .dict(d)
        })
        globals["namespace"] = .object(TemplateCallable(name: "namespace") { a, _ in
            var d = TemplateDict()
            if let first = a.positional.first, case .dict(let base) = first { d = base }
            for (name, value) in a.keyword { d[.string(name)] = value }
            return .object(TemplateNamespace(d))
        })
        globals["raise_exception"] = .object(TemplateCallable(name: "raise_exception") { a, _ in
            throw TemplateError(code: .raised, message: a.value(0, "message")?.pyStr ?? "")
        })
        globals["strftime_now"] = .object(TemplateCallable(name: "strftime_now") { a, _ in
            guard case .string(let format)? = a.value(0, "format") else {
                throw TemplateError(code: .type, message: "TypeError: strftime_now() argument must be str")
            }
            return .string(try clock.format(format))
        })
        return globals
    }
}
