import RefineryCore
import Foundation
import RefineryInference
import RefineryTesting
import Testing

@testable import RefineryEval

@Suite("BFCL evaluator")
struct BFCLEvaluatorTests {
    static let replies: [String: String] = [
        "Area of a triangle with base 10 and height 5?":
            "<tool_call>\n{\"name\": \"geometry.area\", \"arguments\": {\"base\": 10, \"height\": 5}}\n</tool_call>",
        "Area of a triangle with base 3 and height 4 in cm?":
            "<tool_call>\n{\"name\": \"geometry.area\", \"arguments\": {\"base\": 3, \"height\": 4, \"unit\": \"cm\"\n</tool_call>",
        "Play Taylor Swift for 20 minutes and Maroon 5 for 15.":
            "```json\n[{\"name\": \"spotify.play\", \"arguments\": {\"artist\": \"maroon 5\", \"duration\": 15}},"
            + " {\"name\": \"spotify.play\", \"arguments\": {\"artist\": \"Taylor Swift\", \"duration\": 20}}]\n```",
        "What is the capital of France?": "Paris.",
        "Solve x^2 = 4.": "<tool_call>\n{\"name\": \"spotify.play\", \"arguments\": {\"artist\": \"x\", \"duration\": 2}}\n</tool_call>",
    ]

    static func model(constrains: Bool) -> ScriptedModel {
        ScriptedModel(
            capabilities: ModelCapabilities(
                constrainedDecoding: constrains, prefixCache: false, batching: true, toolCalls: true, contextLength: 4096)
        ) { request, _ in
            guard case .messages(let messages) = request.prompt, let question = messages.last?.content else {
                return .init("")
            }
            return .init(replies[question] ?? "")
        }
    }

    static func entries() throws -> [BFCLEntry] {
        let folder = try BFCLFixture.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let categories = ["simple_python", "parallel", "irrelevance"].map { BFCLCategory(name: $0) }
        return try BFCLDataSource(location: folder, storeRoot: "/nonexistent").loadEntries(for: categories)
    }

    @Test("scores each category with BFCL's matching and counts unparseable calls")
    func scores() async throws {
        let model = Self.model(constrains: true)
        let evaluator = BFCLEvaluator(model: model, options: .init(constrained: true, concurrency: 3))
        var seen: [String] = []
        let report = try await evaluator.run(try Self.entries()) { seen.append($0.id) }
        #expect(Set(seen) == ["simple_python_0", "simple_python_1", "parallel_0", "irrelevance_0", "irrelevance_1"])
        #expect(report.results.map(\.id) == ["simple_python_0", "simple_python_1", "parallel_0", "irrelevance_0", "irrelevance_1"])
        #expect(report.results.map(\.correct) == [true, false, true, true, false])
        #expect(report.categories.map(\.category.name) == ["simple_python", "parallel", "irrelevance"])
        #expect(report.categories.map(\.score) == [
            BFCLScore(correct: 1, unparseable: 1, total: 2), BFCLScore(correct: 1, unparseable: 0, total: 1),
            BFCLScore(correct: 1, unparseable: 0, total: 2),
        ])
        #expect(report.overall == BFCLScore(correct: 3, unparseable: 1, total: 5))
        let json = try JSONValue(parsing: report.json.serialized())
        #expect(json["categories"]?["simple_python"]?["accuracy"] == .double(0.5))
        #expect(json["categories"]?["simple_python"]?["unparseable"] == .int(1))
        #expect(json["overall"]?["total"] == .int(5))
        #expect(json["overall"]?["accuracy"] == .double(0.6))
        let last = report.table.split(separator: "\n").last.map { $0.split(separator: " ") }
        #expect(last == ["overall", "60.0%", "3/5", "1"])

        // The request offers the functions as tools with JSON-schema types, through the chat.
        let request = model.requests.first { $0.tools.first?.name == "geometry.area" }
        #expect(request?.tools.first?.parameters["properties"]?["height"]?["type"] == "number")
        #expect(request?.toolChoice == .auto)
        #expect(request?.sampling == .greedy)
    }

    @Test("an irrelevance answer that attempts a broken call is wrong")
    func irrelevantAttempt() async throws {
        let model = ScriptedModel(texts: ["<tool_call>\n{\"name\": \"geometry.area\", \"arguments\": {\n</tool_call>"])
        let entry = try Self.entries().first { $0.id == "irrelevance_0" }!
        let result = await BFCLEvaluator(model: model, options: .init(constrained: false)).evaluate(entry)
        #expect(result.unparseable && !result.correct)
    }

    @Test("a constrained run on a model that cannot constrain is refused")
    func refusesConstrained() async throws {
        let evaluator = BFCLEvaluator(model: Self.model(constrains: false), options: .init(constrained: true))
        await #expect { _ = try await evaluator.run(try Self.entries()) } throws: {
            ($0 as? BFCLError)?.code == .unsupportedModel
        }
        let unconstrained = BFCLEvaluator(model: Self.model(constrains: false), options: .init(constrained: false))
        #expect(try await unconstrained.run(try Self.entries()).overall.correct == 3)
    }

    @Test("a generation that fails counts as wrong, and the run goes on")
    func failedGeneration() async throws {
        let model = ScriptedModel(replies: [.failure(ScriptedModelError(message: "boom"))])
        let report = try await BFCLEvaluator(model: model, options: .init(constrained: false)).run(try Self.entries())
        #expect(report.overall.total == 5)
        #expect(report.results.allSatisfy { $0.generationError != nil && !$0.correct })
    }
}

@Suite("BFCL requests on a local model")
struct BFCLLocalRequestTests {
    @Test("both kinds of run send the same rendered prompt; only the constrained one carries the tools that switch the constraint on")
    func requests() async throws {
        guard let path = TestModels.path(TestModels.smolLM2) else {
            print("skipped: \(TestModels.missingReason(TestModels.smolLM2))")
            return
        }
        let model = try LocalModel(path: path, options: .init(contextLength: 1024, maxSequences: 1))
        let entry = try BFCLEvaluatorTests.entries()[0]
        let constrained = try BFCLEvaluator(model: model, options: .init(constrained: true)).request(for: entry)
        let free = try BFCLEvaluator(model: model, options: .init(constrained: false)).request(for: entry)
        guard case .raw(let text) = constrained.prompt, case .raw(let same) = free.prompt else {
            Issue.record("a local model's requests carry the rendered prompt")
            return
        }
        #expect(text == same)
        // SmolLM2's template knows nothing of tools: the prompted format's instructions are in the prompt.
        #expect(text.contains("geometry.area") && text.contains("<tool_call>"))
        #expect(text.contains("Area of a triangle with base 10 and height 5?"))
        #expect(constrained.tools.map(\.name) == ["geometry.area"] && free.tools.isEmpty)
        #expect(try model.constraint(for: constrained) != nil)
        #expect(try model.constraint(for: free) == nil)
    }
}
