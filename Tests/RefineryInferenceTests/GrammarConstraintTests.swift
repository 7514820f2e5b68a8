import RefineryCore
import Foundation
import Testing
import RefineryInference

/// The per-sequence constraint the scheduler runs (mask, draw, advance), on a synthetic
/// vocabulary with random logits: documents complete and validate, generation ends with the
/// document, tool-call triggers switch the constraint on and off.
@Suite("Constrained decoding")
struct GrammarConstraintTests {
    static let extraPieces = ["<tool_call>", "<tool", "_call>", "</tool_call>", "call>{\"", "\n</tool_call>", "Hello", " there",
                              ">\n\n", ">\n<tool_call>", "}\n\n"]

    static func vocabulary() -> (builder: TokenMaskBuilder, tokens: [[UInt8]]) {
        var (tokens, eog) = testVocabulary()
        let eogBytes = tokens.removeLast()
        tokens += extraPieces.map { Array($0.utf8) }
        tokens.append(eogBytes)
        eog = tokens.count - 1
        return (TokenMaskBuilder(vocabulary: tokens, eogTokens: [eog]), tokens)
    }

    /// Draws the highest of random logits (a "model" that ignores the grammar).
    static func draw(_ state: inout ConstrainedDecoding, budget: Int?, rng: inout GrammarRNG, vocabulary: Int) -> Int32 {
        var logits = (0..<(vocabulary + 5)).map { _ in Float.random(in: -4...4, using: &rng) }
        logits.withUnsafeMutableBufferPointer { state.mask($0, budget: budget) }
        var best = 0
        for i in logits.indices where logits[i] > logits[best] { best = i }
        return Int32(best)
    }

    /// Draws (random logits, masked) and advances until the constraint is off or `limit` bytes are
    /// written; returns the bytes.
    static func drawWhileActive(_ state: inout ConstrainedDecoding, rng: inout GrammarRNG, tokens: [[UInt8]], limit: Int) -> [UInt8] {
        var text: [UInt8] = []
        while state.isActive && text.count < limit {
            let token = draw(&state, budget: nil, rng: &rng, vocabulary: tokens.count)
            text += tokens[Int(token)]
            _ = state.advance(token)
        }
        return text
    }

    @Test("whole mode: every draw stays in the grammar, and the step that completes the document ends generation")
    func wholeDocuments() throws {
        let (builder, tokens) = Self.vocabulary()
        let eog = Int32(tokens.count - 1)
        let schema = try #require(TestJSONParser.parse(#"{"type":"object","properties":{"name":{"type":"string","maxLength":12},"tags":{"type":"array","items":{"enum":["a","b"]},"maxItems":3},"ok":{"type":"boolean"}},"required":["name","tags","ok"]}"#))
        let grammar = try JSONSchemaGrammar(schema: schema)
        var rng = GrammarRNG(seed: 7)
        for _ in 0..<40 {
            var state = ConstrainedDecoding(GrammarConstraint(grammar: grammar.grammar, masks: builder))
            var bytes: [UInt8] = []
            var finished = false
            for _ in 0..<400 {
                let token = Self.draw(&state, budget: nil, rng: &rng, vocabulary: tokens.count)
                #expect(token != eog, "the document cannot grow once closed, so it ends by itself")
                bytes += tokens[Int(token)]
                if state.advance(token) == .finished { finished = true; break }
            }
            #expect(finished)
            let value = try #require(TestJSONParser.parse(bytes), "\(String(decoding: bytes, as: UTF8.self))")
            #expect(TestSchemaValidator(root: schema).validate(value))
            #expect(state.completedDocuments == 1 && state.elapsed > .zero)
        }
    }

