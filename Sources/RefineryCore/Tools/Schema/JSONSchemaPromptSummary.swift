/// The description of a JSON schema that goes into a prompt, within a size budget.
///
/// A constrained generation is held to the whole schema by its grammar, so the prompt only has to
/// tell the model what to write. Small schemas are given whole (compact JSON); larger ones
/// without their annotations (titles, examples, defaults, vendor `x-…` keys, long descriptions
/// shortened); schemas still too large as an outline of their properties — names, types,
/// whether required, short descriptions — as deep as the budget allows. A schema pasted whole
/// could overflow a small model's context, or crowd out the request itself.
public struct JSONSchemaPromptSummary: Sendable, Hashable {
    /// How much of the schema the text carries.
    public enum Form: String, Sendable, Hashable {
        /// The schema as it is (compact JSON).
        case whole
        /// The schema without annotations (compact JSON).
        case withoutAnnotations
        /// An outline of the properties (plain text).
        case outline
    }

    /// The text for the prompt.
    public let text: String
    /// Which form `text` has.
    public let form: Form

    /// The description of `schema` in at most `limit` characters (the outline is cut there).
    public init(schema: JSONValue, limit: Int = 3000) {
        let whole = schema.serialized()
        if whole.count <= limit {
            text = whole
            form = .whole
            return
        }
        let stripped = Self.strippingAnnotations(schema).serialized()
        if stripped.count <= limit {
            text = stripped
            form = .withoutAnnotations
            return
        }
        var outline = Outline(root: schema, limit: limit)
        outline.describe(schema, indent: 0, depth: 0)
        text = outline.finished
        form = .outline
    }

    /// Keywords that only annotate (they never constrain a value).
    static let annotationKeys: Set<String> = [
        "title", "markdownDescription", "examples", "example", "default", "$comment", "deprecated", "readOnly",
        "writeOnly", "$schema", "$id", "id", "markdownEnumDescriptions", "enumDescriptions", "deprecationMessage",
        "errorMessage", "tsType", "defaultSnippets", "doNotSuggest", "patternErrorMessage",
    ]

    /// `schema` without annotation keywords, `x-…` keys and descriptions beyond 100 characters.
    static func strippingAnnotations(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let pairs):
            var out: [(key: String, value: JSONValue)] = []
            for (k, v) in pairs {
                if annotationKeys.contains(k) || k.hasPrefix("x-") { continue }
                if k == "description", case .string(let d) = v {
                    out.append((k, .string(shortened(d, 100))))
                    continue
                }
                // Inside `properties` and the like the keys are names, not keywords: keep them all.
                if ["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"].contains(k), case .object(let members) = v {
                    out.append((k, .object(members.map { ($0.key, strippingAnnotations($0.value)) })))
                    continue
                }
                out.append((k, strippingAnnotations(v)))
            }
            return .object(out)
        case .array(let items):
            return .array(items.map(strippingAnnotations))
        default:
            return value
        }
    }

    static func shortened(_ text: String, _ limit: Int) -> String {
        let oneLine = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return oneLine.count <= limit ? oneLine : String(oneLine.prefix(limit - 1)) + "…"
    }

    /// Builds the outline text line by line until the budget runs out.
    private struct Outline {
        let root: JSONValue
        let limit: Int
        var lines: [String] = []
        var used = 0
        var truncated = false

        init(root: JSONValue, limit: Int) {
            self.root = root
            self.limit = limit
        }

        var finished: String {
            let text = (lines + (truncated ? ["… (more properties; the output is still checked against the full schema)"] : []))
                .joined(separator: "\n")
            return text.count <= limit ? text : String(text.prefix(limit))
        }

        mutating func add(_ line: String) -> Bool {
            guard !truncated, used + line.count + 1 <= limit - 80 else { truncated = true; return false }
            lines.append(line)
            used += line.count + 1
            return true
        }

        /// `schema` with `$ref`s followed (a few steps, local pointers only).
        func resolved(_ schema: JSONValue) -> JSONValue {
            var s = schema
            for _ in 0..<8 {
                guard case .string(let ref)? = s["$ref"], let (target, _) = try? JSONSchemaReferences.resolve(ref, in: root) else { break }
                s = target
            }
            return s
        }

        /// The members of `properties` across the schema and its `allOf`s.
        func properties(of schema: JSONValue) -> [(key: String, value: JSONValue)] {
            let s = resolved(schema)
            var out: [(key: String, value: JSONValue)] = []
            if case .object(let pairs)? = s["properties"] { out += pairs }
            for member in s["allOf"]?.arrayValue ?? [] { out += properties(of: member) }
            return out
        }

        func required(of schema: JSONValue) -> Set<String> {
            let s = resolved(schema)
            var out = Set((s["required"]?.arrayValue ?? []).compactMap(\.stringValue))
            for member in s["allOf"]?.arrayValue ?? [] { out.formUnion(required(of: member)) }
            return out
        }

        /// A short type description: `string`, `"a" | "b"`, `array of object`, `one of: …`.
        func typeText(_ schema: JSONValue, depth: Int = 0) -> String {
            let s = resolved(schema)
            if depth > 2 { return "value" }
            if let c = s["const"] { return c.serialized() }
            if case .array(let values)? = s["enum"] {
                let shown = values.prefix(8).map { $0.serialized() }.joined(separator: " | ")
                return values.count > 8 ? shown + " | …" : shown
            }
            if let t = s["type"] {
                let names = t.stringValue.map { [$0] } ?? (t.arrayValue ?? []).compactMap(\.stringValue)
                return names.map { name in
                    if name == "array", let items = s["items"], case .object = items { return "array of " + typeText(items, depth: depth + 1) }
                    return name
                }.joined(separator: " | ")
            }
            for keyword in ["oneOf", "anyOf"] {
                if case .array(let branches)? = s[keyword] {
                    return branches.prefix(4).map { typeText($0, depth: depth + 1) }.joined(separator: " | ")
                }
            }
            if s["properties"] != nil || s["patternProperties"] != nil { return "object" }
            if s["items"] != nil { return "array" }
            return "value"
        }

        mutating func describe(_ schema: JSONValue, indent: Int, depth: Int) {
            let s = resolved(schema)
            let pad = String(repeating: "  ", count: indent)
            if depth == 0 { _ = add("A JSON " + typeText(s) + (properties(of: s).isEmpty ? "" : " with these properties:")) }
            let required = required(of: s)
            for (name, value) in properties(of: s) {
                let v = resolved(value)
                var line = pad + "- \"\(name)\" (" + typeText(v) + (required.contains(name) ? ", required" : "") + ")"
                if case .string(let d)? = value["description"] ?? v["description"] { line += ": " + JSONSchemaPromptSummary.shortened(d, 80) }
                guard add(line) else { return }
                if depth < 2, !properties(of: v).isEmpty { describe(v, indent: indent + 1, depth: depth + 1) }
            }
            if case .object(let patterns)? = s["patternProperties"] {
                for (pattern, value) in patterns.prefix(4) {
                    guard add(pad + "- any name matching /\(pattern)/: " + typeText(value)) else { return }
                    if depth < 2, !properties(of: value).isEmpty { describe(value, indent: indent + 1, depth: depth + 1) }
                }
            }
        }
    }
}
