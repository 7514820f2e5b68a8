import Foundation
import Testing
import RefineryTesting
import RefineryInference

@Suite("Scratch") struct ScratchDebugTests {
    @Test func logits() async throws {
        let name = ProcessInfo.processInfo.environment["SCRATCH_MODEL"] ?? TestModels.smolLM2
        let engine = try #require(try GenerationReferenceTests.engine(name))
        let reference = try EngineReference.load(name)
        for item in reference.cases {
            let logits = try await GenerationReferenceTests.lastLogits(engine, item.prompt_tokens)
            let diffs = item.top_logits.map { (Int($0[0]), $0[1], Double(logits[Int($0[0])]) - $0[1]) }
            print(diffs.map { String(format: "%d:%.3f(%+.3f)", $0.0, $0.1, $0.2) }.joined(separator: " "))
        }
    }
}
