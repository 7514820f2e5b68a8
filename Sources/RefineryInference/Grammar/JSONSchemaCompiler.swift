import RefineryCore
/// Compiles a JSON schema (see ``JSONSchemaGrammar`` for the subset) into grammar rules.
struct JSONSchemaCompiler {
    typealias Item = GrammarBuilder.Item

    private let root: JSONValue
    private let options: JSONSchemaGrammar.Options
    private(set) var b: GrammarBuilder
    private var refRules: [String: Int] = [:]
    private var shared: [String: Int] = [:]
    private var wsRules: [Int: Int] = [:]

    static let annotations: Set<String> = [
        "title", "description", "examples", "default", "$comment", "$schema", "$id", "deprecated",
        "readOnly", "writeOnly", "contentEncoding", "contentMediaType", "format", "$defs", "definitions",
    ]
    static let objectKeywords: Set<String> = ["properties", "required", "additionalProperties"]
    static let arrayKeywords: Set<String> = ["items", "prefixItems", "minItems", "maxItems", "uniqueItems"]
    static let stringKeywords: Set<String> = ["minLength", "maxLength", "pattern"]
    static let numberKeywords: Set<String> = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]
    static let combinators: Set<String> = ["anyOf", "oneOf", "allOf", "$ref"]
    static let valueKeywords: Set<String> = ["type", "enum", "const"]
    static var supported: Set<String> {
        objectKeywords.union(arrayKeywords).union(stringKeywords).union(numberKeywords).union(combinators).union(valueKeywords)
    }

    init(root: JSONValue, options: JSONSchemaGrammar.Options, builder: GrammarBuilder = GrammarBuilder()) {
        self.root = root
        self.b = builder
        self.options = options
    }

    // MARK: - Entry

    /// The rule matching documents of the root schema, added to the builder.
    mutating func compileRoot() throws(GrammarError) -> Int { try compile(root, path: "") }

    mutating func compileDocument() throws(GrammarError) -> Grammar {
        let start = try compileRoot()
        do {
            return try b.build(start: start)
        } catch {
            throw Self.error(for: error)
        }
    }

    /// The schema-level error for a grammar build failure of rules this compiler named.
    static func error(for failure: GrammarBuilder.Failure) -> GrammarError {
        switch failure {
        case .leftRecursive(let name):
            let (keyword, path) = split(name)
            if keyword == "pattern" { return .invalidPattern("", path: path, "a repeated part can match the empty string") }
            return .invalidReference(keyword, path: path, "it refers to itself without producing any output")
        case .unproductive(let name):
            let (keyword, path) = split(name)
            return .unsatisfiable(keyword, path: path, "every value would be infinitely deep")
        case .undefined(let name):
            let (keyword, path) = split(name)
            return .invalidSchema(keyword, path: path, "rule never defined")
        case .tooLarge:
            return .tooLarge("schema", path: "", "the compiled grammar is too large")
        }
    }

    /// Rule names are `keyword@path` so build failures can be reported against the schema.
    private static func split(_ name: String) -> (String, String) {
        guard let at = name.firstIndex(of: "@") else { return (name, "") }
        return (String(name[..<at]), String(name[name.index(after: at)...]))
    }

    private static func child(_ path: String, _ token: String) -> String {
        var escaped = ""
        for c in token {
            switch c {
            case "~": escaped += "~0"
            case "/": escaped += "~1"
            default: escaped.append(c)
            }
        }
        return path + "/" + escaped
    }

    /// A JSON pointer token with `~1` and `~0` decoded.
    private static func unescape<S: StringProtocol>(_ token: S) -> String {
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

    // MARK: - Schemas

    /// A rule matching the JSON values `schema` accepts.
    private mutating func compile(_ schema: JSONValue, path: String) throws(GrammarError) -> Int {
        let pairs: [(key: String, value: JSONValue)]
        switch schema {
        case .bool(true): return anyValue()
        case .bool(false): throw .unsatisfiable("false", path: path, "the schema 'false' accepts nothing")
        case .object(let p): pairs = p
        default: throw .invalidSchema("schema", path: path, "a schema must be an object or a boolean")
        }
        var keys = Set<String>()
        for (key, _) in pairs {
            if Self.annotations.contains(key) || key.hasPrefix("x-") { continue }
            guard Self.supported.contains(key) else { throw .unsupportedKeyword(key, path: path) }
            keys.insert(key)
        }
        if schema["uniqueItems"] == .bool(true) {
            throw .unsupportedKeyword("uniqueItems", path: path, "only uniqueItems: false is supported")
        }
        // Combinators stand alone (annotations and $defs aside).
        for keyword in ["$ref", "allOf", "anyOf", "oneOf"] where keys.contains(keyword) {
            if let other = keys.subtracting([keyword]).sorted().first {
                throw .unsupportedKeyword(other, path: path, "not supported next to '\(keyword)'")
            }
        }
        if let ref = schema["$ref"] {
            guard case .string(let r) = ref else { throw .invalidSchema("$ref", path: path, "must be a string") }
            return try reference(r, path: path)
        }
        if let allOf = schema["allOf"] {
            guard case .array(let list) = allOf, list.count == 1 else {
                throw .unsupportedKeyword("allOf", path: path, "only allOf with exactly one schema is supported")
            }
            return try compile(list[0], path: Self.child(Self.child(path, "allOf"), "0"))
        }
        for keyword in ["anyOf", "oneOf"] {
            guard let value = schema[keyword] else { continue }
            guard case .array(let list) = value, !list.isEmpty else {
                throw .invalidSchema(keyword, path: path, "must be a non-empty array of schemas")
            }
            var alts: [[Item]] = []
            for (i, s) in list.enumerated() {
                alts.append([.rule(try compile(s, path: Self.child(Self.child(path, keyword), String(i))))])
            }
            return b.add(keyword + "@" + path, alts)
        }

        // The types allowed.
        var types: [String]
        if let t = schema["type"] {
            switch t {
            case .string(let s): types = [s]
            case .array(let list):
                types = []
                for v in list {
                    guard case .string(let s) = v else { throw .invalidSchema("type", path: path, "must list type names") }
                    types.append(s)
                }
                guard !types.isEmpty else { throw .unsatisfiable("type", path: path, "an empty list of types") }
            default: throw .invalidSchema("type", path: path, "must be a string or a list of strings")
            }
            let known: Set<String> = ["object", "array", "string", "number", "integer", "boolean", "null"]
            if let bad = types.first(where: { !known.contains($0) }) {
                throw .invalidSchema("type", path: path, "unknown type '\(bad)'")
            }
        } else {
            types = []
            if !keys.isDisjoint(with: Self.objectKeywords) { types.append("object") }
            if !keys.isDisjoint(with: Self.arrayKeywords) { types.append("array") }
            if !keys.isDisjoint(with: Self.stringKeywords) { types.append("string") }
            if !keys.isDisjoint(with: Self.numberKeywords) { types.append("number") }
        }

        if schema["const"] != nil || schema["enum"] != nil {
            return try literals(schema, types: schema["type"] == nil ? nil : Set(types), path: path)
        }
        if types.isEmpty { return anyValue() }

        var alts: [[Item]] = []
        for t in types {
            let r: Int
            switch t {
            case "object": r = try object(schema, path: path)
            case "array": r = try array(schema, path: path)
            case "string": r = try string(schema, path: path)
            case "integer": r = try integer(schema, path: path)
            case "number": r = try number(schema, path: path)
            case "boolean": r = b.add("boolean@" + path, [Self.lit("true"), Self.lit("false")])
            default: r = b.add("null@" + path, [Self.lit("null")])
            }
            alts.append([.rule(r)])
        }
        return alts.count == 1 ? rule(of: alts[0]) : b.add("type@" + path, alts)
    }

    private func rule(of items: [Item]) -> Int {
        if items.count == 1, case .rule(let r) = items[0] { return r }
        fatalError("rule(of:) expects a single reference")
    }

    private static func lit(_ s: String) -> [Item] { GrammarBuilder.literal(s) }

    private mutating func reference(_ ref: String, path: String) throws(GrammarError) -> Int {
        if let r = refRules[ref] { return r }
        guard ref.hasPrefix("#") else { throw .invalidReference(ref, path: path, "only local references ('#…') are supported") }
        var target = root
        let pointer = String(ref.dropFirst())
        if !pointer.isEmpty {
            guard pointer.hasPrefix("/") else { throw .invalidReference(ref, path: path, "anchors are not supported; use a JSON pointer") }
            for raw in pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
                let token = Self.unescape(raw)
                switch target {
                case .object:
                    guard let next = target[token] else { throw .invalidReference(ref, path: path, "no '\(token)' in the schema") }
                    target = next
                case .array(let list):
                    guard let k = Int(token), k >= 0, k < list.count else { throw .invalidReference(ref, path: path, "no index '\(token)'") }
                    target = list[k]
                default:
                    throw .invalidReference(ref, path: path, "'\(token)' is not inside an object or array")
                }
            }
        }
        let r = b.declare("$ref@" + pointer)
        refRules[ref] = r
        let body = try compile(target, path: pointer)
        b.define(r, [[.rule(body)]])
        return r
    }

    // MARK: - Literals

    private mutating func literals(_ schema: JSONValue, types: Set<String>?, path: String) throws(GrammarError) -> Int {
        var values: [JSONValue] = []
        let keyword: String
        if let c = schema["const"] {
            keyword = "const"
            values = [c]
        } else {
            keyword = "enum"
            guard case .array(let list) = schema["enum"] else { throw .invalidSchema("enum", path: path, "must be an array") }
            values = list
        }
        if let types {
            values = values.filter { v in
                switch v {
                case .null: return types.contains("null")
                case .bool: return types.contains("boolean")
                case .int: return types.contains("integer") || types.contains("number")
                case .double(let d): return types.contains("number") || (types.contains("integer") && d == d.rounded())
                case .string: return types.contains("string")
                case .array: return types.contains("array")
                case .object: return types.contains("object")
                }
            }
        }
        guard !values.isEmpty else { throw .unsatisfiable(keyword, path: path, "no allowed value") }
        var texts = Set<[UInt8]>()
        for v in values {
            guard let text = JSONLiteral.text(v) else { throw .invalidSchema(keyword, path: path, "non-finite number") }
            texts.insert(Array(text.utf8))
        }
        let sorted = texts.sorted { $0.lexicographicallyPrecedes($1) }
        return prefixTree(sorted[...], depth: 0, name: keyword + "@" + path)
    }

    /// A rule matching exactly the byte strings `sorted` (ascending, distinct), shaped as their
    /// prefix tree so that shared prefixes are one path: the matcher stays deterministic however
    /// many values an `enum` lists.
    private mutating func prefixTree(_ sorted: ArraySlice<[UInt8]>, depth: Int, name: String) -> Int {
        var alts: [[Item]] = []
        var i = sorted.startIndex
        while i < sorted.endIndex {
            guard sorted[i].count > depth else {
                alts.append([])  // a value ends here
                i += 1
                continue
            }
            let byte = sorted[i][depth]
            var j = i
            while j < sorted.endIndex, sorted[j].count > depth, sorted[j][depth] == byte { j += 1 }
            let group = sorted[i..<j]
            // Follow the run of bytes every member of the group shares.
            var end = depth + 1
            let first = group[group.startIndex]
            while group.allSatisfy({ $0.count > end }), group.allSatisfy({ $0[end] == first[end] }) { end += 1 }
            var seq: [Item] = Self.literalItems(first[depth..<end])
            if !(group.count == 1 && first.count == end) {
                seq.append(.rule(prefixTree(group, depth: end, name: name)))
            }
            alts.append(seq)
            i = j
        }
        return b.add(name, alts)
    }

    private static func literalItems(_ bytes: ArraySlice<UInt8>) -> [Item] { GrammarBuilder.literal(bytes) }

    // MARK: - Whitespace

    private enum Gap { case inside, afterSeparator }

    private mutating func ws(_ gap: Gap) -> [Item] {
        switch options.whitespace {
        case .none: return []
        case .spaceAfterSeparators:
            guard gap == .afterSeparator else { return [] }
            return [.rule(boundedWhitespace(1, set: ByteSet([0x20])))]
        case .bounded(let n):
            guard n > 0 else { return [] }
            return [.rule(boundedWhitespace(n, set: ByteSet([0x20, 0x09, 0x0A, 0x0D])))]
        }
    }

    private mutating func boundedWhitespace(_ n: Int, set: ByteSet) -> Int {
        if let r = wsRules[n] { return r }
        let r = b.repetition("ws@", [.bytes(set)], min: 0, max: n)
        wsRules[n] = r
        return r
    }

    // MARK: - Any value

    private mutating func anyValue() -> Int {
        if let r = shared["value"] { return r }
        let value = b.declare("value@")
        shared["value"] = value
        let str = plainString()
        let num = numberRule(integerOnly: false)
        let member: [Item] = [.rule(str), .bytes(ByteSet([0x3A]))] + ws(.afterSeparator) + [.rule(value)]
        let object = separatedList("object@", open: 0x7B, close: 0x7D, element: member)
        let array = separatedList("array@", open: 0x5B, close: 0x5D, element: [.rule(value)])
        b.define(value, [[.rule(object)], [.rule(array)], [.rule(str)], [.rule(num)],
                         Self.lit("true"), Self.lit("false"), Self.lit("null")])
        return value
    }

    /// `open (element (, element)*)? close` with the whitespace policy.
    private mutating func separatedList(_ name: String, open: UInt8, close: UInt8, element: [Item]) -> Int {
        let sep: [Item] = ws(.inside) + [.bytes(ByteSet([0x2C]))] + ws(.afterSeparator)
        let rest = b.star(name + ",", sep + element)
        let body = b.add(name + "body", [ws(.inside) + element + [.rule(rest)], []])
        return b.add(name, [[.bytes(ByteSet([open])), .rule(body)] + ws(.inside) + [.bytes(ByteSet([close]))]])
    }

    // MARK: - Objects

    private mutating func object(_ schema: JSONValue, path: String) throws(GrammarError) -> Int {
        var props: [(name: String, schema: JSONValue, path: String)] = []
        if let p = schema["properties"] {
            guard case .object(let pairs) = p else { throw .invalidSchema("properties", path: path, "must be an object") }
            for (k, v) in pairs { props.append((k, v, Self.child(Self.child(path, "properties"), k))) }
        }
        var required = Set<String>()
        if let r = schema["required"] {
            guard case .array(let list) = r else { throw .invalidSchema("required", path: path, "must be an array of names") }
            for v in list {
                guard case .string(let s) = v else { throw .invalidSchema("required", path: path, "must be an array of names") }
                required.insert(s)
                if !props.contains(where: { $0.name == s }) { props.append((s, .bool(true), Self.child(path, "required"))) }
            }
        }
        let additional = schema["additionalProperties"]
        if let additional {
            switch additional {
            case .bool, .object: break
            default: throw .invalidSchema("additionalProperties", path: path, "must be a boolean or a schema")
            }
        }
        if props.isEmpty {
            // No listed properties: a map.
            if additional == .bool(false) {
                return b.add("object@" + path, [Self.lit("{") + ws(.inside) + Self.lit("}")])
            }
            let valueRule: Int
            if let additional, case .object = additional {
                valueRule = try compile(additional, path: Self.child(path, "additionalProperties"))
            } else {
                valueRule = anyValue()
            }
            let member: [Item] = [.rule(plainString())] + ws(.inside) + Self.lit(":") + ws(.afterSeparator) + [.rule(valueRule)]
            return separatedList("object@" + path, open: 0x7B, close: 0x7D, element: member)
        }
        var members: [[Item]] = []
        for p in props {
            let v = try compile(p.schema, path: p.path)
            members.append(Self.lit(JSONLiteral.quoted(p.name)) + ws(.inside) + Self.lit(":") + ws(.afterSeparator) + [.rule(v)])
        }
        // first[i]: members from i on, none emitted yet; rest[i]: some emitted, so each needs a comma.
        let sep: [Item] = ws(.inside) + Self.lit(",") + ws(.afterSeparator)
        let n = props.count
        var first = b.add("properties@" + path, [[]])
        var rest = first
        for i in stride(from: n - 1, through: 0, by: -1) {
            let isRequired = required.contains(props[i].name)
            let newRest = b.add("properties@" + path, isRequired ? [sep + members[i] + [.rule(rest)]]
                                                                : [sep + members[i] + [.rule(rest)], [.rule(rest)]])
            let lead = ws(.inside) + members[i] + [.rule(rest)]
            let newFirst = b.add("properties@" + path, isRequired ? [lead] : [lead, [.rule(first)]])
            rest = newRest
            first = newFirst
        }
        return b.add("object@" + path, [Self.lit("{") + [.rule(first)] + ws(.inside) + Self.lit("}")])
    }

    // MARK: - Arrays

    private func count(_ schema: JSONValue, _ keyword: String, path: String) throws(GrammarError) -> Int? {
        guard let v = schema[keyword] else { return nil }
        switch v {
        case .int(let i) where i >= 0: return Int(min(i, Int64(Int32.max)))
        case .double(let d) where d >= 0 && d == d.rounded() && d < 1e9: return Int(d)
        default: throw .invalidSchema(keyword, path: path, "must be a non-negative integer")
        }
    }

    private mutating func array(_ schema: JSONValue, path: String) throws(GrammarError) -> Int {
        var prefix: [Int] = []
        if let p = schema["prefixItems"] {
            guard case .array(let list) = p else { throw .invalidSchema("prefixItems", path: path, "must be an array of schemas") }
            for (i, s) in list.enumerated() {
                prefix.append(try compile(s, path: Self.child(Self.child(path, "prefixItems"), String(i))))
            }
        }
        var item: Int? = nil  // nil: no items beyond the prefix
        switch schema["items"] {
        case nil, .bool(true)?: item = anyValue()
        case .bool(false)?: item = nil
        case .object?: item = try compile(schema["items"]!, path: Self.child(path, "items"))
        case .array?: throw .unsupportedKeyword("items", path: path, "the array form of items; use prefixItems")
        default: throw .invalidSchema("items", path: path, "must be a schema")
        }
        let minItems = try count(schema, "minItems", path: path) ?? 0
        var maxItems = try count(schema, "maxItems", path: path)
        if item == nil { maxItems = min(maxItems ?? prefix.count, prefix.count) }
        if let maxItems, minItems > maxItems {
            throw .unsatisfiable("minItems", path: path, "minItems \(minItems) exceeds the \(maxItems) items allowed")
        }
        // rest[i]: i items emitted (i >= 1); from `threshold` on the items are uniform.
        let threshold = max(prefix.count, minItems, 1)
        if threshold > 4096 || (maxItems ?? 0) > 4096 + threshold {
            throw .tooLarge(minItems > 4096 ? "minItems" : "maxItems", path: path, "at most 4096 counted items")
        }
        let sep: [Item] = ws(.inside) + Self.lit(",") + ws(.afterSeparator)
        func element(_ i: Int) -> Int { i < prefix.count ? prefix[i] : item! }
        let upper = maxItems ?? Int.max
        var rest: Int
        if let item, upper > threshold {
            if let maxItems {
                rest = b.repetition("items@" + path, sep + [.rule(item)], min: 0, max: maxItems - threshold)
            } else {
                rest = b.star("items@" + path, sep + [.rule(item)])
            }
        } else {
            rest = b.add("items@" + path, [[]])
        }
        for i in stride(from: threshold - 1, through: 1, by: -1) {
            if i >= upper { rest = b.add("items@" + path, [[]]); continue }
            var alts: [[Item]] = [sep + [.rule(element(i)), .rule(rest)]]
            if i >= minItems { alts.append([]) }
            rest = b.add("items@" + path, alts)
        }
        var bodyAlts: [[Item]] = []
        if upper >= 1 { bodyAlts.append(ws(.inside) + [.rule(element(0)), .rule(rest)]) }
        if minItems == 0 { bodyAlts.append([]) }
        let body = b.add("items@" + path, bodyAlts)
        return b.add("array@" + path, [Self.lit("[") + [.rule(body)] + ws(.inside) + Self.lit("]")])
    }

    // MARK: - Strings

    /// One JSON string character: unescaped printable ASCII, a valid UTF-8 sequence, or an escape.
    private mutating func stringChar() -> Int {
        if let r = shared["char"] { return r }
        var plain = ByteSet(0x20...0x7F)
        plain = ByteSet(plain.bytes.filter { $0 != 0x22 && $0 != 0x5C })
        let r = b.add("char@", [[.bytes(plain)], [.rule(nonASCIIChar())], [.rule(escape())]])
        shared["char"] = r
        return r
    }

    /// A valid multi-byte UTF-8 sequence (no surrogates, no overlongs).
    private mutating func nonASCIIChar() -> Int {
        if let r = shared["utf8"] { return r }
        let cont = Item.bytes(ByteSet(0x80...0xBF))
        let r = b.add("utf8@", [
            [.bytes(ByteSet(0xC2...0xDF)), cont],
            [.bytes(ByteSet([0xE0])), .bytes(ByteSet(0xA0...0xBF)), cont],
            [.bytes(ByteSet(Array(0xE1...0xEC) + [0xEE, 0xEF])), cont, cont],
            [.bytes(ByteSet([0xED])), .bytes(ByteSet(0x80...0x9F)), cont],
            [.bytes(ByteSet([0xF0])), .bytes(ByteSet(0x90...0xBF)), cont, cont],
            [.bytes(ByteSet(0xF1...0xF3)), cont, cont, cont],
            [.bytes(ByteSet([0xF4])), .bytes(ByteSet(0x80...0x8F)), cont, cont],
        ])
        shared["utf8"] = r
        return r
    }

    /// `\` followed by a short escape or `uXXXX` outside the surrogate range.
    private mutating func escape() -> Int {
        if let r = shared["escape"] { return r }
        let hex = Item.bytes(ByteSet(Array(0x30...0x39) + Array(0x41...0x46) + Array(0x61...0x66)))
        let r = b.add("escape@", [
            Self.lit("\\") + [.bytes(ByteSet(Array("\"\\/bfnrt".utf8)))],
            Self.lit("\\u") + [.bytes(ByteSet(Array("0123456789ABCabc".utf8))), hex, hex, hex],
            Self.lit("\\u") + [.bytes(ByteSet(Array("Dd".utf8))), .bytes(ByteSet(0x30...0x37)), hex, hex],
            Self.lit("\\u") + [.bytes(ByteSet(Array("EFef".utf8))), hex, hex, hex],
        ])
        shared["escape"] = r
        return r
    }

    private mutating func plainString() -> Int {
        if let r = shared["string"] { return r }
        let chars = b.star("string@", [.rule(stringChar())])
        let r = b.add("string@", [Self.lit("\"") + [.rule(chars)] + Self.lit("\"")])
        shared["string"] = r
        return r
    }

    private static let formats: [String: String] = [
        "date": #"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])"#,
        "time": #"([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"#,
        "date-time": #"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"#,
        "uuid": #"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"#,
        "email": #"[A-Za-z0-9._+-]{1,32}@[A-Za-z0-9-]{1,32}(\.[A-Za-z0-9-]{1,16}){0,3}\.[a-z]{2,6}"#,
        "ipv4": #"((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"#,
    ]

    private mutating func string(_ schema: JSONValue, path: String) throws(GrammarError) -> Int {
        let minLength = try count(schema, "minLength", path: path) ?? 0
        let maxLength = try count(schema, "maxLength", path: path)
        if let maxLength, minLength > maxLength {
            throw .unsatisfiable("minLength", path: path, "minLength \(minLength) exceeds maxLength \(maxLength)")
        }
        var pattern: (String, String)? = nil
        if let p = schema["pattern"] {
            guard case .string(let s) = p else { throw .invalidSchema("pattern", path: path, "must be a string") }
            pattern = (s, Self.child(path, "pattern"))
        } else if case .string(let f)? = schema["format"], let p = Self.formats[f],
                  schema["minLength"] == nil, schema["maxLength"] == nil {
            pattern = (p, Self.child(path, "format"))
        }
        if let (source, patternPath) = pattern {
            if schema["minLength"] != nil || schema["maxLength"] != nil {
                throw .unsupportedKeyword(schema["minLength"] != nil ? "minLength" : "maxLength", path: path,
                                          "length limits together with a pattern")
            }
            var parser = RegexParser(source, path: patternPath)
            let node = try parser.parse()
            let content = try regex(node, name: "pattern@" + patternPath)
            return b.add("string@" + path, [Self.lit("\"") + content + Self.lit("\"")])
        }
        if minLength == 0 && maxLength == nil { return plainString() }
        if minLength > 100_000 || (maxLength ?? 0) > 100_000 {
            throw .tooLarge(minLength > 100_000 ? "minLength" : "maxLength", path: path, "at most 100000 characters")
        }
        let chars = b.repetition("string@" + path, [.rule(stringChar())], min: minLength, max: maxLength)
        return b.add("string@" + path, [Self.lit("\"") + [.rule(chars)] + Self.lit("\"")])
    }

    /// Items matching the JSON-encoded form of the strings `node` matches.
    private mutating func regex(_ node: RegexNode, name: String) throws(GrammarError) -> [Item] {
        switch node {
        case .scalar(let s):
            return Self.lit(String(JSONLiteral.quoted(String(Character(s))).dropFirst().dropLast()))
        case .set(let set):
            var alts: [[Item]] = []
            var plain = ByteSet()
            for c in 0..<128 where set.ascii[c] {
                if c >= 0x20, c != 0x22, c != 0x5C { plain.insert(UInt8(c)); continue }
                switch c {
                case 0x22: alts.append(Self.lit("\\\""))
                case 0x5C: alts.append(Self.lit("\\\\"))
                case 0x09: alts.append(Self.lit("\\t"))
                case 0x0A: alts.append(Self.lit("\\n"))
                case 0x0D: alts.append(Self.lit("\\r"))
                case 0x0C: alts.append(Self.lit("\\f"))
                default: break  // other control characters are never produced
                }
            }
            if !plain.isEmpty { alts.insert([.bytes(plain)], at: 0) }
            for s in set.nonASCII { alts.append(Self.lit(String(Character(s)))) }
            if set.anyNonASCII && !set.excludesSomeNonASCII { alts.append([.rule(nonASCIIChar())]) }
            if alts.isEmpty { throw .invalidPattern("", path: Self.split(name).1, "a character class that produces nothing") }
            if alts.count == 1 { return alts[0] }
            return [.rule(b.add(name, alts))]
        case .concat(let list):
            var items: [Item] = []
            for n in list { items += try regex(n, name: name) }
            return items
        case .alternation(let list):
            var alts: [[Item]] = []
            for n in list { alts.append(try regex(n, name: name)) }
            return [.rule(b.add(name, alts))]
        case .repetition(let inner, let lo, let hi):
            let item = try regex(inner, name: name)
            return [.rule(b.repetition(name, item, min: lo, max: hi))]
        }
    }

    // MARK: - Numbers

    private static func pow10(_ n: Int) -> Int64 {
        var v: Int64 = 1
        for _ in 0..<n { v *= 10 }
        return v
    }

    /// `-?(0|[1-9][0-9]{0,d-1})`, plus a fraction and exponent unless `integerOnly`.
    private mutating func numberRule(integerOnly: Bool) -> Int {
        let key = integerOnly ? "integer" : "number"
        if let r = shared[key] { return r }
        let digit = Item.bytes(ByteSet(0x30...0x39))
        let more = b.repetition(key + "@digits", [digit], min: 0, max: options.maxIntegerDigits - 1)
        let magnitude = b.add(key + "@", [Self.lit("0"), [.bytes(ByteSet(0x31...0x39)), .rule(more)]])
        let sign = b.add(key + "@sign", [Self.lit("-"), []])
        var seq: [Item] = [.rule(sign), .rule(magnitude)]
        if !integerOnly {
            let fractionDigits = b.repetition(key + "@fraction", [digit], min: 1, max: options.maxFractionDigits)
            let fraction = b.add(key + "@fraction", [Self.lit(".") + [.rule(fractionDigits)], []])
            let expDigits = b.repetition(key + "@exponent", [digit], min: 1, max: 2)
            let exponent = b.add(key + "@exponent", [[.bytes(ByteSet(Array("eE".utf8))), .bytes(ByteSet(Array("+-".utf8))), .rule(expDigits)],
                                                      [.bytes(ByteSet(Array("eE".utf8))), .rule(expDigits)], []])
            seq += [.rule(fraction), .rule(exponent)]
        }
        let r = b.add(key + "@", [seq])
        shared[key] = r
        return r
    }

    /// The numeric bound `keyword`, if present.
    private func bound(_ schema: JSONValue, _ keyword: String, path: String) throws(GrammarError) -> Double? {
        guard let v = schema[keyword] else { return nil }
        switch v {
        case .int(let i): return Double(i)
        case .double(let d) where d.isFinite: return d
        case .bool: throw .unsupportedKeyword(keyword, path: path, "the draft-4 boolean form; use a number")
        default: throw .invalidSchema(keyword, path: path, "must be a number")
        }
    }

    /// The integer range the numeric keywords allow, or `nil` when none is present.
    private func integerRange(_ schema: JSONValue, path: String) throws(GrammarError) -> (Int64, Int64)? {
        let minimum = try bound(schema, "minimum", path: path)
        let maximum = try bound(schema, "maximum", path: path)
        let exclusiveMinimum = try bound(schema, "exclusiveMinimum", path: path)
        let exclusiveMaximum = try bound(schema, "exclusiveMaximum", path: path)
        if minimum == nil, maximum == nil, exclusiveMinimum == nil, exclusiveMaximum == nil { return nil }
        let limit = Double(Self.pow10(18))
        var lo = -Double.infinity
        var hi = Double.infinity
        if let minimum { lo = max(lo, minimum.rounded(.up)) }
        if let exclusiveMinimum { lo = max(lo, exclusiveMinimum.rounded(.down) + 1) }
        if let maximum { hi = min(hi, maximum.rounded(.down)) }
        if let exclusiveMaximum { hi = min(hi, exclusiveMaximum.rounded(.up) - 1) }
        if lo.isFinite, abs(lo) >= limit { throw .tooLarge("minimum", path: path, "bounds must stay below 10^18") }
        if hi.isFinite, abs(hi) >= limit { throw .tooLarge("maximum", path: path, "bounds must stay below 10^18") }
        let cap = Self.pow10(options.maxIntegerDigits) - 1
        let l = lo.isFinite ? Int64(lo) : min(-cap, hi.isFinite ? Int64(hi) : -cap)
        let h = hi.isFinite ? Int64(hi) : max(cap, l)
        guard l <= h else {
            throw .unsatisfiable(minimum != nil ? "minimum" : "exclusiveMinimum", path: path, "no integer lies in the range")
        }
        return (l, h)
    }

    private mutating func integer(_ schema: JSONValue, path: String) throws(GrammarError) -> Int {
        guard let (lo, hi) = try integerRange(schema, path: path) else { return numberRule(integerOnly: true) }
        return integerRangeRule(lo, hi, path: path)
    }

    private mutating func number(_ schema: JSONValue, path: String) throws(GrammarError) -> Int {
        guard let (lo, hi) = try integerRange(schema, path: path) else { return numberRule(integerOnly: false) }
        return integerRangeRule(lo, hi, path: path)
    }

    /// Decimal integers in `lo...hi`, without leading zeros.
    private mutating func integerRangeRule(_ lo: Int64, _ hi: Int64, path: String) -> Int {
        var alts: [[Item]] = []
        if lo < 0 {
            let a = hi < 0 ? -hi : 1
            for alt in Self.nonNegative(a, -lo) { alts.append(Self.lit("-") + alt) }
        }
        if hi >= 0 {
            alts += Self.nonNegative(max(lo, 0), hi)
        }
        return b.add("minimum@" + path, alts)
    }

    private static func nonNegative(_ lo: Int64, _ hi: Int64) -> [[Item]] {
        var alts: [[Item]] = []
        let loDigits = String(lo).count
        let hiDigits = String(hi).count
        for len in loDigits...hiDigits {
            let a = max(lo, len == 1 ? 0 : pow10(len - 1))
            let b = min(hi, pow10(len) - 1)
            if a > b { continue }
            alts += sameLength(Array(String(a).utf8), Array(String(b).utf8))
        }
        return alts
    }

    /// Digit strings of one length between `a` and `b` inclusive.
    private static func sameLength(_ a: [UInt8], _ b: [UInt8]) -> [[Item]] {
        if a.isEmpty { return [[]] }
        if a.count == 1 { return [[.bytes(ByteSet(a[0]...b[0]))]] }
        let ta = Array(a.dropFirst())
        let tb = Array(b.dropFirst())
        if a[0] == b[0] { return sameLength(ta, tb).map { [.bytes(ByteSet([a[0]]))] + $0 } }
        let nines = [UInt8](repeating: 0x39, count: ta.count)
        let zeros = [UInt8](repeating: 0x30, count: ta.count)
        let anyDigits = [Item](repeating: .bytes(ByteSet(0x30...0x39)), count: ta.count)
        var alts: [[Item]] = []
        var midLo = a[0]
        var midHi = b[0]
        if ta != zeros {
            alts += sameLength(ta, nines).map { [.bytes(ByteSet([a[0]]))] + $0 }
            midLo += 1
        }
        if tb != nines {
            alts += sameLength(zeros, tb).map { [.bytes(ByteSet([b[0]]))] + $0 }
            midHi -= 1
        }
        if midLo <= midHi { alts.append([.bytes(ByteSet(midLo...midHi))] + anyDigits) }
        return alts
    }
}
