import Foundation
import Refinery
import RefineryGenerable
import RefineryInference
import RefineryTesting
import Testing

/// `respond(to:generating:)`, `streamResponse` and agents with tools on `@Generable` types.
@Suite("@Generable with models and agents", .serialized, .timeLimit(.minutes(3)))
struct GenerableRespondTests {
    @Test("respond decodes a @Generable type, constrained to its schema, with the schema in the prompt")
    func respond() async throws {
        let model = ScriptedModel(texts: [GenerableSchemaTests.document])
        let recipe = try await model.respond(to: "Pancakes, please.", generating: Recipe.self)
        #expect(recipe.steps.map(\.text) == ["Mix", "Fry"] && recipe.difficulty == .easy)
        let request = try #require(model.requests.first)
        #expect(request.constraint == .jsonSchema(Recipe.jsonSchema))
        guard case .messages(let messages) = request.prompt else { Issue.record("not a chat request"); return }
        #expect(messages.first?.role == .system && messages.first?.content.contains(#""Minutes of work""#) == true)
    }

    /// A type whose schema is far larger than the prompt budget: forty described properties.
    struct Wide: Decodable, JSONSchemaConvertible {
        static var jsonSchema: JSONValue {
            JSONSchema.object((0..<40).map { i in
                .optional("field\(i)", JSONSchema.string(description: String(repeating: "A long explanation of field \(i). ", count: 6)))
            })
        }
    }

    @Test("a large schema is not pasted whole into the prompt: it goes in shortened, and the constraint keeps all of it")
    func largeSchemaSummarised() async throws {
        let model = ScriptedModel(texts: ["{}"])
        _ = try await model.respond(to: "Fill in what you can.", generating: Wide.self)
        let request = try #require(model.requests.first)
        #expect(request.constraint == .jsonSchema(Wide.jsonSchema))
        guard case .messages(let messages) = request.prompt, let system = messages.first?.content else {
            Issue.record("no system prompt"); return
        }
        #expect(Wide.jsonSchema.serialized().count > 3 * ScriptedModel.schemaPromptLimit)
        #expect(system.count < ScriptedModel.schemaPromptLimit + 200)
        #expect(system.contains("field0"))
    }

    @Test("streamResponse yields snapshots whose content is the partially generated value, then the whole value")
    func streamed() async throws {
        let text = GenerableSchemaTests.document
        let cut = [0, 30, 60, 110, 150, text.count].map { text.index(text.startIndex, offsetBy: $0) }
        let chunks = zip(cut, cut.dropFirst()).map { String(text[$0..<$1]) }
        let model = ScriptedModel(replies: [.init(text, chunks: chunks)])
        var titles: [String?] = []
        var stepCounts: [Int?] = []
        var final: Recipe?
        for try await snapshot in model.streamResponse(to: [.user("Pancakes")], generating: Recipe.self) {
            titles.append(snapshot.content?.title)
            stepCounts.append(snapshot.content?.steps?.count)
            final = snapshot.value ?? final
        }
        #expect(titles.count == chunks.count + 1)
        #expect(titles.first == "Pancakes" && titles.last == "Pancakes")
        #expect(stepCounts.first == .some(nil) && stepCounts.last == 2)
        #expect(final?.scores == [7, 9])
    }

    @Test("Agent(tools:) acts with the tools: the model's call is decoded into @Generable arguments and its result read")
    func agentWithTools() async throws {
        let call = ToolCall(id: "c1", name: "convert", arguments: ["amount": 2, "unit": "pieces"])
        let model = ScriptedModel(name: "m", replies: [.init("", toolCalls: [call]), .init("About 100 g.")])
        let agent = try Agent(name: "kitchen", instructions: "Use the tools.", model: model, tools: [ConvertTool()])
        let result = await agent.run("How heavy are two eggs?", timeout: .seconds(5))
        #expect(result.answer == "About 100 g.")
        #expect(result.steps.first?.kind == .toolLoop)
        #expect(result.steps.first?.toolCalls.first?.result == "100 g")
        #expect(throws: ToolError.self) { try Agent(model: model, tools: [ConvertTool(), ConvertTool()]) }
    }

    /// A small type for a real model: nested struct, enum, array and optional, bounded so a
    /// 135M model finishes it within the token cap.
    @Generable(description: "A pet")
    struct Pet: Sendable {
        @Guide(description: "The pet's name", .pattern("^[A-Z][a-z]{1,10}$"))
        var name: String
        var kind: Kind
        @Guide(description: "Age in years", .range(0...30))
        var age: Int
        @Guide(.count(1...2), .element(.pattern("^[a-z]{1,10}$")))
        var toys: [String]
        var owner: Owner
        var note: String?

        @Generable enum Kind: Sendable { case cat, dog, fish }
        @Generable struct Owner: Sendable {
            @Guide(.pattern("^[A-Z][a-z]{1,10}$")) var name: String
        }
    }

    @Test("end to end on SmolLM2: the constrained output decodes into the @Generable type")
    func smolLM2() async throws {
        guard let path = TestModels.path(TestModels.smolLM2) else {
            print("skipped: \(TestModels.missingReason(TestModels.smolLM2))")
            return
        }
        let model = try LocalModel(path: path)
        let pet = try await model.respond(
            to: "Describe a cat called Tom, aged 3, who plays with a ball. His owner is Ana.", generating: Pet.self,
            maxTokens: 200)
        #expect(pet.name.first?.isUppercase == true && (0...30).contains(pet.age))
        #expect((1...2).contains(pet.toys.count) && !pet.owner.name.isEmpty)
    }
}