    @Test("whole mode with a budget: the document closes within the tokens left")
    func budget() throws {
        let (builder, tokens) = Self.vocabulary()
        let schema = try #require(TestJSONParser.parse(#"{"type":"object","properties":{"text":{"type":"string"},"n":{"type":"array","items":{"type":"integer"}}},"required":["text","n"]}"#))
        let grammar = try JSONSchemaGrammar(schema: schema)
        var rng = GrammarRNG(seed: 11)
        for cap in [16, 20, 32] {
            var state = ConstrainedDecoding(GrammarConstraint(grammar: grammar.grammar, masks: builder))
            var bytes: [UInt8] = []
            var used = 0
            var finished = false
            while used < cap {
                let token = Self.draw(&state, budget: cap - used, rng: &rng, vocabulary: tokens.count)
                used += 1
                bytes += tokens[Int(token)]
                if state.advance(token) == .finished { finished = true; break }
            }
            #expect(finished, "cap \(cap): \(String(decoding: bytes, as: UTF8.self))")
            #expect(TestJSONParser.parse(bytes).map { TestSchemaValidator(root: schema).validate($0) } == true)
        }
    }

    @Test("triggered mode: free text, a call after each opening (split over tokens or not), free text again")
    func triggered() throws {
        let (builder, tokens) = Self.vocabulary()
        func id(_ s: String) -> Int32 { Int32(tokens.firstIndex(of: Array(s.utf8))!) }
        let callSchema = try #require(TestJSONParser.parse(#"{"type":"object","properties":{"name":{"const":"get"},"arguments":{"type":"object","properties":{"q":{"type":"string","maxLength":5}},"required":["q"]}},"required":["name","arguments"]}"#))
        let tagged = try TaggedJSONGrammar(schema: callSchema, opening: "<tool_call>\n", closing: "\n</tool_call>")
        #expect(tagged.trigger == Array("<tool_call>".utf8) && !tagged.openingInDocument)
        let constraint = GrammarConstraint.triggered(by: .init(opening: tagged.trigger, grammar: tagged.grammar), masks: builder, startsActive: false)
        var state = ConstrainedDecoding(constraint)
        var rng = GrammarRNG(seed: 3)
        var text: [UInt8] = []
        func free(_ pieces: [String]) {
            for p in pieces {
                #expect(!state.isActive)
                #expect(state.advance(id(p)) == .proceed)
                text += Array(p.utf8)
            }
        }
        func constrainedUntilFree() {
            var steps = 0
            while state.isActive && steps < 300 {
                // The open-ended mask allows exactly the tokens the split accepts.
                if let matcher = state.matcher {
                    let mask = builder.mask(for: matcher, openEnded: true)
                    for t in tokens.indices {
                        var m = matcher
                        #expect(mask.isAllowed(t) == (builder.split(token: t, into: &m) != nil), "token \(t) after \(String(decoding: text, as: UTF8.self))")
                    }
                }
                let token = Self.draw(&state, budget: nil, rng: &rng, vocabulary: tokens.count)
                text += tokens[Int(token)]
                #expect(state.advance(token) == .proceed)
                steps += 1
            }
            #expect(!state.isActive)
        }
        free(["Hello", " there", "<tool_call>"])
        #expect(state.isActive)
        constrainedUntilFree()
        free(["Hello", "<tool", "_call>"])  // the opening split over two tokens
        #expect(state.isActive)
        constrainedUntilFree()
        // The opening inside a token that carries the document's first bytes too.
        free(["<tool", "_"])
        #expect(state.advance(id("call>{\"")) == .proceed && state.isActive)
        text += Array("call>{\"".utf8)
        constrainedUntilFree()
        #expect(state.completedDocuments == 3)
        let output = String(decoding: text, as: UTF8.self)
        let calls = output.components(separatedBy: "<tool_call>").dropFirst()
        #expect(calls.count == 3)
        for call in calls {
            let body = try #require(call.components(separatedBy: "</tool_call>").first)
            let value = try #require(TestJSONParser.parse(body), "\(output)")
            #expect(TestSchemaValidator(root: callSchema).validate(value))
        }
    }

