import RefineryCore
/// Compact JSON text for schema literals (`enum`, `const`, property names), as the grammar
/// emits them: no whitespace, keys in order, strings escaped minimally (`"`, `\`, control
/// characters), non-ASCII kept as UTF-8.
enum JSONLiteral {
    /// The JSON text of `value`, or `nil` for a non-finite number (not representable in JSON).
    static func text(_ value: JSONValue) -> String? {
        var out = ""
        return write(value, &out) ? out : nil
    }

    /// The JSON string literal (with quotes) for `s`, escaped by the shared serializer.
    static func quoted(_ s: String) -> String {
        JSONValue.string(s).serialized()
    }

    private static func write(_ value: JSONValue, _ out: inout String) -> Bool {
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            guard d.isFinite else { return false }
            if d == d.rounded(), abs(d) < 1e15 { out += String(Int64(d)) } else { out += "\(d)" }
        case .string(let s): out += quoted(s)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                guard write(item, &out) else { return false }
            }
            out += "]"
        case .object(let pairs):
            out += "{"
            for (i, pair) in pairs.enumerated() {
                if i > 0 { out += "," }
                out += quoted(pair.key) + ":"
                guard write(pair.value, &out) else { return false }
            }
            out += "}"
        }
        return true
    }
}
