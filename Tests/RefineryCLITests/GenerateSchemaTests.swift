import RefineryCore
import Foundation
import RefineryTesting
import Testing

/// `refinery generate --schema FILE` and `--any-json` on SmolLM2: stdout holds exactly one JSON
/// document (checked here by Foundation's parser and the schema's constraints), bad schemas are
/// refused before the model loads with the keyword and path, and an unfinished document is an
/// error with nothing on stdout.
@Suite("refinery generate --schema", .serialized)
struct GenerateSchemaTests {
    static func schemaFile(_ json: String) throws -> String {
        let path = "\(try Scratch.folder("schema"))/schema.json"
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("--schema: stdout is exactly the document, valid under the schema")
    func schema() async throws {
        guard let model = TestModels.path(TestModels.smolLM2) else {
            print("skipped: \(TestModels.missingReason(TestModels.smolLM2))")
            return
        }
        let file = try Self.schemaFile(#"{"type":"object","properties":{"name":{"type":"string","maxLength":20},"age":{"type":"integer","minimum":0,"maximum":120},"pet":{"enum":["cat","dog"]}},"required":["name","age","pet"],"additionalProperties":false}"#)
        for seed in ["1", "2"] {
            let result = try await CLIRunner().run("generate", "--model", model, "--schema", file, "--temperature", "1", "--seed", seed,
                                                   "--max-tokens", "64", "Describe a person and their pet.")
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.hasSuffix("}\n") && result.stdout.hasPrefix("{"), "\(result.stdout)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout)")
            #expect(Set(object.keys) == ["name", "age", "pet"])
            #expect(((object["name"] as? String)?.count ?? 99) <= 20)
            #expect((object["age"] as? Int).map { (0...120).contains($0) } == true)
            #expect(["cat", "dog"].contains(object["pet"] as? String ?? ""))
        }
    }

    @Test("--any-json: stdout is one JSON value")
    func anyJSON() async throws {
        guard let model = TestModels.path(TestModels.smolLM2) else { return }
        let result = try await CLIRunner().run("generate", "--model", model, "--any-json", "--greedy", "--max-tokens", "48",
                                               "List three colors as JSON.")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasSuffix("\n"))
        _ = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8), options: [.fragmentsAllowed])
    }

    @Test("an unsupported keyword is an error naming it and its path, before the model loads")
    func unsupported() async throws {
        let file = try Self.schemaFile(#"{"type":"object","properties":{"tags":{"type":"array","contains":{"type":"string"},"maxContains":1}},"required":["tags"]}"#)
        let result = try await CLIRunner().run("generate", "--model", "/nonexistent.gguf", "--schema", file, "hi")
        #expect(result.status != 0)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("unsupported schema keyword 'maxContains' at '/properties/tags'"), "\(result.stderr)")
        let notJSON = try Self.schemaFile("{type: object}")
        let bad = try await CLIRunner().run("generate", "--model", "/nonexistent.gguf", "--schema", notJSON, "hi")
        #expect(bad.status != 0 && bad.stderr.contains("is not JSON"), "\(bad.stderr)")
        let both = try await CLIRunner().run("generate", "--model", "/nonexistent.gguf", "--schema", file, "--any-json", "hi")
        #expect(both.status != 0 && both.stderr.contains("exclude each other"))
    }

    @Test("a schema too large for the prompt is described in a shorter form; the output is still held to all of it")
    func largeSchema() async throws {
        guard let model = TestModels.path(TestModels.smolLM2) else { return }
        // 400 properties, about 40 kB of schema: pasted whole it would not fit a 1024-token context.
        var properties: [String] = []
        for k in 0..<400 { properties.append(#""setting_\#(k)":{"type":"integer","minimum":0,"maximum":9,"description":"The \#(k)th setting of the service, a digit."}"#) }
        let schema = #"{"type":"object","properties":{"# + properties.joined(separator: ",")
            + #"},"required":["setting_0","setting_399"],"additionalProperties":false}"#
        let file = try Self.schemaFile(schema)
        let result = try await CLIRunner().run("generate", "--model", model, "--ctx", "1024", "--schema", file, "--greedy", "--max-tokens", "256", "Configure the service.")
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout)")
        #expect(object["setting_0"] is Int && object["setting_399"] is Int)
        #expect(object.values.allSatisfy { ($0 as? Int).map { (0...9).contains($0) } ?? false })
    }

    @Test("a document the token cap cuts short is an error carrying the partial text; stdout stays empty")
    func incomplete() async throws {
        guard let model = TestModels.path(TestModels.smolLM2) else { return }
        // The shortest document needs 2010 bytes; 8 tokens cannot hold it.
        let file = try Self.schemaFile(#"{"type":"object","properties":{"story":{"type":"string","minLength":2000}},"required":["story"]}"#)
        let result = try await CLIRunner().run("generate", "--model", model, "--schema", file, "--greedy", "--max-tokens", "8", "Tell a story.")
        #expect(result.status != 0)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("partial output: {\"story\":"), "\(result.stderr)")
        #expect(result.stderr.contains("stopped before the JSON document was complete (length)"), "\(result.stderr)")
    }
}
