
/// Local `$ref` resolution shared by the grammar compiler, the instance check and the prompt
/// summary (package-wide: the engine and the vocabulary both read schemas).
package enum JSONSchemaReferences {
    /// Why a reference does not resolve.
    package struct Unresolved: Error {
        package let reason: String
    }

    /// A JSON pointer token with `~` and `/` escaped.
    package static func escape(_ token: String) -> String {
        var escaped = ""
        for c in token {
            switch c {
            case "~": escaped += "~0"
            case "/": escaped += "~1"
            default: escaped.append(c)
            }
        }
        return escaped
    }

    /// A JSON pointer token with `~1` and `~0` decoded.
    package static func unescape<S: StringProtocol>(_ token: S) -> String {
        var out = ""
        var tilde = false
        for c in token {
            if tilde {
                out.append(c == "1" ? "/" : c == "0" ? "~" : c)
                tilde = false
            } else if c == "~" {
                tilde = true
            } else {
                out.append(c)
            }
        }
        return out
    }

    /// The schema `ref` points to inside `root`, with its JSON pointer. Local references only:
    /// `#`, `#/json/pointer` (percent-encoding aside), `#name` for an `$anchor` (or a draft-7
    /// `"$id": "#name"`), and `file.json#…` when `file.json` is the root's own `$id`.
    package static func resolve(_ ref: String, in root: JSONValue) throws(Unresolved) -> (JSONValue, String) {
        guard let hash = ref.firstIndex(of: "#") else {
            if case .string(let id)? = root["$id"], !ref.isEmpty, id == ref || id.hasSuffix("/" + ref) { return (root, "") }
            throw Unresolved(reason: "only local references ('#…') are supported")
        }
        let document = ref[..<hash]
        if !document.isEmpty {
            guard case .string(let id)? = root["$id"], id == document || id.hasSuffix("/" + document) else {
                throw Unresolved(reason: "only local references ('#…') are supported")
            }
        }
        let fragment = String(ref[ref.index(after: hash)...]).removingPercentEncodingIfPossible
        if fragment.isEmpty { return (root, "") }
        guard fragment.hasPrefix("/") else {
            guard let found = anchor(fragment, in: root, path: "") else {
                throw Unresolved(reason: "no '$anchor' named '\(fragment)' in the schema")
            }
            return found
        }
        var target = root
        for raw in fragment.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            let token = unescape(raw)
            switch target {
            case .object:
                guard let next = target[token] else { throw Unresolved(reason: "no '\(token)' in the schema") }
                target = next
            case .array(let list):
                guard let k = Int(token), k >= 0, k < list.count else { throw Unresolved(reason: "no index '\(token)'") }
                target = list[k]
            default:
                throw Unresolved(reason: "'\(token)' is not inside an object or array")
            }
        }
        return (target, fragment)
    }

    private static func anchor(_ name: String, in schema: JSONValue, path: String) -> (JSONValue, String)? {
        switch schema {
        case .object(let pairs):
            if schema["$anchor"] == .string(name) || schema["$id"] == .string("#" + name) { return (schema, path) }
            for (k, v) in pairs {
                if let found = anchor(name, in: v, path: path + "/" + escape(k)) { return found }
            }
        case .array(let list):
            for (i, v) in list.enumerated() {
                if let found = anchor(name, in: v, path: path + "/\(i)") { return found }
            }
        default: break
        }
        return nil
    }
}

private extension String {
    /// The text with `%XX` escapes decoded when they form valid UTF-8, else unchanged.
    var removingPercentEncodingIfPossible: String {
        guard contains("%") else { return self }
        var bytes: [UInt8] = []
        var utf8 = Array(self.utf8)[...]
        while let b = utf8.first {
            utf8 = utf8.dropFirst()
            if b == UInt8(ascii: "%"), utf8.count >= 2,
               let v = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(v)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(b)
            }
        }
        return String(validating: bytes, as: UTF8.self) ?? self
    }
}
