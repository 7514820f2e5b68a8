import RefineryInferenceTesting
import RefineryCore
import Foundation
import RefineryInference
import Testing

@testable import RefineryEval

@Suite("BFCL category discovery")
struct BFCLDiscoveryTests {
    /// What the fixture's files make: the AST categories, sorted, and nothing else.
    static let expected = ["irrelevance", "live_relevance", "parallel", "simple_java", "simple_python"]

    @Test("finds every AST category in a folder shaped like the package's data, and nothing else")
    func folder() async throws {
        let folder = try BFCLFixture.folder(extra: BFCLFixture.otherFiles)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let found = try await BFCLDataSource(location: folder, storeRoot: "/nonexistent").categories()
        #expect(found.map(\.name) == Self.expected)
        #expect(found.map(\.kind) == [.irrelevance, .relevance, .parallel, .simple, .simple])
        #expect(found.map(\.language) == [.python, .python, .python, .java, .python])
        let relevance = try await BFCLDataSource(location: folder, storeRoot: "/nonexistent").entries(for: [found[1]])
        #expect(relevance.map(\.id) == ["live_relevance_0"] && relevance[0].possibleAnswers.isEmpty)
    }

    @Test("finds the same categories in a wheel, listing its members from the zip directory")
    func wheel() async throws {
        let packages = try FakePackages()
        try BFCLFixture.wheel(in: packages, extra: BFCLFixture.otherFiles)
        let wheel = "\(packages.folder)/bfcl_eval-\(BFCLDataSource.version)-py3-none-any.whl"
        let source = BFCLDataSource(location: wheel, storeRoot: "/nonexistent", fetcher: packages.fetcher)
        #expect(try await source.categories().map(\.name) == Self.expected)
        let bytes = try #require(StoreFiles.read(wheel))
        let names = try #require(ZipMemberNames.names(in: bytes))
        #expect(names.contains("bfcl_eval/data/possible_answer/BFCL_v4_parallel.json"))
        #expect(ZipMemberNames.names(in: Array("not a zip".utf8)) == nil)
    }

    @Test("judges a file by its first question and answer")
    func shapes() throws {
        let question = try JSONValue(parsing: BFCLFixture.question("live_simple_0", "q", [BFCLFixture.area]))
        let call = try JSONValue(parsing: #"{"id": "live_simple_0", "ground_truth": [{"f": {"a": [1]}}]}"#)
        let strings = try JSONValue(parsing: #"{"id": "x", "ground_truth": ["Michael"]}"#)
        #expect(BFCLDataset.isASTCategory(name: "live_simple", firstQuestion: question, firstAnswer: call))
        #expect(!BFCLDataset.isASTCategory(name: "live_simple", firstQuestion: question, firstAnswer: strings))
        #expect(!BFCLDataset.isASTCategory(name: "live_simple", firstQuestion: question, firstAnswer: nil))
        #expect(BFCLDataset.isASTCategory(name: "live_irrelevance", firstQuestion: question, firstAnswer: nil))
        #expect(!BFCLDataset.isASTCategory(name: "live_simple", firstQuestion: nil, firstAnswer: call))
        #expect(BFCLCategory(name: "live_parallel_multiple").kind == .parallel)
        #expect(BFCLCategory(name: "live_multiple").kind == .multiple)
        #expect(BFCLCategory(name: "simple_javascript").language == .javascript)
    }
}
