import RefineryCore
import Foundation
import RefineryInference
import Testing

/// Random schemas from the supported subset, with satisfiable constraints by construction.
struct RandomSchemaGenerator {
    var rng: GrammarRNG
    var defs: [(key: String, value: JSONValue)] = []

    static let names = ["id", "name", "a", "b c", "é", "k\"q", "x/y", "tags", "value", "n", "~t"]
    static let patterns = [
        "[a-z]{1,8}", "^[A-Z][a-z]{0,5}$", "\\d{3}-\\d{4}", "(cat|dog)s?", "[^\"\\\\]{0,4}x", "\\w+@\\w+\\.com",
        "[0-9a-f]{2,4}", "(ab|c)*d", "\\s?\\S{1,3}", "[-+]?\\d+(\\.\\d{1,2})?", "é[à-ä]+", "(?:x|yz){0,3}!",
    ]

    init(seed: UInt64) { rng = GrammarRNG(seed: seed) }

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }

    /// A whole document schema (root `$defs` attached when references were made).
    mutating func document() -> JSONValue {
        defs = []
        if chance(0.05) { return Self.tree }
        let body = schema(depth: 3)
        guard !defs.isEmpty, case .object(var pairs) = body else { return body }
        pairs.append(("$defs", .object(defs)))
        return .object(pairs)
    }

    static let tree: JSONValue = [
        "$defs": ["node": ["type": "object",
                           "properties": ["v": ["type": "integer", "minimum": 0, "maximum": 9],
                                          "kids": ["type": "array", "items": ["$ref": "#/$defs/node"], "maxItems": 2]],
                           "required": ["v"]]],
        "$ref": "#/$defs/node",
    ]

    enum Kind: CaseIterable { case string, integer, number, boolean, null, object, array, enumeration, constant, anyOf, oneOf, typeList, ref, any }

    mutating func schema(depth: Int) -> JSONValue {
        let primitive: [Kind] = [.string, .integer, .number, .boolean, .null, .enumeration, .constant]
        let kinds: [Kind] = depth <= 0 ? primitive : Kind.allCases + [.object, .object, .array, .string]
        return schema(kinds[int(0...(kinds.count - 1))], depth: depth)
    }

    mutating func schema(_ kind: Kind, depth: Int) -> JSONValue {
        switch kind {
        case .string:
            switch int(0...4) {
            case 0: return ["type": "string"]
            case 1:
                let lo = int(0...3)
                return ["type": "string", "minLength": .int(Int64(lo)), "maxLength": .int(Int64(lo + int(0...6)))]
            case 2: return ["type": "string", "pattern": .string(Self.patterns[int(0...(Self.patterns.count - 1))])]
            case 3: return ["type": "string", "format": .string(["date", "uuid", "date-time", "email", "ipv4", "time"][int(0...5)])]
            default: return ["type": "string", "maxLength": .int(Int64(int(0...3)))]
            }
        case .integer:
            let lo = Int64(int(-300...300))
            switch int(0...4) {
            case 0: return ["type": "integer"]
            case 1: return ["type": "integer", "minimum": .int(lo)]
            case 2: return ["type": "integer", "maximum": .int(lo)]
            case 3: return ["type": "integer", "minimum": .int(lo), "maximum": .int(lo + Int64(int(0...5000)))]
            default: return ["type": "integer", "exclusiveMinimum": .int(lo), "exclusiveMaximum": .int(lo + Int64(int(2...40)))]
            }
        case .number:
            return chance(0.7) ? ["type": "number"] : ["type": "number", "minimum": -2.5, "maximum": .double(Double(int(0...100)) + 0.5)]
        case .boolean: return ["type": "boolean"]
        case .null: return ["type": "null"]
        case .enumeration:
            let pool: [JSONValue] = ["red", "a\"b", "日本", 1, -7, 2.5, true, false, .null, ["k": [1, 2]], ["x", 0]]
            var values: [JSONValue] = []
            for _ in 0..<int(1...4) {
                let v = pool[int(0...(pool.count - 1))]
                if !values.contains(v) { values.append(v) }
            }
            return ["enum": .array(values)]
        case .constant:
            return ["const": [JSONValue.string("c\\d"), 42, ["on": true]][int(0...2)]]
        case .object:
            switch int(0...5) {
            case 0: return ["type": "object"]
            case 1: return ["type": "object", "additionalProperties": schema(depth: depth - 1)]
            default:
                var props: [(key: String, value: JSONValue)] = []
                var required: [JSONValue] = []
                for name in Self.names.shuffled(using: &rng).prefix(int(0...4)) {
                    props.append((name, schema(depth: depth - 1)))
                    if chance(0.5) { required.append(.string(name)) }
                }
                var s: [(key: String, value: JSONValue)] = [("type", "object"), ("properties", .object(props))]
                if !required.isEmpty { s.append(("required", .array(required))) }
                switch int(0...2) {
                case 0: s.append(("additionalProperties", false))
                case 1: s.append(("additionalProperties", true))
                default: break
                }
                return .object(s)
            }
        case .array:
            if chance(0.3) {
                var prefix: [JSONValue] = []
                for _ in 0..<int(1...3) { prefix.append(schema(depth: depth - 1)) }
                var s: [(key: String, value: JSONValue)] = [("type", "array"), ("prefixItems", .array(prefix))]
                switch int(0...2) {
                case 0: s.append(("items", false))
                case 1: s.append(("items", schema(depth: depth - 1)))
                default: break
                }
                if chance(0.5) { s.append(("minItems", .int(Int64(int(0...prefix.count))))) }
                return .object(s)
            }
            var s: [(key: String, value: JSONValue)] = [("type", "array"), ("items", schema(depth: depth - 1))]
            let lo = int(0...2)
            if chance(0.5) { s.append(("minItems", .int(Int64(lo)))) }
            if chance(0.5) { s.append(("maxItems", .int(Int64(lo + int(0...3))))) }
            return .object(s)
        case .anyOf, .oneOf:
            // Disjoint branches, so oneOf's "exactly one" holds too.
            let families: [Kind] = [.string, .integer, .boolean, .null, .object, .array].shuffled(using: &rng)
            var branches: [JSONValue] = []
            for f in families.prefix(int(2...3)) {
                var b = schema(f, depth: depth - 1)
                if f == .object, case .object(var pairs) = b, b["properties"] == nil {
                    pairs = [("type", "object"), ("additionalProperties", ["type": "integer"])]
                    b = .object(pairs)
                }
                branches.append(b)
            }
            return .object([(kind == .anyOf ? "anyOf" : "oneOf", .array(branches))])
        case .typeList:
            switch int(0...2) {
            case 0: return ["type": ["string", "null"], "maxLength": .int(Int64(int(0...4)))]
            case 1: return ["type": ["integer", "boolean"], "minimum": 0, "maximum": 10]
            default: return ["type": ["array", "null"], "items": schema(depth: depth - 1), "maxItems": 2]
            }
        case .ref:
            let name = "d\(defs.count)"
            let slot = defs.count
            defs.append((name, true))  // reserve the name before nested references take theirs
            defs[slot].value = schema(depth: depth - 1)
            return ["$ref": .string("#/$defs/\(name)"), "description": "annotations next to $ref are ignored"]
        case .any:
            return chance(0.5) ? true : ["description": "anything"]
        }
    }
}

