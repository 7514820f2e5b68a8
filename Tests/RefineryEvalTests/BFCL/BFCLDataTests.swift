import RefineryInferenceTesting
import RefineryCore
import Foundation
import RefineryInference
import Testing

@testable import RefineryEval

@Suite("BFCL data")
struct BFCLDataTests {
    static let categories = ["simple_python", "parallel", "irrelevance"].map { BFCLCategory(name: $0) }

    @Test("reads questions and answers from a folder of data files, pairing them by id")
    func folder() async throws {
        let folder = try BFCLFixture.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let source = BFCLDataSource(location: folder, storeRoot: "/nonexistent")
        let entries = try await source.entries(for: Self.categories)
        #expect(entries.map(\.id) == ["simple_python_0", "simple_python_1", "parallel_0", "irrelevance_0", "irrelevance_1"])
        #expect(entries[0].messages == [.user("Area of a triangle with base 10 and height 5?")])
        #expect(entries[2].possibleAnswers.count == 2)
        #expect(entries[3].possibleAnswers.isEmpty)
        #expect(entries[0].category.kind == .simple && entries[2].category.kind == .parallel)
    }

    @Test("reads the data out of a bfcl-eval wheel given by path")
    func wheelByPath() async throws {
        let packages = try FakePackages()
        try BFCLFixture.wheel(in: packages)
        let wheel = "\(packages.folder)/bfcl_eval-\(BFCLDataSource.version)-py3-none-any.whl"
        let source = BFCLDataSource(location: wheel, storeRoot: "/nonexistent", fetcher: packages.fetcher)
        let entries = try await source.entries(for: Self.categories)
        #expect(entries.count == 5)
        #expect(entries[1].possibleAnswers.first?["geometry.area"]?["unit"] == ["cm"])
    }

    @Test("installs the pinned wheel into the store's datasets folder with pip, once")
    func install() async throws {
        let packages = try FakePackages()
        try BFCLFixture.wheel(in: packages)
        let root = try TemporaryFolder.make("bfcl-store")
        let source = BFCLDataSource(storeRoot: root, fetcher: packages.fetcher)
        let entries = try await source.entries(for: Self.categories)
        #expect(entries.count == 5)
        let kept = StoreFiles.contents(source.datasetsFolder)
        #expect(kept == ["bfcl_eval-\(BFCLDataSource.version)-py3-none-any.whl"])
        // A second run reads the kept wheel, even with pip unable to reach anything.
        var offline = packages.fetcher
        offline.extraPipArguments = ["--no-index"]
        let again = try await BFCLDataSource(storeRoot: root, fetcher: offline).entries(for: Self.categories)
        #expect(again.count == 5)
    }

    @Test("a package that cannot be downloaded, or lacks a file, is dataUnavailable and leaves nothing")
    func unavailable() async throws {
        let packages = try FakePackages()
        let root = try TemporaryFolder.make("bfcl-store")
        await #expect { try await BFCLDataSource(storeRoot: root, fetcher: packages.fetcher).entries(for: Self.categories) } throws: {
            ($0 as? BFCLError)?.code == .dataUnavailable
        }
        #expect(StoreFiles.contents("\(root)/datasets").isEmpty)
        try BFCLFixture.wheel(in: packages, without: "possible_answer/BFCL_v4_parallel.json")
        let wheel = "\(packages.folder)/bfcl_eval-\(BFCLDataSource.version)-py3-none-any.whl"
        await #expect {
            try await BFCLDataSource(location: wheel, storeRoot: root, fetcher: packages.fetcher).entries(for: Self.categories)
        } throws: { error in
            guard let error = error as? BFCLError else { return false }
            return error.code == .dataUnavailable && error.message.contains("possible_answer/BFCL_v4_parallel.json")
        }
    }

    @Test("malformed data files are refused with the file and line")
    func malformed() throws {
        let simple = BFCLCategory(name: "simple_python")
        let good = BFCLFixture.question("simple_python_0", "q", [BFCLFixture.area])
        let answer = #"{"id": "simple_python_0", "ground_truth": [{"geometry.area": {"base": [1]}}]}"#
        func refusal(_ questions: String, _ answers: String?) -> BFCLError? {
            do {
                _ = try BFCLDataset.entries(category: simple, questions: Array(questions.utf8), answers: answers.map { Array($0.utf8) })
                return nil
            } catch {
                return error
            }
        }
        #expect(refusal(good + "\n", answer) == nil)
        let notJSON = refusal(good + "\n\n{\"id\": \"x\", oops}\n", answer)
        #expect(notJSON?.code == .malformedData && notJSON?.value == "BFCL_v4_simple_python.json:3")
        #expect(refusal(#"{"question": [[{"role": "user", "content": "q"}]], "function": []}"#, answer)?.code == .malformedData)
        #expect(refusal(#"{"id": "a", "question": "q", "function": [\#(BFCLFixture.area)]}"#, answer)?.code == .malformedData)
        #expect(refusal(#"{"id": "a", "question": [[{"role": "robot", "content": "q"}]], "function": [\#(BFCLFixture.area)]}"#, answer)?.code == .malformedData)
        #expect(refusal(#"{"id": "a", "question": [[{"role": "user", "content": "q"}]], "function": [{"name": "f"}]}"#, answer)?.code == .malformedData)
        let missing = refusal(good, #"{"id": "simple_python_9", "ground_truth": [{"f": {}}]}"#)
        #expect(missing?.code == .malformedData && missing?.value == "simple_python_0")
        let badAnswer = refusal(good, #"{"id": "simple_python_0", "ground_truth": [{"geometry.area": {"base": 1}}]}"#)
        #expect(badAnswer?.value == "possible_answer/BFCL_v4_simple_python.json:1")
        #expect(refusal(good, nil)?.code == .dataUnavailable)
    }

    @Test("function documents become JSON-schema tools the grammar compiler accepts")
    func tools() throws {
        let doc = try JSONValue(parsing: #"""
            {"name": "m.f", "description": "D.", "parameters": {"type": "dict", "properties": {
              "a": {"type": "float", "description": "A."},
              "b": {"type": "tuple", "items": {"type": "integer"}, "optional": true, "default": [1, 2]},
              "c": {"type": "dict", "properties": {"k": {"type": "any"}}, "required": ["k", "zz"]},
              "d": {"type": "array", "items": {"type": "string", "enum": ["x", "y"]}},
              "e": {"description": "no type"},
              "f": {"type": "dict", "format": "whatever"}}, "required": ["a", "ghost"], "optional": ["b"]}}
            """#)
        let tool = BFCLToolConversion.definition(doc)
        #expect(tool.name == "m.f" && tool.description == "D.")
        let expected = try JSONValue(parsing: #"""
            {"type": "object", "properties": {
              "a": {"type": "number", "description": "A. This is a float type value."},
              "b": {"type": "array", "default": [1, 2], "items": {"type": "integer"}},
              "c": {"type": "object", "properties": {"k": {"type": "string"}}, "required": ["k"]},
              "d": {"type": "array", "items": {"type": "string", "enum": ["x", "y"]}},
              "e": {"type": "string", "description": "no type"},
              "f": {"type": "object"}}, "required": ["a"]}
            """#)
        #expect(tool.parameters == expected)
        _ = try JSONSchemaGrammar(schema: ToolCallSchema.call(for: [tool]))
    }
}
