import RefineryInferenceTesting
import RefineryCore
import Foundation

@testable import RefineryEval

/// Tiny synthetic BFCL data: two entries per category in BFCL v4's shapes, as JSON-lines files
/// (a folder laid out like the package's `data/`) or inside a fake `bfcl-eval` wheel.
enum BFCLFixture {
    static let area = #"{"name": "geometry.area", "description": "Area of a triangle.", "parameters": {"type": "dict", "properties": {"base": {"type": "integer", "description": "The base."}, "height": {"type": "float", "description": "The height."}, "unit": {"type": "string", "description": "The unit.", "optional": true}}, "required": ["base", "height"]}}"#
    static let play = #"{"name": "spotify.play", "description": "Play an artist.", "parameters": {"type": "dict", "properties": {"artist": {"type": "string", "description": "Who."}, "duration": {"type": "integer", "description": "Minutes."}}, "required": ["artist", "duration"]}}"#

    static func question(_ id: String, _ text: String, _ functions: [String]) -> String {
        #"{"id": "\#(id)", "question": [[{"role": "user", "content": "\#(text)"}]], "function": [\#(functions.joined(separator: ", "))]}"#
    }

    /// Data file path (inside `data/`) → bytes.
    static var files: [String: String] {
        [
            "BFCL_v4_simple_python.json": [
                question("simple_python_0", "Area of a triangle with base 10 and height 5?", [area]),
                question("simple_python_1", "Area of a triangle with base 3 and height 4 in cm?", [area]),
            ].joined(separator: "\n") + "\n",
            "possible_answer/BFCL_v4_simple_python.json": [
                #"{"id": "simple_python_0", "ground_truth": [{"geometry.area": {"base": [10], "height": [5.0], "unit": ["units", ""]}}]}"#,
                #"{"id": "simple_python_1", "ground_truth": [{"geometry.area": {"base": [3], "height": [4.0], "unit": ["cm"]}}]}"#,
            ].joined(separator: "\n") + "\n",
            "BFCL_v4_parallel.json": [
                question("parallel_0", "Play Taylor Swift for 20 minutes and Maroon 5 for 15.", [play])
            ].joined(separator: "\n") + "\n",
            "possible_answer/BFCL_v4_parallel.json":
                #"{"id": "parallel_0", "ground_truth": [{"spotify.play": {"artist": ["Taylor Swift"], "duration": [20]}}, {"spotify.play": {"artist": ["Maroon 5"], "duration": [15]}}]}"#
                + "\n",
            "BFCL_v4_irrelevance.json": [
                question("irrelevance_0", "What is the capital of France?", [area]),
                question("irrelevance_1", "Solve x^2 = 4.", [play]),
            ].joined(separator: "\n") + "\n",
        ]
    }

    /// Files the package ships beside the AST categories, in their shapes: multi-turn, memory and
    /// format-sensitivity files, a live relevance file (no answers), a Java category, a README.
    static var otherFiles: [String: String] {
        [
            "BFCL_v4_multi_turn_base.json":
                #"{"id": "multi_turn_base_0", "question": [[{"role": "user", "content": "cd"}], [{"role": "user", "content": "ls"}]], "initial_config": {}, "path": [], "involved_classes": ["GorillaFileSystem"]}"# + "\n",
            "possible_answer/BFCL_v4_multi_turn_base.json":
                #"{"id": "multi_turn_base_0", "ground_truth": [["cd(folder='document')"], ["ls()"]]}"# + "\n",
            "BFCL_v4_memory.json":
                #"{"id": "memory_0", "question": [[{"role": "user", "content": "Name?"}]], "involved_classes": ["MemoryAPI"], "scenario": "x"}"# + "\n",
            "possible_answer/BFCL_v4_memory.json": #"{"id": "memory_0", "ground_truth": ["Michael"]}"# + "\n",
            "BFCL_v4_format_sensitivity.json": "{\n    \"simple_python\": [\"simple_python_0\"]\n}\n",
            "BFCL_v4_live_relevance.json": question("live_relevance_0", "Play Taylor Swift for 20 minutes.", [play]) + "\n",
            "BFCL_v4_simple_java.json": question("simple_java_0", "Area of base 1, height 2?", [area]) + "\n",
            "possible_answer/BFCL_v4_simple_java.json":
                #"{"id": "simple_java_0", "ground_truth": [{"geometry.area": {"base": ["1"], "height": ["2"]}}]}"# + "\n",
            "README.md": "BFCL data\n",
        ]
    }

    /// A folder holding ``files`` and `extra`.
    static func folder(extra: [String: String] = [:]) throws -> String {
        let root = try TemporaryFolder.make("bfcl-data")
        try FileManager.default.createDirectory(atPath: "\(root)/possible_answer", withIntermediateDirectories: true)
        for (path, text) in files.merging(extra, uniquingKeysWith: { $1 }) {
            try Data(text.utf8).write(to: URL(fileURLWithPath: "\(root)/\(path)"))
        }
        return root
    }

    /// A fake `bfcl-eval` wheel holding ``files`` (plus `extra`, minus `without`) under `bfcl_eval/data/`.
    static func wheel(
        in packages: FakePackages, version: String = BFCLDataSource.version, without: String? = nil, extra: [String: String] = [:]
    ) throws {
        var members: [String: [UInt8]] = [:]
        for (path, text) in files.merging(extra, uniquingKeysWith: { $1 }) where path != without { members["bfcl_eval/data/\(path)"] = Array(text.utf8) }
        try packages.wheel(package: BFCLDataSource.package, version: version, members: members)
    }
}