@Suite("Grammar property tests")
struct GrammarPropertyTests {
    /// At least 300 schemas; `REFINERY_GRAMMAR_SCHEMAS` and `REFINERY_GRAMMAR_SEED` widen the search.
    static let schemaCount = max(320, Int(ProcessInfo.processInfo.environment["REFINERY_GRAMMAR_SCHEMAS"] ?? "") ?? 0)
    static let seed = UInt64(ProcessInfo.processInfo.environment["REFINERY_GRAMMAR_SEED"] ?? "") ?? 0x5EED_7

    /// A random token-level walk: random allowed tokens under a budget until end of generation.
    static func tokenWalk(_ g: JSONSchemaGrammar, _ builder: TokenMaskBuilder, eog: Int, rng: inout GrammarRNG) -> (text: [UInt8], ok: Bool) {
        var m = g.makeMatcher()
        var remaining = m.minimumBytesToComplete + 1 + Int.random(in: 0...80, using: &rng)
        var out: [UInt8] = []
        while remaining > 0 {
            let allowed = builder.mask(for: m, budgetTokens: remaining).allowedTokens
            if allowed.isEmpty { return (out, false) }
            if allowed.contains(eog), allowed.count == 1 || Double.random(in: 0..<1, using: &rng) < 0.4 { return (out, true) }
            let choices = allowed.filter { $0 != eog }
            let t = choices[Int.random(in: 0..<choices.count, using: &rng)]
            guard builder.accept(token: t, into: &m) else { return (out, false) }
            out += builder.vocabulary[t]
            remaining -= 1
        }
        return (out, m.isComplete)  // the budget is spent: the cap stops generation, the document must be whole
    }

    /// A random byte-level walk using `canAccept`/`allowedBytes` and the completion distance.
    static func byteWalk(_ g: JSONSchemaGrammar, rng: inout GrammarRNG) -> (text: [UInt8], ok: Bool) {
        var m = g.makeMatcher()
        var remaining = m.minimumBytesToComplete + Int.random(in: 0...60, using: &rng)
        var out: [UInt8] = []
        while true {
            if m.isComplete, !m.canContinue || Double.random(in: 0..<1, using: &rng) < 0.3 { return (out, true) }
            let bytes = m.allowedBytes.bytes
            var chosen: GrammarMatcher? = nil
            for attempt in 0..<(8 + bytes.count) {
                let b = attempt < 8 ? bytes[Int.random(in: 0..<bytes.count, using: &rng)] : bytes[attempt - 8]
                guard m.canAccept(b) else { return (out, false) }
                var next = m
                guard next.accept(byte: b) else { return (out, false) }
                if next.minimumBytesToComplete <= remaining - 1 { chosen = next; out.append(b); break }
            }
            guard let next = chosen else { return (out, m.isComplete) }
            m = next
            remaining -= 1
        }
    }

