import Foundation
import RefineryInference
import RefineryTesting
import Testing

@Suite("Tokenizer speed")
struct TokenizerPerformanceTests {
    @Test("building from Qwen2.5's 151k-token vocabulary and encoding text are fast")
    func qwenBuildAndEncode() throws {
        guard let path = TestModels.path(TestModels.qwen05) else {
            print("skipped: \(TestModels.missingReason(TestModels.qwen05))")
            return
        }
        let clock = ContinuousClock()
        let file = try GGUFFile.open(path: path)
        var data: TokenizerData?
        let extract = try clock.measure { data = try TokenizerData(gguf: file) }
        var tokenizer: Tokenizer?
        let build = try clock.measure { tokenizer = try Tokenizer(data: data!) }
        let text = Array(String(repeating: "The quick brown fox jumps over the lazy dog 1234567. 你好，世界！ def f(x): return x**2\n", count: 400).utf8)
        var ids: [Int32] = []
        let encode = clock.measure { ids = tokenizer!.encode(text) }
        let seconds = Double(encode.components.attoseconds) / 1e18 + Double(encode.components.seconds)
        print("qwen2.5 tokenizer: metadata → data \(extract), build \(build), encode \(text.count) bytes → \(ids.count) tokens in \(encode) (\(Int(Double(text.count) / seconds / 1e6 * 10) / 10) MB/s)")
        #if !DEBUG
        #expect(build < .milliseconds(200))
        #endif
    }
}
