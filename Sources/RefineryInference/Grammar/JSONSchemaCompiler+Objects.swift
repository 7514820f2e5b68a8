import RefineryCore

extension JSONSchemaCompiler {
    /// The object keywords of one schema of a conjunction: what it says about each key.
    struct ObjectView {
        var path: String
        var properties: [(key: String, value: JSONValue)] = []
        var patterns: [(source: String, schema: JSONValue, path: String, search: RegexAutomaton)] = []
        /// `additionalProperties`, when present.
        var additional: JSONValue? = nil

        func property(_ name: String) -> JSONValue? { properties.first { $0.key == name }?.value }
    }

    /// The object keywords of a conjunction, merged.
    struct ObjectConstraint {
        var views: [ObjectView] = []
        var required: [String] = []
        var propertyNames: [SchemaPart] = []
        var minProperties = 0
        var maxProperties: Int? = nil
        var dependencies: [(trigger: String, names: [String], path: String)] = []
        var unevaluated: [SchemaPart] = []

        init(_ flat: [SchemaPart]) throws(GrammarError) {
            for p in flat {
                let s = p.schema
                var view = ObjectView(path: p.path)
                if let v = s["properties"] {
                    guard case .object(let pairs) = v else { throw .invalidSchema("properties", path: p.path, "must be an object") }
                    view.properties = pairs
                }
                if let v = s["patternProperties"] {
                    guard case .object(let pairs) = v else { throw .invalidSchema("patternProperties", path: p.path, "must be an object") }
                    for (source, schema) in pairs {
                        let where_ = JSONSchemaCompiler.child(JSONSchemaCompiler.child(p.path, "patternProperties"), source)
                        do throws(GrammarError) {
                            view.patterns.append((source, schema, where_, try RegexAutomaton(pattern: source, path: where_, reading: .search)))
                        } catch {
                            // A regex outside the subset matters only when its schema constrains something.
                            if !Self.acceptsAnything(schema) { throw error }
                        }
                    }
                }
                if let v = s["additionalProperties"] {
                    switch v {
                    case .bool, .object: view.additional = v
                    default: throw .invalidSchema("additionalProperties", path: p.path, "must be a boolean or a schema")
                    }
                }
                if let r = s["required"] {
                    guard case .array(let list) = r else { throw .invalidSchema("required", path: p.path, "must be an array of names") }
                    for v in list {
                        guard case .string(let name) = v else { throw .invalidSchema("required", path: p.path, "must be an array of names") }
                        if !required.contains(name) { required.append(name) }
                    }
                }
                if let n = s["propertyNames"] {
                    propertyNames.append(SchemaPart(schema: n, path: JSONSchemaCompiler.child(p.path, "propertyNames")))
                }
                if let m = try JSONSchemaCompiler.count(s, "minProperties", path: p.path) { minProperties = max(minProperties, m) }
                if let m = try JSONSchemaCompiler.count(s, "maxProperties", path: p.path) { maxProperties = min(maxProperties ?? m, m) }
                for keyword in ["dependentRequired", "dependencies"] {
                    guard let rules = s[keyword] else { continue }
                    guard case .object(let pairs) = rules else { throw .invalidSchema(keyword, path: p.path, "must be an object") }
                    for (trigger, value) in pairs {
                        guard case .array(let list) = value else {
                            if keyword == "dependentRequired" {
                                throw .invalidSchema(keyword, path: p.path, "must map names to arrays of names")
                            }
                            continue  // a schema: handled as a choice when the conjunction was expanded
                        }
                        let names = list.compactMap(\.stringValue)
                        dependencies.append((trigger, names, JSONSchemaCompiler.child(JSONSchemaCompiler.child(p.path, keyword), trigger)))
                    }
                }
                if let u = s["unevaluatedProperties"] {
                    unevaluated.append(SchemaPart(schema: u, path: JSONSchemaCompiler.child(p.path, "unevaluatedProperties")))
                }
                views.append(view)
            }
        }

        /// Whether `schema` has no constraining keyword (`true`, `{}`, annotations only).
        static func acceptsAnything(_ schema: JSONValue) -> Bool {
            switch schema {
            case .bool(let b): return b
            case .object(let pairs): return !pairs.contains { JSONSchemaVocabulary.constraining.contains($0.key) }
            default: return false
            }
        }

        /// Names the schemas list (`properties` in order of appearance, then `required`).
        var listed: [String] {
            var out: [String] = []
            for v in views { for (name, _) in v.properties where !out.contains(name) { out.append(name) } }
            for name in required where !out.contains(name) { out.append(name) }
            return out
        }