    @Test("random schemas: random walks yield documents that parse and validate; forbidden edits are rejected")
    func randomSchemas() throws {
        let (vocab, eog) = testVocabulary()
        let builder = TokenMaskBuilder(vocabulary: vocab, eogTokens: [eog])
        var gen = RandomSchemaGenerator(seed: Self.seed)
        var rng = GrammarRNG(seed: Self.seed &+ 42)
        var cases: [String] = []
        var rejectedMutations = 0
        for index in 0..<Self.schemaCount {
            let schema = gen.document()
            let schemaText = testJSONText(schema)
            let g: JSONSchemaGrammar
            do { g = try JSONSchemaGrammar(schema: schema) } catch {
                Issue.record("schema \(index) failed to compile: \(error)\n\(schemaText)")
                continue
            }
            let validator = TestSchemaValidator(root: schema)
            for walk in 0..<2 {
                let (bytes, ok) = walk == 0 ? Self.tokenWalk(g, builder, eog: eog, rng: &rng) : Self.byteWalk(g, rng: &rng)
                let text = String(decoding: bytes, as: UTF8.self)
                #expect(ok, "schema \(index) walk \(walk) did not complete within its budget: \(text)\n\(schemaText)")
                guard ok else { continue }
                let value = TestJSONParser.parse(bytes)
                #expect(value != nil, "schema \(index): output does not parse: \(text)\n\(schemaText)")
                guard let value else { continue }
                #expect(validator.validate(value), "schema \(index): output does not validate: \(text)\n\(schemaText)")
                cases.append(testJSONText(["schema": schema, "document": .string(text)]))
                // Edits the validator calls invalid must be rejected by the matcher.
                for _ in 0..<3 {
                    var mutated = bytes
                    let pool = Array("{}[]\",:0-a .e\\".utf8)
                    let pos = Int.random(in: 0...mutated.count, using: &rng)
                    switch Int.random(in: 0...2, using: &rng) {
                    case 0 where pos < mutated.count: mutated.remove(at: pos)
                    case 1: mutated.insert(pool[Int.random(in: 0..<pool.count, using: &rng)], at: pos)
                    default: if pos < mutated.count { mutated[pos] = pool[Int.random(in: 0..<pool.count, using: &rng)] }
                    }
                    guard mutated != bytes else { continue }
                    let valid = TestJSONParser.parse(mutated).map { validator.validate($0) } ?? false
                    if !valid {
                        var m = g.makeMatcher()
                        let accepted = m.accept(bytes: mutated) && m.isComplete
                        #expect(!accepted, "schema \(index): invalid edit accepted: \(String(decoding: mutated, as: UTF8.self))\n\(schemaText)")
                        rejectedMutations += 1
                    }
                }
            }
        }
        print("grammar property test: \(Self.schemaCount) schemas, \(cases.count) documents validated, \(rejectedMutations) invalid edits rejected")
        #expect(cases.count >= 2 * Self.schemaCount * 9 / 10)
        try crossCheckWithPython(cases)
    }

    /// Validates every generated document with Python's `jsonschema`, when available.
    func crossCheckWithPython(_ cases: [String]) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let script = root.appendingPathComponent("scripts/reference/validate_jsonschema.py")
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("refinery-grammar-\(UUID().uuidString).jsonl")
        try cases.joined(separator: "\n").appending("\n").write(to: input, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: input) }
        let python = ProcessInfo.processInfo.environment["REFINERY_PYTHON"] ?? "python3"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, script.path, input.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        let errorFile = input.appendingPathExtension("stderr")
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errorFile) }
        process.standardError = try FileHandle(forWritingTo: errorFile)
        do { try process.run() } catch {
            print("skipping the jsonschema cross-check: cannot run \(python): \(error)")
            return
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errorText = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
        if process.terminationStatus == 3 || process.terminationStatus == 127 {
            print("skipping the jsonschema cross-check: \(python) is missing or lacks the jsonschema module (set REFINERY_PYTHON)")
            return
        }
        let result = try #require(TestJSONParser.parse(Array(data)), "validator output: \(String(decoding: data, as: UTF8.self)) \(errorText.suffix(2000))")
        #expect(result["checked"] == .int(Int64(cases.count)))
        let failures = result["failures"]?.arrayValue ?? []
        for f in failures.prefix(10) {
            if case .int(let line)? = f["line"] { Issue.record("jsonschema rejects: \(f["error"]?.stringValue ?? "") — \(cases[Int(line)])") }
        }
        #expect(failures.isEmpty)
        print("jsonschema cross-check: \(cases.count) documents, \(failures.count) failures")
    }
}