    @Test("triggered mode starting active: the output opens with the call")
    func startsActive() throws {
        let (builder, tokens) = Self.vocabulary()
        let callSchema = try #require(TestJSONParser.parse(#"{"type":"object","properties":{"name":{"const":"get"}},"required":["name"]}"#))
        let tagged = try TaggedJSONGrammar(schema: callSchema, opening: "<tool_call>", closing: "</tool_call>")
        var state = ConstrainedDecoding(.triggered(by: .init(opening: tagged.trigger, grammar: tagged.grammar), masks: builder, startsActive: true))
        var rng = GrammarRNG(seed: 5)
        let text = Self.drawWhileActive(&state, rng: &rng, tokens: tokens, limit: 200)
        let output = String(decoding: text, as: UTF8.self)
        // The call may end inside its last token (">\n\n"); the rest is free text.
        let parts = output.components(separatedBy: "</tool_call>")
        #expect(output.hasPrefix("<tool_call>") && parts.count == 2 && !parts[1].contains("<"), "\(output)")
        #expect(TestJSONParser.parse(String(parts[0].dropFirst(11))) == .object([("name", .string("get"))]))
    }

    @Test("a JSON opening (Llama 3's {\"name\": ) is part of the document: the call continues it")
    func openingInDocument() throws {
        let (builder, tokens) = Self.vocabulary()
        func id(_ s: String) -> Int32 { Int32(tokens.firstIndex(of: Array(s.utf8))!) }
        let callSchema = try #require(TestJSONParser.parse(#"{"type":"object","properties":{"name":{"const":"get"},"parameters":{"type":"object","properties":{},"additionalProperties":false}},"required":["name","parameters"]}"#))
        let tagged = try TaggedJSONGrammar(schema: callSchema, opening: "{\"name\": ", closing: "")
        #expect(tagged.openingInDocument && tagged.trigger == Array("{\"name\":".utf8))
        var state = ConstrainedDecoding(.triggered(by: .init(opening: tagged.trigger, grammar: tagged.grammar), masks: builder, startsActive: false))
        var text: [UInt8] = []
        for p in ["{\"", "name", "\":"] {
            _ = state.advance(id(p))
            text += Array(p.utf8)
        }
        #expect(state.isActive)
        var rng = GrammarRNG(seed: 9)
        text += Self.drawWhileActive(&state, rng: &rng, tokens: tokens, limit: 200 - text.count)
        // The call may end inside its last token ("},"): the rest is free text.
        let (value, _) = try #require(TestJSONParser.parseLeading(text), "\(String(decoding: text, as: UTF8.self))")
        #expect(TestSchemaValidator(root: callSchema).validate(value), "\(String(decoding: text, as: UTF8.self))")
    }

    @Test("several triggers: a tagged call and a bare JSON call each hold to their grammar")
    func severalTriggers() throws {
        let (builder, tokens) = Self.vocabulary()
        func id(_ s: String) -> Int32 { Int32(tokens.firstIndex(of: Array(s.utf8))!) }
        let callSchema = try #require(TestJSONParser.parse(#"{"type":"object","properties":{"name":{"const":"get"},"arguments":{"type":"object","properties":{},"additionalProperties":false}},"required":["name","arguments"]}"#))
        let tagged = try TaggedJSONGrammar(schema: callSchema, opening: "<tool_call>", closing: "</tool_call>")
        let bare = try JSONSchemaGrammar(schema: callSchema)
        let constraint = GrammarConstraint(grammar: tagged.grammar, masks: builder, activation: .triggered([
            .init(opening: tagged.trigger, grammar: tagged.grammar), .init(opening: Array("{\"name\":".utf8), grammar: bare.grammar),
        ], startsActive: false))
        var state = ConstrainedDecoding(constraint)
        var rng = GrammarRNG(seed: 13)
        var text: [UInt8] = []
        func run() {
            text += Self.drawWhileActive(&state, rng: &rng, tokens: tokens, limit: 400 - text.count)
        }
        for p in ["Hello", "{\"", "name", "\":"] {
            #expect(!state.isActive)
            _ = state.advance(id(p))
            text += Array(p.utf8)
        }
        #expect(state.isActive)
        run()
        let firstEnd = text.count
        _ = state.advance(id("<tool_call>"))
        text += Array("<tool_call>".utf8)
        run()
        let output = String(decoding: text, as: UTF8.self)
        #expect(state.completedDocuments == 2, "\(output)")
        // Either call may end inside its last token; what follows it is free text.
        let first = try #require(TestJSONParser.parseLeading(Array(text[5..<firstEnd])), "\(output)")
        #expect(TestSchemaValidator(root: callSchema).validate(first.value))
        let second = try #require(output.components(separatedBy: "<tool_call>").last?.components(separatedBy: "</tool_call>"), "\(output)")
        #expect(second.count == 2 && TestJSONParser.parse(second[0]).map { TestSchemaValidator(root: callSchema).validate($0) } == true, "\(output)")
    }

