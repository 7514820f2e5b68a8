import RefineryCore
/// Python `str` operations on Swift strings, by Unicode scalars (code points) as Python counts.
enum PythonStrings {
    /// `strip`/`lstrip`/`rstrip`: with `chars` nil, Python whitespace.
    static func strip(_ s: String, _ chars: String?, leading: Bool, trailing: Bool) -> String {
        let set = chars.map { Set($0.unicodeScalars) }
        func removable(_ c: Unicode.Scalar) -> Bool { set.map { $0.contains(c) } ?? isPyWhitespace(c) }
        var scalars = Substring(s).unicodeScalars
        if leading { while let f = scalars.first, removable(f) { scalars.removeFirst() } }
        if trailing { while let l = scalars.last, removable(l) { scalars.removeLast() } }
        return String(scalars)
    }

    /// `split(sep=None, maxsplit=-1)`.
    static func split(_ s: String, _ sep: String?, maxSplit: Int) -> [String] {
        let scalars = Array(s.unicodeScalars)
        var parts: [String] = []
        guard let sep else {
            var i = 0
            var splits = 0
            while i < scalars.count {
                while i < scalars.count && isPyWhitespace(scalars[i]) { i += 1 }
                if i == scalars.count { break }
                if maxSplit >= 0 && splits == maxSplit {
                    var end = scalars.count
                    while end > i && isPyWhitespace(scalars[end - 1]) { end -= 1 }
                    parts.append(string(scalars[i..<end]))
                    return parts
                }
                let start = i
                while i < scalars.count && !isPyWhitespace(scalars[i]) { i += 1 }
                parts.append(string(scalars[start..<i]))
                splits += 1
            }
            return parts
        }
        let needle = Array(sep.unicodeScalars)
        var start = 0
        var i = 0
        var splits = 0
        while i + needle.count <= scalars.count {
            if (maxSplit < 0 || splits < maxSplit) && scalars[i..<i + needle.count].elementsEqual(needle) {
                parts.append(string(scalars[start..<i]))
                i += needle.count
                start = i
                splits += 1
            } else {
                i += 1
            }
        }
        parts.append(string(scalars[start...]))
        return parts
    }

    /// `rsplit(sep, maxsplit)` for an explicit separator (and whitespace when `sep` is nil).
    static func rsplit(_ s: String, _ sep: String?, maxSplit: Int) -> [String] {
        if maxSplit < 0 { return split(s, sep, maxSplit: -1) }
        let reversed = String(String.UnicodeScalarView(s.unicodeScalars.reversed()))
        let reversedSep = sep.map { String(String.UnicodeScalarView($0.unicodeScalars.reversed())) }
        return split(reversed, reversedSep, maxSplit: maxSplit).reversed().map {
            String(String.UnicodeScalarView($0.unicodeScalars.reversed()))
        }
    }

    static func isLineBreak(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029: return true
        default: return false
        }
    }

    /// `splitlines()` (without keepends).
    static func splitLines(_ s: String) -> [String] {
        let scalars = Array(s.unicodeScalars)
        var lines: [String] = []
        var start = 0
        var i = 0
        while i < scalars.count {
            if isLineBreak(scalars[i]) {
                lines.append(string(scalars[start..<i]))
                if scalars[i] == "\r" && i + 1 < scalars.count && scalars[i + 1] == "\n" { i += 1 }
                start = i + 1
            }
            i += 1
        }
        if start < scalars.count { lines.append(string(scalars[start...])) }
        return lines
    }

    /// `replace(old, new, count=-1)`.
    static func replace(_ s: String, _ old: String, _ new: String, count: Int) -> String {
        let scalars = Array(s.unicodeScalars)
        let needle = Array(old.unicodeScalars)
        var out = String.UnicodeScalarView()
        var replaced = 0
        if needle.isEmpty {
            // Python inserts `new` between every character and at both ends.
            for c in scalars {
                if count < 0 || replaced < count { out.append(contentsOf: new.unicodeScalars); replaced += 1 }
                out.append(c)
            }
            if count < 0 || replaced < count { out.append(contentsOf: new.unicodeScalars) }
            return String(out)
        }
        var i = 0
        while i < scalars.count {
            if (count < 0 || replaced < count) && i + needle.count <= scalars.count
                && scalars[i..<i + needle.count].elementsEqual(needle) {
                out.append(contentsOf: new.unicodeScalars)
                i += needle.count
                replaced += 1
            } else {
                out.append(scalars[i])
                i += 1
            }
        }
        return String(out)
    }

    static func upper(_ s: String) -> String { s.uppercased() }
    static func lower(_ s: String) -> String { s.lowercased() }

    private static func isCased(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter: return true
        default: return false
        }
    }

    /// Python's `str.title()`: title-case after any uncased character, lower-case otherwise.
    static func title(_ s: String) -> String {
        var out = ""
        var previousCased = false
        for c in s.unicodeScalars {
            out += previousCased ? c.properties.lowercaseMapping : c.properties.titlecaseMapping
            previousCased = isCased(c)
        }
        return out
    }

    /// Python's `str.capitalize()`: first character title-cased, the rest lower-cased.
    static func capitalize(_ s: String) -> String {
        var out = ""
        for (i, c) in s.unicodeScalars.enumerated() {
            out += i == 0 ? c.properties.titlecaseMapping : c.properties.lowercaseMapping
        }
        return out
    }

    static func swapcase(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            if c.properties.isUppercase { out += c.properties.lowercaseMapping } else if c.properties.isLowercase { out += c.properties.uppercaseMapping } else { out.unicodeScalars.append(c) }
        }
        return out
    }

    /// jinja2's `title` filter: capitalize each word, words split at `-`, whitespace, `(`, `{`, `[`, `<`.
    static func jinjaTitle(_ s: String) -> String {
        var out = ""
        var atWordStart = true
        for c in s.unicodeScalars {
            if c == "-" || c == "(" || c == "{" || c == "[" || c == "<" || isPyWhitespace(c) {
                out.unicodeScalars.append(c)
                atWordStart = true
            } else if atWordStart {
                out += c.properties.uppercaseMapping
                atWordStart = false
            } else {
                out += c.properties.lowercaseMapping
            }
        }
        return out
    }

    static func center(_ s: String, _ width: Int, _ fill: Unicode.Scalar) -> String {
        let n = s.unicodeScalars.count
        guard width > n else { return s }
        let marg = width - n
        let left = marg / 2 + (marg & width & 1)
        let f = String(fill)
        return String(repeating: f, count: left) + s + String(repeating: f, count: marg - left)
    }

    private static func string<C: Collection>(_ scalars: C) -> String where C.Element == Unicode.Scalar {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }

    /// HTML escaping as markupsafe does it (`&<>"'`).
    static func htmlEscape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&#34;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
