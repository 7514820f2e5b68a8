import RefineryCore
import Foundation
import RefineryInference
import RefineryTesting
import Testing

@Suite("Tokenizer speed")
struct TokenizerPerformanceTests {
    @Test("each real vocabulary builds and encodes a long text (timings printed)",
          arguments: [TestModels.smolLM2, TestModels.qwen05, TestModels.gemma3])
    func buildAndEncode(model: String) throws {
        guard let path = TestModels.path(model) else {
            print("skipped: \(TestModels.missingReason(model))")
            return
        }
        let clock = ContinuousClock()
        let file = try GGUFFile.open(path: path)
        var data: TokenizerData?
        let extract = try clock.measure { data = try TokenizerData(gguf: file) }
        // Best of three: the machine is shared, and a build is what is measured, not the load.
        var tokenizer: Tokenizer?
        var build = Duration.seconds(1000)
        for _ in 0..<3 {
            build = min(build, try clock.measure { tokenizer = try Tokenizer(data: data!) })
        }
        let text = Array(String(
            repeating: "The quick brown fox jumps over the lazy dog 1234567. 你好，世界！ def f(x): return x**2\n",
            count: 400).utf8)
        var ids = tokenizer!.encode(text)
        let encode = clock.measure { ids = tokenizer!.encode(text) }
        let seconds = Double(encode.components.attoseconds) / 1e18 + Double(encode.components.seconds)
        print("\(model) tokenizer: \(tokenizer!.vocabularySize) tokens; metadata → TokenizerData \(extract), "
            + "build \(build); encode \(text.count) bytes → \(ids.count) tokens in \(encode) "
            + "(\(Int(Double(ids.count) / seconds / 1000)) k tokens/s)")
        // Timings are reported, not asserted (speed is shown by benchmarks: `refinery bench`'s
        // load_ms includes this build); a shared machine's load is not the tokenizer's.
        #expect(ids.count > text.count / 8)
    }
}