    @Test("triggered mode: a token running past a call's end closes the call; its rest is free text and may open the next call")
    func tokenStraddlingTheCallsEnd() throws {
        let (builder, tokens) = Self.vocabulary()
        func id(_ s: String) -> Int { tokens.firstIndex(of: Array(s.utf8))! }
        let callSchema = try #require(TestJSONParser.parse(#"{"type":"object","properties":{"name":{"const":"get"},"arguments":{"type":"object","properties":{},"additionalProperties":false}},"required":["name","arguments"]}"#))
        let tagged = try TaggedJSONGrammar(schema: callSchema, opening: "<tool_call>\n", closing: "\n</tool_call>")
        let constraint = GrammarConstraint.triggered(by: .init(opening: tagged.trigger, grammar: tagged.grammar), masks: builder, startsActive: false)
        func nearlyClosed() -> ConstrainedDecoding {
            var state = ConstrainedDecoding(constraint)
            // Single bytes are tokens 0...255.
            for b in "Hi <tool_call>\n{\"name\": \"get\", \"arguments\": {}}\n</tool_call".utf8 { _ = state.advance(Int32(b)) }
            return state
        }
        var state = nearlyClosed()
        let matcher = try #require(state.matcher)
        let open = builder.mask(for: matcher, openEnded: true)
        let closed = builder.mask(for: matcher)
        for piece in [">", ">\n\n", ">\n<tool_call>"] { #expect(open.isAllowed(id(piece)), "\(piece)") }
        #expect(closed.isAllowed(id(">")) && !closed.isAllowed(id(">\n\n")) && !closed.isAllowed(id(">\n<tool_call>")))
        #expect(!open.isAllowed(id("Hello")) && !open.isAllowed(tokens.count - 1), "nothing else, and no end of generation before the call is complete")
        // With one token left, the straddling token still closes the call in time.
        var logits = [Float](repeating: 0, count: tokens.count)
        logits.withUnsafeMutableBufferPointer { state.mask($0, budget: 1) }
        #expect(logits[id(">\n\n")] == 0 && logits[id("Hello")] == -.infinity)

        #expect(state.advance(Int32(id(">\n\n"))) == .proceed)
        #expect(!state.isActive && state.completedDocuments == 1)
        #expect(state.advance(Int32(id("<tool_call>"))) == .proceed && state.isActive, "free text after the call still opens the next one")

        // The rest of the token opens the next call.
        var chained = nearlyClosed()
        #expect(chained.advance(Int32(id(">\n<tool_call>"))) == .proceed)
        #expect(chained.isActive && chained.completedDocuments == 1)
        var rng = GrammarRNG(seed: 17)
        let text = Self.drawWhileActive(&chained, rng: &rng, tokens: tokens, limit: 300)
        #expect(chained.completedDocuments == 2)
        let call = try #require(TestJSONParser.parseLeading(text), "\(String(decoding: text, as: UTF8.self))")
        #expect(TestSchemaValidator(root: callSchema).validate(call.value))

        // A whole-output constraint never lets text run on past its document.
        var whole = ConstrainedDecoding(GrammarConstraint(grammar: tagged.grammar, masks: builder))
        for b in "<tool_call>\n{\"name\": \"get\", \"arguments\": {}}\n</tool_call".utf8 { _ = whole.advance(Int32(b)) }
        #expect(whole.advance(Int32(id(">\n\n"))) == .proceed && whole.isInsideDocument, "a forbidden token leaves the document where it was")
        #expect(whole.advance(Int32(id(">"))) == .finished)
    }
}
