import RefineryCore
import RefineryEval
import Foundation
import RefineryInference
import RefineryTesting
import Testing

@Suite("refinery eval bfcl")
struct EvalCommandTests {
    /// A folder laid out like bfcl-eval's `data/`: one simple_python and one irrelevance entry.
    static func dataFolder() throws -> String {
        let folder = try Scratch.folder("bfcl-data")
        try FileManager.default.createDirectory(atPath: "\(folder)/possible_answer", withIntermediateDirectories: true)
        let function = #"{"name": "geometry.area", "description": "Area of a triangle.", "parameters": {"type": "dict", "properties": {"base": {"type": "integer", "description": "The base."}, "height": {"type": "integer", "description": "The height."}}, "required": ["base", "height"]}}"#
        let files = [
            "BFCL_v4_simple_python.json": [
                #"{"id": "simple_python_0", "question": [[{"role": "user", "content": "Area of a triangle with base 10 and height 5?"}]], "function": [\#(function)]}"#,
                #"{"id": "simple_python_1", "question": [[{"role": "user", "content": "Area of a triangle with base 2 and height 3?"}]], "function": [\#(function)]}"#,
            ].joined(separator: "\n"),
            "possible_answer/BFCL_v4_simple_python.json": [
                #"{"id": "simple_python_0", "ground_truth": [{"geometry.area": {"base": [10], "height": [5]}}]}"#,
                #"{"id": "simple_python_1", "ground_truth": [{"geometry.area": {"base": [2], "height": [3]}}]}"#,
            ].joined(separator: "\n"),
            "BFCL_v4_irrelevance.json":
                #"{"id": "irrelevance_0", "question": [[{"role": "user", "content": "What is the capital of France?"}]], "function": [\#(function)]}"#,
        ]
        for (path, text) in files { try Data((text + "\n").utf8).write(to: URL(fileURLWithPath: "\(folder)/\(path)")) }
        return folder
    }

    @Test("--json prints accuracy, unparseable and total per category and overall")
    func json() async throws {
        guard let model = TestModels.path(TestModels.smolLM2) else {
            print("skipped: \(TestModels.missingReason(TestModels.smolLM2))")
            return
        }
        let data = try Self.dataFolder()
        let cli = try CLIRunner()
        let result = try await cli.run(
            "eval", "bfcl", "--model", model, "--data", data, "--categories", "simple_python,irrelevance", "--limit", "1",
            "--unconstrained", "--max-tokens", "24", "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let json = try JSONValue(parsing: result.stdout)
        guard case .object(let top) = json, case .object(let categories)? = json["categories"] else {
            Issue.record("not the report shape: \(result.stdout)")
            return
        }
        #expect(top.map(\.key) == ["categories", "overall"])
        #expect(categories.map(\.key) == ["simple_python", "irrelevance"])
        for score in categories.map(\.value) + [json["overall"]!] {
            guard case .object(let fields) = score, case .double(let accuracy)? = score["accuracy"],
                case .int(let unparseable)? = score["unparseable"], case .int(let total)? = score["total"]
            else {
                Issue.record("bad score: \(score.serialized())")
                continue
            }
            #expect(fields.map(\.key).starts(with: ["accuracy", "unparseable", "total"]))
            #expect((0...1).contains(accuracy) && unparseable >= 0 && unparseable <= total)
        }
        #expect(json["categories"]?["simple_python"]?["total"] == .int(1))
        #expect(json["overall"]?["total"] == .int(2))
        #expect(result.stderr.contains("simple_python_0:"))
        #expect(result.stderr.contains("unconstrained]"))

        // The constrained run (the default) has the same shape.
        let constrained = try await cli.run(
            "eval", "bfcl", "--model", model, "--data", data, "--categories", "simple_python", "--limit", "1",
            "--max-tokens", "24", "--json")
        #expect(constrained.status == 0, "\(constrained.stderr)")
        let report = try JSONValue(parsing: constrained.stdout)
        #expect(report["categories"]?["simple_python"]?["total"] == .int(1))
        #expect(report["overall"]?["unparseable"] != nil)
        #expect(constrained.stderr.contains(" constrained]"))
    }

    @Test("an unknown category or missing data is an error on standard error, nothing on standard output")
    func errors() async throws {
        let cli = try CLIRunner()
        let data = try Self.dataFolder()
        let unknown = try await cli.run("eval", "bfcl", "--model", "/nonexistent.gguf", "--data", data, "--categories", "multi_turn_base")
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("unknown BFCL category 'multi_turn_base'"))
        #expect(unknown.stdout.isEmpty)
        let missing = try await cli.run("eval", "bfcl", "--model", "/nonexistent.gguf", "--data", data, "--categories", "parallel")
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("BFCL_v4_parallel.json"))
    }
}
