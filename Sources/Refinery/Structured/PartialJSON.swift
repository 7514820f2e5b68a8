import RefineryCore

/// Reads a JSON document that is still being generated: the text so far with its unfinished
/// parts closed — an open string ended, an object key without a value given `null`, a trailing
/// comma or half-written literal dropped, open arrays and objects closed — so a caller can show
/// the fields that have arrived. Values may still change (a string grows, a number gains digits).
public enum PartialJSON {
    /// The partial document in `text` closed up, or `nil` when nothing can be read yet.
    public static func close(_ text: String) -> JSONValue? {
        let bytes = Array(text.utf8)
        let scan = Scan(bytes)
        let out = scan.closed(bytes)
        guard !out.isEmpty else { return nil }
        return try? JSONValue(parsing: out)
    }

    /// Where a partial document stands at its end: open containers, an open string, an
    /// unfinished scalar.
    private struct Scan {
        /// One frame per open container: whether it is an object, and for objects whether a
        /// key (rather than a value) comes next.
        var stack: [(object: Bool, expectingKey: Bool)] = []
        var inString = false
        var escaped = false
        var stringIsKey = false
        /// Where the current scalar (number or literal) started, to drop it when unfinished.
        var scalarStart: Int? = nil

        init(_ bytes: [UInt8]) {
            for (i, b) in bytes.enumerated() {
                if inString {
                    if escaped { escaped = false } else if b == 0x5C { escaped = true } else if b == 0x22 { inString = false }
                    continue
                }
                read(b, at: i)
            }
        }

        private mutating func read(_ b: UInt8, at i: Int) {
            switch b {
            case 0x22:
                inString = true
                stringIsKey = stack.last.map { $0.object && $0.expectingKey } ?? false
            case 0x7B: stack.append((true, true))
            case 0x5B: stack.append((false, false))
            case 0x7D, 0x5D: if !stack.isEmpty { stack.removeLast() }
            case 0x3A: if !stack.isEmpty { stack[stack.count - 1].expectingKey = false }
            case 0x2C: if let last = stack.last, last.object { stack[stack.count - 1].expectingKey = true }
            case 0x20, 0x09, 0x0A, 0x0D: break
            default:
                if scalarStart == nil { scalarStart = i }
                return
            }
            scalarStart = nil
        }

        /// `bytes` with the unfinished parts ended or dropped and the open containers closed.
        func closed(_ bytes: [UInt8]) -> [UInt8] {
            var out = bytes
            if inString {
                // Drop an unfinished escape, then end the string.
                if escaped { out.removeLast() } else if let slash = lastUnfinishedUnicodeEscape(out) { out.removeSubrange(slash...) }
                out.append(0x22)
                if stringIsKey { out += Array(": null".utf8) }
            } else if let start = scalarStart {
                if !isCompleteScalar(Array(out[start...])) { out.removeSubrange(start...) }
            }
            // Whatever now ends the text: a dangling separator needs a value or must go.
            while let last = out.last, [0x20, 0x09, 0x0A, 0x0D].contains(last) { out.removeLast() }
            if out.last == 0x2C { out.removeLast() }
            if out.last == 0x3A { out += Array(" null".utf8) }
            if !inString, let last = stack.last, last.object, last.expectingKey, out.last == 0x22 {
                // A key whose colon has not arrived: `{"a": 1, "b"` — give it a value.
                out += Array(": null".utf8)
            }
            for frame in stack.reversed() { out.append(frame.object ? 0x7D : 0x5D) }
            return out
        }
    }

    private static func isCompleteScalar(_ s: [UInt8]) -> Bool {
        let text = String(decoding: s, as: UTF8.self)
        if text == "true" || text == "false" || text == "null" { return true }
        guard let last = s.last, last >= 0x30 && last <= 0x39 else { return false }
        return (try? JSONValue(parsing: s)) != nil
    }

    /// The index of a `\u` escape with fewer than four hex digits at the end of `s`.
    private static func lastUnfinishedUnicodeEscape(_ s: [UInt8]) -> Int? {
        for back in 2...5 where s.count >= back {
            let i = s.count - back
            if s[i] == 0x5C, s[i + 1] == 0x75 { return back < 6 ? i : nil }
        }
        return nil
    }
}
