import Foundation
import Refinery
import RefineryGenerable
import RefineryInference
import Testing

/// The schema `@Generable` derives and the decoding it gives, for every supported shape.
@Suite("@Generable schema and decoding")
struct GenerableSchemaTests {
    /// The schema a hand-written ``JSONSchema`` would give for ``Recipe``.
    static let recipeSchema: JSONValue = JSONSchema.object(
        [
            .required("title", JSONSchema.string(description: "The dish's name", pattern: "^[A-Z][a-z ]*$")),
            .required("minutes", JSONSchema.integer(description: "Minutes of work", minimum: 1, maximum: 240)),
            .required("steps", JSONSchema.array(of: stepSchema, minItems: 1, maxItems: 4)),
            .required("difficulty", JSONSchema.string(oneOf: ["easy", "medium", "hard"])),
            .required("diet", JSONSchema.string(oneOf: ["vegan", "vegetarian", "any"])),
            .required("scores", JSONSchema.array(of: JSONSchema.integer(minimum: 0, maximum: 10), minItems: 2, maxItems: 2)),
            .optional("note", JSONSchema.string()),
            .optional("rating", .object([("type", "number"), ("minimum", .double(0)), ("maximum", .double(5))])),
            .required("quick", JSONSchema.boolean()),
        ], description: "A recipe")
    static let stepSchema: JSONValue = JSONSchema.object([
        .required("text", JSONSchema.string(description: "What to do")),
        .optional("seconds", JSONSchema.integer(minimum: 0)),
        .optional("unit", JSONSchema.string(oneOf: ["g", "ml", "pieces"])),
    ])

    static let document = """
        {"title": "Pancakes", "minutes": 20, "steps": [{"text": "Mix", "seconds": 60, "unit": "g"}, {"text": "Fry"}],
         "difficulty": "easy", "diet": "vegetarian", "scores": [7, 9], "rating": 4.5, "quick": true}
        """

    @Test("the schema: properties in order, required unless optional, descriptions and guides, nested types and enums")
    func schema() throws {
        #expect(Recipe.jsonSchema == Self.recipeSchema)
        #expect(Step.jsonSchema == Self.stepSchema)
        #expect(Unit.jsonSchema == JSONSchema.string(oneOf: ["g", "ml", "pieces"]))
        // The decoding constraint compiles it: the schema is enforceable on a local model.
        _ = try JSONSchemaGrammar(schema: Recipe.jsonSchema)
    }

