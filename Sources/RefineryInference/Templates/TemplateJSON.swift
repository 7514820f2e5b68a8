import RefineryCore
/// `tojson` as transformers defines it: `json.dumps(x, ensure_ascii=False, indent=…,
/// separators=…, sort_keys=False)` — key order kept, nothing HTML-escaped.
enum TemplateJSON {
    struct Options {
        /// `nil`: one line; otherwise the text one level of nesting indents by.
        var indent: String?
        var itemSeparator: String
        var keySeparator: String
        var sortKeys = false
        var ensureASCII = false

        init(indent: String?, separators: (String, String)? = nil, sortKeys: Bool = false, ensureASCII: Bool = false) {
            self.indent = indent
            self.itemSeparator = separators?.0 ?? (indent == nil ? ", " : ",")
            self.keySeparator = separators?.1 ?? ": "
            self.sortKeys = sortKeys
            self.ensureASCII = ensureASCII
        }
    }

    static func dumps(_ value: TemplateValue, _ options: Options) throws -> String {
        var out = ""
        try write(value, options, level: 0, into: &out)
        return out
    }

    private static func write(_ value: TemplateValue, _ options: Options, level: Int, into out: inout String) throws {
        if level > TemplateValue.maxNesting {
            throw TemplateError(code: .limit, message: "ValueError: values nested deeper than \(TemplateValue.maxNesting) levels")
        }
        try TemplateLimits.check(count: out.utf8.count)
        switch value {
        case .none: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            if d.isNaN { out += "NaN" } else if d.isInfinite { out += d < 0 ? "-Infinity" : "Infinity" } else { out += pyFloatRepr(d) }
        case .string(let s), .markup(let s): writeString(s, ensureASCII: options.ensureASCII, into: &out)
        case .list(let items), .tuple(let items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += options.itemSeparator }
                newline(options, level + 1, &out)
                try write(item, options, level: level + 1, into: &out)
            }
            newline(options, level, &out)
            out += "]"
        case .dict(let d):
            if d.count == 0 { out += "{}"; return }
            var entries: [(key: String, value: TemplateValue)] = []
            entries.reserveCapacity(d.count)
            for (k, v) in d.entries { entries.append((try keyString(k), v)) }
            if options.sortKeys {
                entries.sort { $0.key.unicodeScalars.lexicographicallyPrecedes($1.key.unicodeScalars) }
            }
            out += "{"
            for (i, entry) in entries.enumerated() {
                if i > 0 { out += options.itemSeparator }
                newline(options, level + 1, &out)
                writeString(entry.key, ensureASCII: options.ensureASCII, into: &out)
                out += options.keySeparator
                try write(entry.value, options, level: level + 1, into: &out)
            }
            newline(options, level, &out)
            out += "}"
        case .undefined, .object:
            throw TemplateError(code: .type, message: "TypeError: Object of type \(value.typeName) is not JSON serializable")
        }
    }

    private static func newline(_ options: Options, _ level: Int, _ out: inout String) {
        guard let indent = options.indent else { return }
        out += "\n"
        for _ in 0..<level { out += indent }
    }

    private static func keyString(_ key: TemplateValue) throws -> String {
        switch key {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return d.isNaN ? "NaN" : d.isInfinite ? (d < 0 ? "-Infinity" : "Infinity") : pyFloatRepr(d)
        case .bool(let b): return b ? "true" : "false"
        case .none: return "null"
        default:
            throw TemplateError(code: .type, message: "TypeError: keys must be str, int, float, bool or None, not \(key.typeName)")
        }
    }

    /// A JSON string literal as Python's encoder writes it (the shared JSON serializer escapes
    /// exactly as `json.dumps` does; `ensureASCII` is Python's `ensure_ascii`).
    static func writeString(_ s: String, ensureASCII: Bool, into out: inout String) {
        out += JSONValue.string(s).serialized(JSONFormatting(escapeNonASCII: ensureASCII))
    }
}
