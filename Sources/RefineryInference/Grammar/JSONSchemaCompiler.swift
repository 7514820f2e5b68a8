import RefineryCore

/// One schema of a conjunction — the schemas a value must satisfy together — with the JSON
/// pointer it was found at (for errors).
struct SchemaPart {
    var schema: JSONValue
    var path: String
}

/// Compiles a JSON schema (see ``JSONSchemaGrammar`` for what is enforced) into grammar rules.
///
/// A value's constraints are gathered as a *conjunction*: the schema itself, what its `$ref` and
/// `allOf` point to, and the negations `not` and `oneOf` call for. Alternatives (`anyOf`,
/// `oneOf`, `if`/`then`/`else`, `dependentSchemas`) are distributed over the conjunction, one
/// branch at a time; the keywords of each resulting combination are merged (types intersected,
/// bounds tightened, properties and patterns combined) and compiled once. Conjunctions are
/// memoized by their content, which is also what makes recursive `$ref`s finite.
struct JSONSchemaCompiler {
    typealias Item = GrammarBuilder.Item
    /// The ways a conjunction may be satisfied: each alternative is more schemas to conjoin.
    typealias Choice = [[SchemaPart]]

    let root: JSONValue
    let options: JSONSchemaGrammar.Options
    var b: GrammarBuilder
    /// What the grammar leaves out of the schema's language, with the reason (see
    /// ``JSONSchemaGrammar/omissions``).
    var omissions: [GrammarError] = []
    private var conjunctionRules: [String: Int] = [:]
    private var failedConjunctions: [String: GrammarError] = [:]
    private var conjunctionCount = 0
    var shared: [String: Int] = [:]
    private var wsRules: [Int: Int] = [:]
    let check: JSONSchemaInstanceCheck
    let negation: JSONSchemaComplement

    /// The most distinct conjunctions (combinations of branches) one schema may compile to.
    static let maxConjunctions = 20_000
    /// The most combinations one object's (or value's) branches are explored to; beyond them the
    /// remaining branches are left out (a sound narrowing, listed in the omissions).
    static let maxLeavesPerDistribution = 512
    /// The combinations each distribution in progress may still compile, innermost last.
    private var leafBudgets: [Int] = []

    init(root: JSONValue, options: JSONSchemaGrammar.Options, builder: GrammarBuilder = GrammarBuilder()) {
        self.root = root
        self.b = builder
        self.options = options
        self.check = JSONSchemaInstanceCheck(root: root)
        self.negation = JSONSchemaComplement(root: root)
    }

    // MARK: - Entry