    @Test("decoding: nested structs, an enum, a raw-valued enum, arrays, optionals present and absent")
    func decoding() throws {
        let value = try JSONValue(parsing: Self.document)
        #expect(JSONSchemaValidator(schema: Recipe.jsonSchema).violations(of: value).isEmpty)
        let recipe = try StructuredOutput.decode(value, as: Recipe.self, text: Self.document)
        #expect(recipe == Recipe(
            title: "Pancakes", minutes: 20,
            steps: [Step(text: "Mix", seconds: 60, unit: .grams), Step(text: "Fry", seconds: nil, unit: nil)],
            difficulty: .easy, diet: "vegetarian", scores: [7, 9], note: nil, rating: 4.5, quick: true))
    }

    @Test("the guides are checked: a value outside a range, a count or the choices breaks the schema")
    func guidesValidate() throws {
        let validator = JSONSchemaValidator(schema: Recipe.jsonSchema)
        guard case .object(let pairs) = try JSONValue(parsing: Self.document) else { Issue.record("not an object"); return }
        for (key, bad) in [("minutes", "0"), ("scores", "[1]"), ("diet", #""keto""#), ("title", #""pancakes""#),
                           ("difficulty", #""extreme""#), ("rating", "6"), ("steps", "[]")] {
            let changed = JSONValue.object(pairs.map { $0.key == key ? (key, try! JSONValue(parsing: bad)) : $0 })
            #expect(!validator.violations(of: changed).isEmpty, "\(key): \(bad) passed")
        }
    }

    @Test("an enum with associated values: one object per case, as Swift's Codable synthesis reads it")
    func payloadEnum() throws {
        let expected = JSONSchema.describing(JSONSchema.anyOf([
            JSONSchema.object([.required("pickup", JSONSchema.object([]))]),
            JSONSchema.object([.required("courier", JSONSchema.object([
                .required("address", JSONSchema.string()), .optional("floor", JSONSchema.integer()),
            ]))]),
            JSONSchema.object([.required("locker", JSONSchema.object([.required("_0", JSONSchema.string())]))]),
        ]), as: "How the order arrives")
        #expect(Delivery.jsonSchema == expected)
        _ = try JSONSchemaGrammar(schema: Delivery.jsonSchema)
        let validator = JSONSchemaValidator(schema: Delivery.jsonSchema)
        for (text, value) in [(#"{"pickup": {}}"#, Delivery.pickup),
                              (#"{"courier": {"address": "Main St 1"}}"#, .courier(address: "Main St 1", floor: nil)),
                              (#"{"courier": {"address": "Elm 2", "floor": 3}}"#, .courier(address: "Elm 2", floor: 3)),
                              (#"{"locker": {"_0": "L12"}}"#, .locker("L12"))] {
            let document = try JSONValue(parsing: text)
            #expect(validator.violations(of: document).isEmpty, "\(text)")
            #expect(try StructuredOutput.decode(document, as: Delivery.self, text: text) == value)
        }
        for bad in [#"{"courier": {}}"#, #"{"drone": {}}"#, #""pickup""#] {
            #expect(!validator.violations(of: try JSONValue(parsing: bad)).isEmpty, "\(bad) passed")
        }
    }

    @Test("an enum value that is not a case is a decoding error naming the cases")
    func enumError() throws {
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Difficulty.self, from: Data(#""extreme""#.utf8)) }
        do {
            _ = try JSONDecoder().decode(Unit.self, from: Data(#""kg""#.utf8))
        } catch let DecodingError.dataCorrupted(context) {
            #expect(context.debugDescription == "'kg' is not one of: g, ml, pieces")
        }
    }

    @Test("partially generated: every property nil until it can be read, nested values read as far as they go")
    func partiallyGenerated() throws {
        let text = #"{"title": "Panc"#
        let partial = try #require(PartialJSON.close(text))
        let early = try StructuredOutput.decode(partial, as: Recipe.PartiallyGenerated.self, text: text)
        #expect(early.title == "Panc" && early.minutes == nil && early.steps == nil && early.quick == nil)

        let later = #"{"title": "Pancakes", "minutes": 20, "steps": [{"text": "Mix", "unit": "gr"#
        let value = try #require(PartialJSON.close(later))
        let snapshot = try StructuredOutput.decode(value, as: Recipe.PartiallyGenerated.self, text: later)
        #expect(snapshot.minutes == 20)
        #expect(snapshot.steps?.count == 1)
        #expect(snapshot.steps?.first?.text == "Mix")
        #expect(snapshot.steps?.first?.unit == nil)  // "gr" is no case yet
        #expect(snapshot.difficulty == nil)
    }

    @Test("a tool's arguments: a @Generable struct gives the tool's schema and decodes the model's call")
    func toolArguments() async throws {
        let tool = AnyTool(ConvertTool())
        #expect(tool.definition.parameters == ConvertTool.Arguments.jsonSchema)
        #expect(tool.definition.parameters["required"] == ["amount", "unit"])
        #expect(tool.violations(of: ["amount": -1, "unit": "pieces"]).count == 1)
        let output = try await tool.invoke(["amount": 3, "unit": "pieces"])
        #expect(output.content == "150 g")
    }

    @Test("Float properties: a number schema with their guides, decoded from integers and decimals")
    func floats() throws {
        #expect(Reading.jsonSchema["properties"]?["celsius"]?["type"] == "number")
        #expect(Reading.jsonSchema["properties"]?["celsius"]?["minimum"] == .double(-90))
        #expect(Reading.jsonSchema["required"] == ["celsius"])
        let reading = try JSONDecoder().decode(Reading.self, from: Data(#"{"celsius": 21.5, "humidity": 40}"#.utf8))
        #expect(reading.celsius == 21.5 && reading.humidity == 40)
        #expect(JSONSchemaValidator(schema: Reading.jsonSchema).violations(of: ["celsius": -100]).count == 1)
    }
}