        /// The schemas the value of key `name` must satisfy.
        func valueParts(_ name: String) -> [SchemaPart] {
            var parts: [SchemaPart] = []
            var evaluated = false
            for v in views {
                // `properties` and every matching `patternProperties` apply together;
                // `additionalProperties` only when neither does.
                var matched = false
                if let s = v.property(name) {
                    parts.append(SchemaPart(schema: s, path: JSONSchemaCompiler.child(JSONSchemaCompiler.child(v.path, "properties"), name)))
                    matched = true
                }
                for pattern in v.patterns where pattern.search.matches(name) {
                    parts.append(SchemaPart(schema: pattern.schema, path: pattern.path))
                    matched = true
                }
                if matched {
                    evaluated = true
                } else if let a = v.additional {
                    parts.append(SchemaPart(schema: a, path: JSONSchemaCompiler.child(v.path, "additionalProperties")))
                    evaluated = true
                }
            }
            if !evaluated { parts += unevaluated }
            return parts
        }
    }

    /// A rule matching the objects every schema of `flat` accepts.
    ///
    /// With named properties (in `properties` or `required`), only those are generated: required
    /// ones always, optional ones when the model chooses, in schema order. Without any, keys are
    /// generated from `patternProperties`/`propertyNames` (or any key, when
    /// `additionalProperties` allows it).
    mutating func object(_ flat: [SchemaPart], path: String) throws(GrammarError) -> Int {
        let constraint = try ObjectConstraint(flat)
        if let maxProperties = constraint.maxProperties, constraint.minProperties > maxProperties {
            throw .unsatisfiable("minProperties", path: path, "minProperties \(constraint.minProperties) exceeds maxProperties \(maxProperties)")
        }
        var listed = constraint.listed
        if listed.isEmpty { return try map(constraint, path: path) }
        for dependency in constraint.dependencies where listed.contains(dependency.trigger) {
            for name in dependency.names where !listed.contains(name) { listed.append(name) }
        }

        // Which names can be generated, and their values.
        var valueRules: [String: Int] = [:]
        var unavailable: [String: GrammarError] = [:]
        for name in listed {
            do throws(GrammarError) {
                for p in constraint.propertyNames where try !check.isValid(.string(name), p.schema, path: p.path) {
                    throw GrammarError.unsatisfiable("propertyNames", path: p.path, "'\(name)' is not an allowed property name")
                }
                valueRules[name] = try compile(constraint.valueParts(name))
            } catch {
                unavailable[name] = error
            }
        }
        var mustEmit = Set<String>()
        for name in constraint.required {
            guard valueRules[name] != nil else {
                throw unavailable[name] ?? .unsatisfiable("required", path: path, "required property '\(name)' cannot be generated")
            }
            mustEmit.insert(name)
        }
        var allowed = Set(listed.filter { valueRules[$0] != nil })
        for name in listed { if let error = unavailable[name], !error.isUnsatisfiable, !mustEmit.contains(name) { omit(error) } }
        // dependentRequired: a generated trigger brings its names (made required), or is dropped.
        var changed = true
        while changed {
            changed = false
            for dependency in constraint.dependencies where allowed.contains(dependency.trigger) {
                if let missing = dependency.names.first(where: { !allowed.contains($0) }) {
                    if mustEmit.contains(dependency.trigger) {
                        throw .unsatisfiable("dependentRequired", path: dependency.path,
                                             "'\(dependency.trigger)' requires '\(missing)', which cannot be generated")
                    }
                    allowed.remove(dependency.trigger)
                    changed = true
                    continue
                }
                for name in dependency.names where !mustEmit.contains(name) {
                    mustEmit.insert(name)
                    changed = true
                }
            }
        }
        // minProperties / maxProperties over the named properties.
        var optional = listed.filter { allowed.contains($0) && !mustEmit.contains($0) }
        if let maxProperties = constraint.maxProperties {
            guard mustEmit.count <= maxProperties else {
                throw .unsatisfiable("maxProperties", path: path, "\(mustEmit.count) properties are required but at most \(maxProperties) are allowed")
            }
            for name in optional.dropFirst(maxProperties - mustEmit.count) { allowed.remove(name) }
            optional = Array(optional.prefix(maxProperties - mustEmit.count))
        }
        if constraint.minProperties > mustEmit.count {
            let needed = constraint.minProperties - mustEmit.count
            guard optional.count >= needed else {
                throw .unsupportedKeyword("minProperties", path: path,
                                          "\(constraint.minProperties) properties are needed but only \(mustEmit.count + optional.count) named ones can be generated")
            }
            for name in optional.prefix(needed) { mustEmit.insert(name) }
        }

        let emitted = listed.filter { allowed.contains($0) }
        var members: [[Item]] = []
        for name in emitted {
            members.append(Self.lit(JSONLiteral.quoted(name)) + ws(.inside) + Self.lit(":") + ws(.afterSeparator) + [.rule(valueRules[name]!)])
        }
        // first[i]: members from i on, none emitted yet; rest[i]: some emitted, so each needs a comma.
        let sep: [Item] = ws(.inside) + Self.lit(",") + ws(.afterSeparator)
        var first = b.add("properties@" + path, [[]])
        var rest = first
        for i in stride(from: emitted.count - 1, through: 0, by: -1) {
            let isRequired = mustEmit.contains(emitted[i])
            let newRest = b.add("properties@" + path, isRequired ? [sep + members[i] + [.rule(rest)]]
                                                                : [sep + members[i] + [.rule(rest)], [.rule(rest)]])
            let lead = ws(.inside) + members[i] + [.rule(rest)]
            let newFirst = b.add("properties@" + path, isRequired ? [lead] : [lead, [.rule(first)]])
            rest = newRest
            first = newFirst
        }
        return b.add("object@" + path, [Self.lit("{") + [.rule(first)] + ws(.inside) + Self.lit("}")])
    }

