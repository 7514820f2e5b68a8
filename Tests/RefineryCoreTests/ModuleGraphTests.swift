import Foundation
import RefineryCore
import Testing

/// The dependency rule is the architecture: vocabulary at the bottom, the engine and the remote
/// backend beside each other on it, orchestration on the vocabulary alone. This reads the
/// package's target graph (`swift package dump-package`) and fails when a layer reaches one it
/// must not.
@Suite("Module graph")
struct ModuleGraphTests {
    /// The package manifest as `swift package dump-package` prints it.
    static func manifest() throws -> JSONValue {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // A scratch folder of its own: the running `swift test` holds the lock on `.build`.
        let scratch = NSTemporaryDirectory() + "refinery-graph-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        process.arguments = ["swift", "package", "--package-path", root, "--scratch-path", scratch, "dump-package"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return try JSONValue(parsing: Array(data))
    }

    /// Local targets and the local targets each one depends on directly.
    static func targetGraph() throws -> [String: [String]] {
        let manifest = try manifest()
        var graph: [String: [String]] = [:]
        for target in manifest["targets"]?.arrayValue ?? [] {
            guard let name = target["name"]?.stringValue else { continue }
            graph[name] = (target["dependencies"]?.arrayValue ?? []).compactMap { dependency in
                // {"byName": [name, condition]} or {"target": [name, condition]}; products of
                // other packages ({"product": ...}) are not Refinery's layers.
                (dependency["byName"] ?? dependency["target"])?.arrayValue?.first?.stringValue
            }
        }
        return graph
    }

    /// Every target `name` reaches, directly or not.
    static func reach(_ name: String, in graph: [String: [String]]) -> Set<String> {
        var seen: Set<String> = []
        var stack = graph[name] ?? []
        while let next = stack.popLast() {
            guard seen.insert(next).inserted else { continue }
            stack += graph[next] ?? []
        }
        return seen
    }

    @Test("the vocabulary, the orchestration and the remote backend never reach the engine or a kernel")
    func layers() throws {
        let graph = try Self.targetGraph()
        #expect(graph["RefineryCore"] != nil && graph["RefineryInference"] != nil)
        let kernels = Set(graph.keys.filter { $0.hasPrefix("C") })
        #expect(kernels.contains("CRefineryKernels"))
        #expect(Self.reach("RefineryCore", in: graph).filter { $0.hasPrefix("Refinery") || $0.hasPrefix("C") }.isEmpty)
        for layer in ["Refinery", "RefineryOpenAI", "RefineryAgents", "RefineryTesting"] {
            let reached = Self.reach(layer, in: graph)
            #expect(!reached.contains("RefineryInference"), "\(layer) reaches the engine")
            #expect(reached.intersection(kernels.subtracting(["CCurl"])).isEmpty, "\(layer) reaches a kernel target")
        }
        #expect(!Self.reach("Refinery", in: graph).contains("CCurl"), "the orchestration reaches the network")
        let engine = Self.reach("RefineryInference", in: graph)
        #expect(!engine.contains("Refinery") && !engine.contains("RefineryOpenAI"))
        #expect(!Self.reach("RefineryOpenAI", in: graph).contains("Refinery"))
    }

    @Test("swift-syntax is built only for @Generable: the macro plugin, the module declaring the macros, and what asks for them")
    func macrosStayApart() throws {
        let manifest = try Self.manifest()
        let graph = try Self.targetGraph()
        for target in manifest["targets"]?.arrayValue ?? [] {
            guard let name = target["name"]?.stringValue else { continue }
            let products = (target["dependencies"]?.arrayValue ?? []).compactMap { $0["product"]?.arrayValue }
            let usesSyntax = products.contains { $0.count > 1 && $0[1].stringValue == "swift-syntax" }
            if usesSyntax {
                #expect(name == "RefineryGenerableMacros" || target["type"]?.stringValue == "test", "\(name) builds swift-syntax")
            }
        }
        for layer in ["RefineryCore", "Refinery", "RefineryInference", "RefineryOpenAI", "RefineryServer", "RefineryAgents", "RefineryTesting"] {
            #expect(!Self.reach(layer, in: graph).contains("RefineryGenerableMacros"), "\(layer) reaches the macro plugin")
        }
        #expect(Self.reach("RefineryGenerable", in: graph) == ["RefineryCore", "RefineryGenerableMacros"])
    }

    @Test("the engine reaches its C kernels only through the Swift layer in Quant/")
    func kernelsBehindOneLayer() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let engine = root.appendingPathComponent("Sources/RefineryInference")
        let files = try #require(FileManager.default.enumerator(atPath: engine.path)).compactMap { $0 as? String }
            .filter { $0.hasSuffix(".swift") }
        #expect(files.count > 20)
        var outside: [String] = []
        for file in files where !file.hasPrefix("Quant/") {
            let text = try String(contentsOf: engine.appendingPathComponent(file), encoding: .utf8)
            // Code calls, not doc comments naming a kernel.
            let code = text.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("//") }
            if code.contains(where: { $0.contains("import CRefineryKernels") || $0.contains("refinery_") }) { outside.append(file) }
        }
        #expect(outside.isEmpty, "raw kernel calls outside Quant/: \(outside)")
    }

    @Test("the reach of a graph follows every path")
    func reach() {
        let graph = ["a": ["b"], "b": ["c", "a"], "c": [], "d": ["a"]]
        #expect(Self.reach("d", in: graph) == ["a", "b", "c"])
        #expect(Self.reach("c", in: graph).isEmpty)
    }
}