    /// The rule matching documents of the root schema, added to the builder.
    mutating func compileRoot() throws(GrammarError) -> Int { try compile([SchemaPart(schema: root, path: "")]) }

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
            return .invalidReference("$ref", path: path, "it refers to itself without producing any output")
        case .unproductive(let name):
            let (_, path) = split(name)
            return .unsatisfiable("$ref", path: path, "every value would be infinitely deep")
        case .undefined(let name):
            let (keyword, path) = split(name)
            return .invalidSchema(keyword, path: path, "rule never defined")
        case .tooLarge:
            return .tooLarge("schema", path: "", "the compiled grammar is too large")
        }
    }

    /// Rule names are `keyword@path` so build failures can be reported against the schema.
    static func split(_ name: String) -> (String, String) {
        guard let at = name.firstIndex(of: "@") else { return (name, "") }
        return (String(name[..<at]), String(name[name.index(after: at)...]))
    }

    static func child(_ path: String, _ token: String) -> String { path + "/" + JSONSchemaReferences.escape(token) }

    /// Records a part of the schema the grammar leaves out.
    mutating func omit(_ error: GrammarError) {
        if !omissions.contains(error) { omissions.append(error) }
    }

    // MARK: - Conjunctions

    /// The content key of a list of schemas (annotations were already stripped).
    static func key(_ parts: [SchemaPart]) -> String {
        parts.map { $0.schema.serialized() }.joined(separator: "\u{1}")
    }

    /// A rule matching the values that satisfy every schema of `parts` and one alternative of
    /// each of `pending`.
    mutating func compile(_ parts: [SchemaPart], choices pending: [Choice] = [], distributing: Bool = false) throws(GrammarError) -> Int {
        let (flat, found) = try expand(parts)
        var choices = pending
        var choiceKeys = Set(choices.map { $0.map(Self.key).joined(separator: "\u{3}") })
        for c in found where choiceKeys.insert(c.map(Self.key).joined(separator: "\u{3}")).inserted { choices.append(c) }
        let key = Self.key(flat) + "\u{2}" + choices.map { $0.map(Self.key).joined(separator: "\u{3}") }.joined(separator: "\u{4}")
        if let r = conjunctionRules[key] { return r }
        if let e = failedConjunctions[key] { throw e }
        let path = parts.first?.path ?? ""
        if let (keyword, where_, reason) = Self.contradiction(flat) {
            let error = GrammarError.unsatisfiable(keyword, path: where_, reason)
            failedConjunctions[key] = error
            throw error
        }
        let opensDistribution = !distributing && !choices.isEmpty
        if opensDistribution { leafBudgets.append(Self.maxLeavesPerDistribution) }
        if distributing && choices.isEmpty && !leafBudgets.isEmpty { leafBudgets[leafBudgets.count - 1] -= 1 }
        conjunctionCount += 1
        guard conjunctionCount <= Self.maxConjunctions else {
            throw .tooLarge("anyOf", path: path, "the combinations of anyOf, oneOf, if and dependentSchemas branches exceed \(Self.maxConjunctions)")
        }
        let r = b.declare("schema@" + path)
        conjunctionRules[key] = r
        do throws(GrammarError) {
            if let first = choices.first {
                let rest = Array(choices.dropFirst())
                var alternatives: [[Item]] = []
                var errors: [GrammarError] = []
                for alternative in first {
                    if let budget = leafBudgets.last, budget <= 0 {
                        errors.append(.tooLarge("anyOf", path: path, "more than \(Self.maxLeavesPerDistribution) combinations of anyOf, oneOf, if and dependentSchemas branches; the others are left out"))
                        break
                    }
                    do throws(GrammarError) {
                        alternatives.append([.rule(try compile(flat + alternative, choices: rest, distributing: true))])
                    } catch {
                        errors.append(error)
                    }
                }
                guard !alternatives.isEmpty else { throw errors.first { !$0.isUnsatisfiable } ?? errors[0] }
                for e in errors where !e.isUnsatisfiable { omit(e) }
                b.define(r, alternatives)
            } else {
                b.define(r, [[.rule(try compileMerged(flat, path: path))]])
            }
            if opensDistribution { leafBudgets.removeLast() }
            return r
        } catch {
            if opensDistribution { leafBudgets.removeLast() }
            b.define(r, [])
            conjunctionRules[key] = nil
            failedConjunctions[key] = error
            throw error
        }
    }

    /// A contradiction visible without compiling `flat`: no common type, or a property some
    /// schema requires that another forbids or that no listed value can fill. It prunes the
    /// combinations of branches early (discriminated `if`/`then` chains, `oneOf`s).
    static func contradiction(_ flat: [SchemaPart]) -> (String, String, String)? {
        var types: Set<String>? = nil
        for p in flat {
            guard let t = p.schema["type"] else { continue }
            let set = Set(t.stringValue.map { [$0] } ?? (t.arrayValue ?? []).compactMap(\.stringValue))
            let merged = types.map { intersectTypes($0, set) } ?? set
            if merged.isEmpty { return ("type", p.path, "the schemas that apply together have no type in common") }
            types = merged
        }
        var required = Set<String>()
        for p in flat {
            for v in p.schema["required"]?.arrayValue ?? [] { if case .string(let name) = v { required.insert(name) } }
        }
        for name in required {
            if let found = requiredContradiction(name, flat) { return found }
        }
        return nil
    }

    /// Why required property `name` cannot be present under every schema of `flat`, if visible.
    private static func requiredContradiction(_ name: String, _ flat: [SchemaPart]) -> (String, String, String)? {
        var values: [JSONValue]? = nil
        var excluded: [JSONValue] = []
        for p in flat {
            let property = p.schema["properties"]?[name]
            if property == .bool(false) {
                return ("false", child(child(p.path, "properties"), name), "property '\(name)' is required but this schema forbids it")
            }
            if property == nil, p.schema["additionalProperties"] == .bool(false), p.schema["patternProperties"] == nil {
                return ("false", child(p.path, "additionalProperties"), "property '\(name)' is required but this schema forbids it")
            }
            guard let s = property else { continue }
            if let c = s["const"] {
                values = intersection(values, [c])
            } else if case .array(let list)? = s["enum"] {
                values = intersection(values, list)
            }
            if case .array(let list)? = s[JSONSchemaComplement.excludedValuesKeyword] { excluded += list }
        }
        guard let values else { return nil }
        for v in values where !contains(excluded, v) { return nil }
        return ("required", flat[0].path, "no value of required property '\(name)' satisfies every schema that applies")
    }

    private static func contains(_ list: [JSONValue], _ value: JSONValue) -> Bool {
        for item in list where JSONSchemaValidator.equal(item, value) { return true }
        return false
    }

    private static func intersection(_ current: [JSONValue]?, _ list: [JSONValue]) -> [JSONValue] {
        guard let current else { return list }
        var out: [JSONValue] = []
        for v in current where contains(list, v) { out.append(v) }
        return out
    }

    /// Splits `parts` into schemas without combinators (annotations dropped, `$ref` and `allOf`
    /// inlined, `not` negated) and the choices their `anyOf`, `oneOf`, `if` and
    /// `dependentSchemas` keywords open.
    mutating func expand(_ parts: [SchemaPart]) throws(GrammarError) -> (flat: [SchemaPart], choices: [Choice]) {
        var flat: [SchemaPart] = []
        var seen = Set<String>()
        var choices: [Choice] = []
        var work: [(part: SchemaPart, visiting: Set<String>)] = parts.map { ($0, []) }
        var i = 0
        while i < work.count {
            let (part, visiting) = work[i]
            i += 1
            let path = part.path
            let schema = part.schema
            let pairs: [(key: String, value: JSONValue)]
            switch schema {
            case .bool(true): continue
            case .bool(false): throw .unsatisfiable("false", path: path, "the schema 'false' accepts nothing")
            case .object(let p): pairs = p
            default: throw .invalidSchema("schema", path: path, "a schema must be an object or a boolean")
            }
            try JSONSchemaVocabulary.check(pairs, path: path)
            var residual: [(key: String, value: JSONValue)] = []
            for (key, value) in pairs {
                switch key {
                case "$ref", "$recursiveRef", "$dynamicRef":
                    guard case .string(let ref) = value else { throw .invalidSchema(key, path: path, "must be a string") }
                    let (target, targetPath) = try JSONSchemaReferences.resolve(ref, in: root, path: path)
                    guard !visiting.contains(targetPath) else {
                        throw .invalidReference(ref, path: path, "it refers to itself without producing any output")
                    }
                    work.append((SchemaPart(schema: target, path: targetPath), visiting.union([targetPath])))
                case "allOf":
                    guard case .array(let list) = value else { throw .invalidSchema(key, path: path, "must be an array of schemas") }
                    for (k, s) in list.enumerated() {
                        work.append((SchemaPart(schema: s, path: Self.child(Self.child(path, key), String(k))), visiting))
                    }
                case "anyOf":
                    guard case .array(let list) = value, !list.isEmpty else {
                        throw .invalidSchema(key, path: path, "must be a non-empty array of schemas")
                    }
                    choices.append(list.enumerated().map { [SchemaPart(schema: $1, path: Self.child(Self.child(path, key), String($0)))] })
                case "oneOf":
                    guard case .array(let list) = value, !list.isEmpty else {
                        throw .invalidSchema(key, path: path, "must be a non-empty array of schemas")
                    }
                    choices.append(try exclusiveBranches(list, path: Self.child(path, key)))
                case "if":
                    let then = schema["then"]
                    let otherwise = schema["else"]
                    guard then != nil || otherwise != nil else { continue }
                    var alternatives: Choice = [[SchemaPart(schema: value, path: Self.child(path, "if")),
                                                 SchemaPart(schema: then ?? true, path: Self.child(path, "then"))]]
                    if let notIf = negation.complement(of: value, path: Self.child(path, "if")) {
                        alternatives.append([SchemaPart(schema: notIf, path: Self.child(path, "if")),
                                             SchemaPart(schema: otherwise ?? true, path: Self.child(path, "else"))])
                    } else {
                        omit(.unsupportedKeyword("if", path: path, "values failing 'if' cannot be described, so only the 'then' case is generated"))
                    }
                    choices.append(alternatives)
                case "then", "else":
                    continue
                case "not":
                    guard let c = negation.complement(of: value, path: Self.child(path, key)) else {
                        throw .unsupportedKeyword("not", path: path, "this schema has no negation a grammar can express")
                    }
                    work.append((SchemaPart(schema: c, path: Self.child(path, key)), visiting))
                case "dependentSchemas", "dependencies":
                    guard case .object(let rules) = value else { throw .invalidSchema(key, path: path, "must be an object") }
                    for (trigger, rule) in rules {
                        if key == "dependencies", case .array = rule { continue }  // names: kept for the object compiler
                        let rulePath = Self.child(Self.child(path, key), trigger)
                        choices.append([
                            [SchemaPart(schema: .object([("properties", .object([(trigger, .bool(false))]))]), path: rulePath)],
                            [SchemaPart(schema: .object([("required", .array([.string(trigger)]))]), path: rulePath),
                             SchemaPart(schema: rule, path: rulePath)],
                        ])
                    }
                    if key == "dependencies" {
                        // The lists of names stay for the object compiler; the schemas became choices.
                        let names = rules.filter { if case .array = $0.value { return true } else { return false } }
                        if !names.isEmpty { residual.append((key, .object(names))) }
                    }
                default:
                    if JSONSchemaVocabulary.constraining.contains(key) || key == JSONSchemaComplement.excludedValuesKeyword {
                        residual.append((key, value))
                    }
                }
            }
            guard !residual.isEmpty else { continue }
            let stripped = SchemaPart(schema: .object(residual), path: path)
            if seen.insert(stripped.schema.serialized()).inserted { flat.append(stripped) }
        }
        return (flat, choices)
    }

    /// The alternatives of a `oneOf`: each branch together with the negation of every other
    /// branch it may overlap with. A branch whose overlap cannot be negated is left out.
    mutating func exclusiveBranches(_ list: [JSONValue], path: String) throws(GrammarError) -> Choice {
        let branches = list.enumerated().map { SchemaPart(schema: $1, path: Self.child(path, String($0))) }
        if branches.count == 1 { return [[branches[0]]] }
        var alternatives: Choice = []
        var firstFailure: String? = nil
        for (k, branch) in branches.enumerated() {
            var alternative = [branch]
            var possible = true
            for (j, other) in branches.enumerated() where j != k {
                if negation.provablyDisjoint(branch.schema, other.schema) { continue }
                guard let c = negation.complement(of: other.schema, path: other.path) else {
                    possible = false
                    firstFailure = firstFailure ?? "branch \(k) may also match branch \(j), which cannot be negated"
                    break
                }
                alternative.append(SchemaPart(schema: c, path: other.path))
            }
            if possible { alternatives.append(alternative) } else {
                omit(.unsupportedKeyword("oneOf", path: branch.path, "this branch is left out: it may overlap another branch that cannot be negated"))
            }
        }
        guard !alternatives.isEmpty else {
            throw .unsupportedKeyword("oneOf", path: String(path.dropLast("/oneOf".count)), firstFailure ?? "its branches cannot be told apart")
        }
        return alternatives
    }

    // MARK: - Merged keywords

    /// The type names `value` (a `type` keyword) lists.
    static func typeSet(_ value: JSONValue, path: String) throws(GrammarError) -> Set<String> {
        var types: [String]
        switch value {
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
        if let bad = types.first(where: { !JSONSchemaVocabulary.typeNames.contains($0) }) {
            throw .invalidSchema("type", path: path, "unknown type '\(bad)'")
        }
        return Set(types)
    }

    /// Values of both type sets ("integer" is part of "number").
    static func intersectTypes(_ a: Set<String>, _ b: Set<String>) -> Set<String> {
        var out = a.intersection(b)
        if (a.contains("integer") && b.contains("number")) || (a.contains("number") && b.contains("integer")) { out.insert("integer") }
        return out
    }

    /// A rule matching the values that satisfy every schema of `flat` (no combinators left).
    mutating func compileMerged(_ flat: [SchemaPart], path: String) throws(GrammarError) -> Int {
        if flat.isEmpty { return anyValue() }
        var types: Set<String>? = nil
        var typePath = path
        for p in flat {
            guard let t = p.schema["type"] else { continue }
            let set = try Self.typeSet(t, path: p.path)
            types = types.map { Self.intersectTypes($0, set) } ?? set
            typePath = p.path
        }
        if let types, types.isEmpty {
            throw .unsatisfiable("type", path: typePath, "the schemas that apply together have no type in common")
        }
        if flat.contains(where: { $0.schema["const"] != nil || $0.schema["enum"] != nil }) { return try literals(flat, path: path) }
        var kinds: [String]
        if let types {
            kinds = JSONSchemaVocabulary.typeNames.filter { types.contains($0) && !($0 == "integer" && types.contains("number")) }
        } else {
            // Without `type`, the keywords present decide (a sound narrowing: other types would be valid too).
            var keys = Set<String>()
            for p in flat { if case .object(let pairs) = p.schema { keys.formUnion(pairs.map(\.key)) } }
            kinds = []
            if !keys.isDisjoint(with: JSONSchemaVocabulary.objectKeywords) { kinds.append("object") }
            if !keys.isDisjoint(with: JSONSchemaVocabulary.arrayKeywords) { kinds.append("array") }
            let knownFormat = flat.contains { $0.schema["format"]?.stringValue.map { JSONSchemaFormats.patterns[$0] != nil } ?? false }
            if !keys.isDisjoint(with: JSONSchemaVocabulary.stringKeywords) || knownFormat
                || keys.contains(JSONSchemaComplement.excludedValuesKeyword) { kinds.append("string") }
            if !keys.isDisjoint(with: JSONSchemaVocabulary.numberKeywords) { kinds.append("number") }
            if kinds.isEmpty { return anyValue() }
        }
        var alternatives: [[Item]] = []
        var errors: [GrammarError] = []
        for kind in kinds {
            do throws(GrammarError) {
                let r: Int
                switch kind {
                case "object": r = try object(flat, path: path)
                case "array": r = try array(flat, path: path)
                case "string": r = try string(flat, path: path)
                case "integer": r = try number(flat, integerOnly: true, path: path)
                case "number": r = try number(flat, integerOnly: false, path: path)
                case "boolean": r = b.add("boolean@" + path, [Self.lit("true"), Self.lit("false")])
                default: r = b.add("null@" + path, [Self.lit("null")])
                }
                alternatives.append([.rule(r)])
            } catch {
                errors.append(error)
            }
        }
        guard !alternatives.isEmpty else { throw errors.first { !$0.isUnsatisfiable } ?? errors[0] }
        for e in errors where !e.isUnsatisfiable { omit(e) }
        if alternatives.count == 1, case .rule(let r) = alternatives[0][0] { return r }
        return b.add("type@" + path, alternatives)
    }

    static func lit(_ s: String) -> [Item] { GrammarBuilder.literal(s) }

    /// The `enum`/`const` values every schema of `flat` accepts (JSON Schema equality), or `nil`
    /// when none lists values.
    func literalValues(_ flat: [SchemaPart]) throws(GrammarError) -> (values: [JSONValue], keyword: String, path: String)? {
        var candidates: [JSONValue]? = nil
        var keyword = "enum"
        var literalPath = ""
        for p in flat {
            let list: [JSONValue]
            if let c = p.schema["const"] {
                list = [c]
                keyword = "const"
            } else if let e = p.schema["enum"] {
                guard case .array(let values) = e else { throw .invalidSchema("enum", path: p.path, "must be an array") }
                list = values
                keyword = "enum"
            } else {
                continue
            }
            literalPath = p.path
            candidates = candidates.map { $0.filter { v in list.contains { JSONSchemaValidator.equal(v, $0) } } } ?? list
        }
        guard var values = candidates else { return nil }
        var kept: [JSONValue] = []
        for v in values where !kept.contains(where: { JSONSchemaValidator.equal($0, v) }) {
            var ok = true
            for p in flat where try !check.isValid(v, p.schema, path: p.path) { ok = false; break }
            if ok { kept.append(v) }
        }
        values = kept
        return (values, keyword, literalPath)
    }

    // MARK: - Literals

    /// The `enum`/`const` values that satisfy every schema of `flat`, as a prefix tree.
    mutating func literals(_ flat: [SchemaPart], path: String) throws(GrammarError) -> Int {
        guard let (values, keyword, literalPath) = try literalValues(flat) else { return anyValue() }
        guard !values.isEmpty else {
            throw .unsatisfiable(keyword, path: literalPath, "no listed value satisfies the other keywords that apply")
        }
        return try literalRule(values, keyword: keyword, path: literalPath)
    }

    /// A rule matching exactly the compact JSON texts of `values`.
    mutating func literalRule(_ values: [JSONValue], keyword: String, path: String) throws(GrammarError) -> Int {
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
    mutating func prefixTree(_ sorted: ArraySlice<[UInt8]>, depth: Int, name: String) -> Int {
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

    static func literalItems(_ bytes: ArraySlice<UInt8>) -> [Item] { GrammarBuilder.literal(bytes) }

    // MARK: - Whitespace

    enum Gap { case inside, afterSeparator }

    mutating func ws(_ gap: Gap) -> [Item] {
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

    mutating func boundedWhitespace(_ n: Int, set: ByteSet) -> Int {
        if let r = wsRules[n] { return r }
        let r = b.repetition("ws@", [.bytes(set)], min: 0, max: n)
        wsRules[n] = r
        return r
    }

    // MARK: - Any value

    mutating func anyValue() -> Int {
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
    mutating func separatedList(_ name: String, open: UInt8, close: UInt8, element: [Item]) -> Int {
        let sep: [Item] = ws(.inside) + [.bytes(ByteSet([0x2C]))] + ws(.afterSeparator)
        let rest = b.star(name + ",", sep + element)
        let body = b.add(name + "body", [ws(.inside) + element + [.rule(rest)], []])
        return b.add(name, [[.bytes(ByteSet([open])), .rule(body)] + ws(.inside) + [.bytes(ByteSet([close]))]])
    }

    // MARK: - Strings

    /// One JSON string character: unescaped printable ASCII, a valid UTF-8 sequence, or an escape.
    mutating func stringChar() -> Int {
        if let r = shared["char"] { return r }
        var plain = ByteSet(0x20...0x7F)
        plain = ByteSet(plain.bytes.filter { $0 != 0x22 && $0 != 0x5C })
        let r = b.add("char@", [[.bytes(plain)], [.rule(nonASCIIChar())], [.rule(escape())]])
        shared["char"] = r
        return r
    }

    /// A valid multi-byte UTF-8 sequence (no surrogates, no overlongs).
    mutating func nonASCIIChar() -> Int {
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
    mutating func escape() -> Int {
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

    /// Any string, quotes included.
    mutating func plainString() -> Int {
        if let r = shared["string"] { return r }
        let r = b.add("string@", [Self.lit("\"") + [.rule(plainContent())] + Self.lit("\"")])
        shared["string"] = r
        return r
    }

    /// Any string's content (between the quotes).
    mutating func plainContent() -> Int {
        if let r = shared["content"] { return r }
        let r = b.star("string@", [.rule(stringChar())])
        shared["content"] = r
        return r
    }

    /// A rule matching the strings every schema of `flat` accepts: lengths, patterns, known
    /// formats and excluded values combined.
    mutating func string(_ flat: [SchemaPart], path: String) throws(GrammarError) -> Int {
        var constraint = StringConstraint()
        for p in flat { try constraint.add(p) }
        let content = try stringContent(constraint, path: path)
        return b.add("string@" + path, [Self.lit("\"") + content + Self.lit("\"")])
    }

    /// The string keywords of a conjunction, merged.
    struct StringConstraint {
        var minLength = 0
        var maxLength: Int? = nil
        var lengthPath = ""
        /// Patterns (and formats as patterns) with the path of the keyword.
        var patterns: [(source: String, path: String)] = []
        var excluded: [String] = []

        mutating func add(_ part: SchemaPart) throws(GrammarError) {
            let s = part.schema
            if let v = try JSONSchemaCompiler.count(s, "minLength", path: part.path), v > minLength {
                minLength = v
                lengthPath = part.path
            }
            if let v = try JSONSchemaCompiler.count(s, "maxLength", path: part.path), v < (maxLength ?? .max) {
                maxLength = v
                lengthPath = part.path
            }
            if let p = s["pattern"] {
                guard case .string(let source) = p else { throw .invalidSchema("pattern", path: part.path, "must be a string") }
                patterns.append((source, JSONSchemaCompiler.child(part.path, "pattern")))
            }
            if case .string(let f)? = s["format"], let source = JSONSchemaFormats.patterns[f] {
                patterns.append((source, JSONSchemaCompiler.child(part.path, "format")))
            }
            if case .array(let list)? = s[JSONSchemaComplement.excludedValuesKeyword] { excluded += list.compactMap(\.stringValue) }
        }
    }

    /// Items matching the JSON-encoded content (between the quotes) of the strings `constraint`
    /// allows.
    mutating func stringContent(_ constraint: StringConstraint, path: String) throws(GrammarError) -> [Item] {
        let minLength = constraint.minLength
        let maxLength = constraint.maxLength
        let lengthPath = constraint.lengthPath.isEmpty ? path : constraint.lengthPath
        if let maxLength, minLength > maxLength {
            throw .unsatisfiable("minLength", path: lengthPath, "minLength \(minLength) exceeds maxLength \(maxLength)")
        }
        if minLength > 100_000 || (maxLength ?? 0) > 100_000 {
            throw .tooLarge(minLength > 100_000 ? "minLength" : "maxLength", path: lengthPath, "at most 100000 characters")
        }
        if constraint.patterns.isEmpty && constraint.excluded.isEmpty {
            if minLength == 0 && maxLength == nil { return [.rule(plainContent())] }
            return [.rule(b.repetition("string@" + path, [.rule(stringChar())], min: minLength, max: maxLength))]
        }
        if constraint.patterns.count == 1 && constraint.excluded.isEmpty {
            // One pattern whose own lengths already keep within the limits: its tree, directly.
            let (source, patternPath) = constraint.patterns[0]
            var parser = RegexParser(source, path: patternPath)
            let node = try parser.parse()
            let anyBefore = parser.anchoredAtEnd && !parser.anchoredAtStart
            let anyAfter = parser.anchoredAtStart && !parser.anchoredAtEnd
            let range = node.lengthRange
            let fits = range.min >= minLength
                && (maxLength == nil || (!anyBefore && !anyAfter && range.max != nil && range.max! <= maxLength!))
            if fits {
                let name = "pattern@" + patternPath
                var items = try regex(node, name: name)
                if anyBefore { items = [.rule(plainContent())] + items }
                if anyAfter { items += [.rule(plainContent())] }
                return items
            }
        }
        // Several patterns are intersected exactly (as searches); one alone is matched whole.
        var language = StringLanguage()
        let reading: RegexAutomaton.Reading = constraint.patterns.count > 1 ? .search : .generation
        for (source, patternPath) in constraint.patterns {
            language.automata.append(try RegexAutomaton(pattern: source, path: patternPath, reading: reading))
        }
        language.minLength = minLength
        language.maxLength = maxLength
        language.excluded = constraint.excluded
        let keyword = constraint.patterns.isEmpty ? "maxLength" : "pattern"
        let keywordPath = constraint.patterns.first?.path ?? lengthPath
        guard let automaton = try language.automaton(keyword: keyword, path: keywordPath) else {
            throw .unsatisfiable(keyword, path: keywordPath, "no string satisfies the patterns, formats and lengths that apply together")
        }
        return [.rule(try automatonRule(automaton, name: "pattern@" + keywordPath))]
    }

    /// The rule of a determinized string automaton's start state (one rule per state).
    mutating func automatonRule(_ automaton: StringLanguage.Automaton, name: String) throws(GrammarError) -> Int {
        var characters: [[[Item]]] = []
        for moves in automaton.moves {
            var row: [[Item]] = []
            for move in moves { row.append(try regex(.set(move.characters), name: name)) }
            characters.append(row)
        }
        let rules = automaton.moves.indices.map { _ in b.declare(name) }
        for (s, moves) in automaton.moves.enumerated() {
            var alternatives: [[Item]] = []
            for (k, move) in moves.enumerated() { alternatives.append(characters[s][k] + [.rule(rules[move.target])]) }
            if automaton.accepting[s] { alternatives.append([]) }
            b.define(rules[s], alternatives)
        }
        return rules[0]
    }

    /// Items matching the JSON-encoded form of the strings `node` matches.
    mutating func regex(_ node: RegexNode, name: String) throws(GrammarError) -> [Item] {
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

    static func pow10(_ n: Int) -> Int64 {
        var v: Int64 = 1
        for _ in 0..<n { v *= 10 }
        return v
    }

    /// `-?(0|[1-9][0-9]{0,d-1})`, plus a fraction and exponent unless `integerOnly`.
    mutating func numberRule(integerOnly: Bool) -> Int {
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

    /// The non-negative integer `keyword` (a count: `minLength`, `maxItems`, …), if present.
    static func count(_ schema: JSONValue, _ keyword: String, path: String) throws(GrammarError) -> Int? {
        guard let v = schema[keyword] else { return nil }
        switch v {
        case .int(let i) where i >= 0: return Int(min(i, Int64(Int32.max)))
        case .double(let d) where d >= 0 && d == d.rounded() && d < 1e9: return Int(d)
        default: throw .invalidSchema(keyword, path: path, "must be a non-negative integer")
        }
    }

    /// The number `keyword`, if present (`nil` too for the draft-4 boolean `exclusiveMinimum`/`exclusiveMaximum`).
    static func bound(_ schema: JSONValue, _ keyword: String, path: String) throws(GrammarError) -> Double? {
        guard let v = schema[keyword] else { return nil }
        switch v {
        case .int(let i): return Double(i)
        case .double(let d) where d.isFinite: return d
        case .bool where keyword.hasPrefix("exclusive"): return nil
        default: throw .invalidSchema(keyword, path: path, "must be a number")
        }
    }

    /// A rule matching the numbers every schema of `flat` accepts. Bounds or `multipleOf` make
    /// the output integers (a sound narrowing for `number`).
    mutating func number(_ flat: [SchemaPart], integerOnly: Bool, path: String) throws(GrammarError) -> Int {
        var lo = -Double.infinity
        var hi = Double.infinity
        var bounded = false
        var multiple: Int64 = 1
        var multiplePath = path
        for p in flat {
            let s = p.schema
            if let m = try Self.bound(s, "minimum", path: p.path) {
                lo = max(lo, s["exclusiveMinimum"] == .bool(true) ? m.rounded(.down) + 1 : m.rounded(.up))
                bounded = true
            }
            if let m = try Self.bound(s, "exclusiveMinimum", path: p.path) { lo = max(lo, m.rounded(.down) + 1); bounded = true }
            if let m = try Self.bound(s, "maximum", path: p.path) {
                hi = min(hi, s["exclusiveMaximum"] == .bool(true) ? m.rounded(.up) - 1 : m.rounded(.down))
                bounded = true
            }
            if let m = try Self.bound(s, "exclusiveMaximum", path: p.path) { hi = min(hi, m.rounded(.up) - 1); bounded = true }
            if let m = s["multipleOf"] {
                guard let d = JSONSchemaInstanceCheck.number(m), d > 0 else {
                    throw .invalidSchema("multipleOf", path: p.path, "must be a positive number")
                }
                var factor: Int64
                if d == d.rounded(), d < 1e9 {
                    factor = Int64(d)
                } else if (1 / d) == (1 / d).rounded(), (1 / d) <= 1_048_576, Int64(1 / d).nonzeroBitCount == 1 {
                    factor = 1  // 1/2^k: every integer is a multiple, exactly in binary floating point
                } else {
                    throw .unsupportedKeyword("multipleOf", path: p.path, "only integer steps (or 1/2^k) can be generated exactly")
                }
                let g = Self.gcd(multiple, factor)
                let (product, overflow) = (multiple / g).multipliedReportingOverflow(by: factor)
                guard !overflow, product < 1_000_000_000 else { throw .tooLarge("multipleOf", path: p.path, "the combined step is too large") }
                multiple = product
                multiplePath = p.path
                bounded = true
            }
        }
        guard bounded else { return numberRule(integerOnly: integerOnly) }
        let limit = Double(Self.pow10(18))
        if lo.isFinite, abs(lo) >= limit { throw .tooLarge("minimum", path: path, "bounds must stay below 10^18") }
        if hi.isFinite, abs(hi) >= limit { throw .tooLarge("maximum", path: path, "bounds must stay below 10^18") }
        guard lo <= hi else { throw .unsatisfiable("minimum", path: path, "no integer lies in the range") }
        if multiple > 1 {
            // The multiples nearest zero within the bounds, at most 4096 of them (a sound narrowing
            // when the bounds leave more).
            let m = Double(multiple)
            var first = lo.isFinite ? (lo / m).rounded(.up) : -Double.infinity
            var last = hi.isFinite ? (hi / m).rounded(.down) : Double.infinity
            if !first.isFinite && !last.isFinite {
                first = 0
                last = 4095
            } else if !last.isFinite {
                last = first + 4095
            } else if !first.isFinite {
                first = last - 4095
            }
            last = min(last, first + 4095)
            guard first <= last else { throw .unsatisfiable("multipleOf", path: multiplePath, "no multiple lies in the range") }
            let values = stride(from: Int64(first), through: Int64(last), by: 1).map { JSONValue.int($0 * multiple) }
            return try literalRule(values, keyword: "multipleOf", path: multiplePath)
        }
        if !lo.isFinite && !hi.isFinite { return numberRule(integerOnly: true) }
        let cap = Self.pow10(options.maxIntegerDigits) - 1
        let l = lo.isFinite ? Int64(lo) : min(-cap, hi.isFinite ? Int64(hi) : -cap)
        let h = hi.isFinite ? Int64(hi) : max(cap, l)
        return integerRangeRule(l, h, path: path)
    }

    static func gcd(_ a: Int64, _ b: Int64) -> Int64 { b == 0 ? a : gcd(b, a % b) }

    /// Decimal integers in `lo...hi`, without leading zeros.
    mutating func integerRangeRule(_ lo: Int64, _ hi: Int64, path: String) -> Int {
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

    static func nonNegative(_ lo: Int64, _ hi: Int64) -> [[Item]] {
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
    static func sameLength(_ a: [UInt8], _ b: [UInt8]) -> [[Item]] {
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