    /// An object without named properties: keys from the key constraints, values from the
    /// schemas those keys may meet. Each `patternProperties` regex that keys must (or may) match
    /// is a source of keys of its own, so its values meet only the schemas of the patterns that
    /// overlap it. Generated keys are not kept distinct, so at most one is certain to count:
    /// `minProperties` above 1 is refused here.
    private mutating func map(_ constraint: ObjectConstraint, path: String) throws(GrammarError) -> Int {
        // Constraints every key meets: `additionalProperties: false` views (one of their patterns),
        // `propertyNames`, and the `dependentRequired` triggers left out (they would need more keys).
        var common = StringLanguage()
        common.excluded = constraint.dependencies.map(\.trigger)
        var closedViews: [Int] = []
        for (k, v) in constraint.views.enumerated() where v.additional == .bool(false) {
            if v.patterns.isEmpty { return try emptyMap(constraint, path: path) }
            closedViews.append(k)
        }
        var keyLiterals: [String]? = nil
        if !constraint.propertyNames.isEmpty {
            // With alternatives, the first one that compiles decides the names (a sound narrowing).
            var (flat, choices) = try expand(constraint.propertyNames)
            var rounds = 0
            while let first = choices.first {
                rounds += 1
                guard rounds <= 16 else {
                    throw .tooLarge("propertyNames", path: path, "alternatives inside propertyNames nest too deeply")
                }
                let rest = Array(choices.dropFirst())
                var picked: ([SchemaPart], [Choice])? = nil
                var firstError: GrammarError? = nil
                for alternative in first {
                    do throws(GrammarError) {
                        let (more, found) = try expand(flat + alternative)
                        picked = (more, rest + found)
                        break
                    } catch {
                        firstError = firstError ?? error
                    }
                }
                guard let picked else { throw firstError ?? .unsatisfiable("propertyNames", path: path, "no alternative applies") }
                (flat, choices) = picked
            }
            var names = StringConstraint()
            for p in flat {
                if let t = p.schema["type"] {
                    let types = t.stringValue.map { [$0] } ?? (t.arrayValue ?? []).compactMap(\.stringValue)
                    if !types.contains("string") { return try emptyMap(constraint, path: path) }
                }
                try names.add(p)
            }
            if let (values, _, _) = try literalValues(flat) { keyLiterals = values.compactMap(\.stringValue) }
            common.minLength = names.minLength
            common.maxLength = names.maxLength
            let reading: RegexAutomaton.Reading = names.patterns.count > 1 ? .search : .generation
            for (source, patternPath) in names.patterns {
                common.automata.append(try RegexAutomaton(pattern: source, path: patternPath, reading: reading))
            }
            common.excluded += names.excluded
        }
        for k in closedViews.dropFirst() {
            var alternatives: [RegexAutomaton] = []
            for p in constraint.views[k].patterns { alternatives.append(p.search) }
            common.automata.append(.union(alternatives))
        }

        // The sources of keys: the patterns of the first closed view; else every pattern (or, with
        // none, any key) — keys outside every pattern are not generated then, a sound narrowing.
        struct Source { var view: Int?; var pattern: Int?; var automaton: RegexAutomaton? }
        var sources: [Source] = []
        let hasAdditional = constraint.views.contains { $0.additional != nil }
        let closedByUnevaluated = !hasAdditional && constraint.unevaluated.contains { $0.schema == .bool(false) }
        if let k = closedViews.first {
            for (i, p) in constraint.views[k].patterns.enumerated() {
                sources.append(Source(view: k, pattern: i, automaton: try RegexAutomaton(pattern: p.source, path: p.path, reading: .generation)))
            }
        } else {
            for (k, v) in constraint.views.enumerated() {
                for (i, p) in v.patterns.enumerated() {
                    sources.append(Source(view: k, pattern: i, automaton: try RegexAutomaton(pattern: p.source, path: p.path, reading: .generation)))
                }
            }
            if sources.isEmpty {
                if closedByUnevaluated { return try emptyMap(constraint, path: path) }
                sources.append(Source(view: nil, pattern: nil, automaton: nil))
            }
        }

        var members: [[Item]] = []
        for source in sources {
            var language = common
            if let a = source.automaton { language.automata.append(a) }
            // The key.
            let keyRule: Int
            var keyAutomata = language.automata
            if let keyLiterals {
                let kept = keyLiterals.filter { k in
                    let n = k.unicodeScalars.count
                    return n >= language.minLength && n <= (language.maxLength ?? .max) && !language.excluded.contains(k)
                        && language.automata.allSatisfy { $0.matches(k) }
                }
                if kept.isEmpty { continue }
                keyRule = try literalRule(kept.map { .string($0) }, keyword: "propertyNames", path: path)
                var literalAutomata: [RegexAutomaton] = []
                for k in kept {
                    literalAutomata.append(try RegexAutomaton(pattern: "^" + Self.regexEscaped(k) + "$", path: path, reading: .generation))
                }
                keyAutomata = [.union(literalAutomata)]
            } else if language.isUnconstrained {
                keyRule = plainString()
            } else if let automaton = try language.automaton(keyword: "propertyNames", path: path) {
                let content = try automatonRule(automaton, name: "propertyNames@" + path)
                keyRule = b.add("propertyNames@" + path, [Self.lit("\"") + [.rule(content)] + Self.lit("\"")])
            } else {
                continue
            }
            // The value: every pattern such a key may match; `additionalProperties` of the views
            // whose patterns the key may miss.
            var parts: [SchemaPart] = []
            for (k, v) in constraint.views.enumerated() {
                for (i, p) in v.patterns.enumerated() {
                    if source.view == k && source.pattern == i {
                        parts.append(SchemaPart(schema: p.schema, path: p.path))
                        continue
                    }
                    var overlap = language
                    overlap.automata = keyAutomata + [p.search]
                    if try overlap.automaton(keyword: "patternProperties", path: p.path) != nil {
                        parts.append(SchemaPart(schema: p.schema, path: p.path))
                    }
                }
                if let a = v.additional, a != .bool(false), source.view != k {
                    parts.append(SchemaPart(schema: a, path: Self.child(v.path, "additionalProperties")))
                }
            }
            if !hasAdditional && source.pattern == nil { parts += constraint.unevaluated }
            let valueRule: Int
            do throws(GrammarError) {
                valueRule = try compile(parts)
            } catch {
                if !error.isUnsatisfiable { throw error }
                continue
            }
            members.append([.rule(keyRule)] + ws(.inside) + Self.lit(":") + ws(.afterSeparator) + [.rule(valueRule)])
        }
        guard !members.isEmpty else { return try emptyMap(constraint, path: path) }
        if constraint.minProperties > 1 {
            throw .unsupportedKeyword("minProperties", path: path,
                                      "generated property names cannot be kept distinct, so only minProperties 0 or 1 is supported without named properties")
        }
        let maximum = constraint.maxProperties
        if maximum == 0 { return emptyObject(path: path) }
        let member = members.count == 1 ? members[0] : [.rule(b.add("object@" + path, members))]
        let sep: [Item] = ws(.inside) + Self.lit(",") + ws(.afterSeparator)
        let more = maximum.map { b.repetition("object@" + path, sep + member, min: 0, max: $0 - 1) }
            ?? b.star("object@" + path, sep + member)
        var body: [[Item]] = [ws(.inside) + member + [.rule(more)]]
        if constraint.minProperties == 0 { body.append([]) }
        let inner = b.add("object@" + path, body)
        return b.add("object@" + path, [Self.lit("{") + [.rule(inner)] + ws(.inside) + Self.lit("}")])
    }

    /// `{}`, when `minProperties` allows no property.
    private mutating func emptyMap(_ constraint: ObjectConstraint, path: String) throws(GrammarError) -> Int {
        if constraint.minProperties > 0 {
            throw .unsatisfiable("minProperties", path: path, "no property name and value satisfy the schema")
        }
        return emptyObject(path: path)
    }

    /// `{}` only.
    private mutating func emptyObject(path: String) -> Int {
        b.add("object@" + path, [Self.lit("{") + ws(.inside) + Self.lit("}")])
    }

    /// `text` with the regex metacharacters escaped.
    static func regexEscaped(_ text: String) -> String {
        var out = ""
        for s in text.unicodeScalars {
            if "\\^$.|?*+()[]{}/-".unicodeScalars.contains(s) { out += "\\" }
            out.unicodeScalars.append(s)
        }
        return out
    }
}
