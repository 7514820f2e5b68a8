import Foundation

/// Finds JSON values embedded in free text: balanced `{…}` or `[…]` spans, scanned with string
/// literals and escapes respected, then parsed.
enum JSONSpans {
    /// A parsed JSON value and where its text lies.
    struct Span {
        var value: JSONValue
        var range: Range<String.Index>
    }

    /// The end of the balanced value that starts at `start` (a `{` or `[`), or `nil` when the
    /// text ends first.
    static func balancedEnd(in text: String, from start: String.Index) -> String.Index? {
        var depth = 0
        var inString = false
        var escaped = false
        var i = start
        while i < text.endIndex {
            let c = text.unicodeScalars[i]
            if inString {
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
            } else {
                switch c {
                case "\"": inString = true
                case "{", "[": depth += 1
                case "}", "]":
                    depth -= 1
                    if depth == 0 { return text.unicodeScalars.index(after: i) }
                default: break
                }
            }
            i = text.unicodeScalars.index(after: i)
        }
        return nil
    }

    /// Every top-level JSON object or array in `text` that parses, left to right, not overlapping.
    static func all(in text: String) -> [Span] {
        var spans: [Span] = []
        var i = text.startIndex
        while i < text.endIndex {
            let c = text.unicodeScalars[i]
            if c == "{" || c == "[", let end = balancedEnd(in: text, from: i),
               let value = try? JSONValue(parsing: String(text[i..<end]))
            {
                spans.append(Span(value: value, range: i..<end))
                i = end
            } else {
                i = text.unicodeScalars.index(after: i)
            }
        }
        return spans
    }

    /// The first JSON value at the start of `text` (after whitespace) and the rest of the text.
    static func leading(in text: Substring) -> (JSONValue, Substring)? {
        let s = String(text)
        guard let start = s.firstIndex(where: { !$0.isWhitespace }), s[start] == "{" || s[start] == "[",
              let end = balancedEnd(in: s, from: start), let value = try? JSONValue(parsing: String(s[start..<end]))
        else { return nil }
        return (value, Substring(s[end...]))
    }
}

extension ToolCall {
    /// A call read from a JSON object `{"name": …, "arguments"|"parameters": …}`, also accepting
    /// OpenAI's `{"function": {"name": …, "arguments": "…"}}` and arguments given as a JSON string.
    static func fromJSON(_ value: JSONValue, id: String) -> ToolCall? {
        guard case .object = value else { return nil }
        if let function = value["function"], case .object = function, let call = fromJSON(function, id: id) {
            return call
        }
        guard case .string(let name)? = value["name"] else { return nil }
        var arguments = value["arguments"] ?? value["parameters"] ?? .object([])
        if case .string(let text) = arguments {
            guard let parsed = try? JSONValue(parsing: text) else { return nil }
            arguments = parsed
        }
        guard case .object = arguments else { return nil }
        return ToolCall(id: id, name: name, arguments: arguments)
    }
}
