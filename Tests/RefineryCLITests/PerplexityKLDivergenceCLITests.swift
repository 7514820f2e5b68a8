import Foundation
import Testing
import RefineryInference
import RefineryInferenceTesting

/// `refinery perplexity --kl-divergence-base` as a user runs it: a tiny model file and a base file
/// written here (uniform distributions over the tiny vocabulary).
@Suite("refinery perplexity --kl-divergence-base")
struct PerplexityKLDivergenceCLITests {
    /// The tiny model and a base for one chunk of 32 tokens (`truncateBy` bytes cut off its end).
    static func files(truncateBy: Int = 0) throws -> (model: String, base: String) {
        let folder = try Scratch.folder("kld")
        var writer = TinyGGUFWriter(architecture: "llama")
        writer.weightType = .q8_0
        let model = "\(folder)/tiny.gguf"
        try Data(writer.bytes()).write(to: URL(fileURLWithPath: model))
        let vocabulary = TinyGGUFWriter.vocabularySize
        let tokens = (0..<32).map { String(($0 * 37 + 11) % 256) }.joined(separator: ",")
        var bytes = Array("""
            {"model": "tiny.gguf", "ctx": 32, "chunks": 1, "first": 16, "n_vocab": \(vocabulary), "tokens": [[\(tokens)]]}\n
            """.utf8)
        let uniform = -log(Float(vocabulary))
        for _ in 0..<(15 * vocabulary) { withUnsafeBytes(of: uniform.bitPattern.littleEndian) { bytes += $0 } }
        bytes.removeLast(truncateBy)
        let base = "\(folder)/base.bin"
        try Data(bytes).write(to: URL(fileURLWithPath: base))
        return (model, base)
    }

    @Test("--json prints one object with both perplexities, the KL divergence figures and the positions")
    func json() async throws {
        let (model, base) = try Self.files()
        let result = try await CLIRunner().run("perplexity", "--model", model, "--ctx", "32", "--kl-divergence-base", base, "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["perplexity", "base_perplexity", "mean_kld", "kld_p99", "kld_max", "same_top_p", "positions"])
        #expect(object["positions"] as? Int == 15)
        // The base is uniform: its perplexity is the vocabulary's size.
        let basePerplexity = try #require(object["base_perplexity"] as? Double)
        #expect(abs(basePerplexity - Double(TinyGGUFWriter.vocabularySize)) < 1e-3)
        #expect((object["mean_kld"] as? Double ?? 0) > 0)
    }

    @Test("a base written for another context or truncated is refused with a message that says so")
    func badBases() async throws {
        let (model, base) = try Self.files()
        let context = try await CLIRunner().run("perplexity", "--model", model, "--ctx", "64", "--kl-divergence-base", base)
        #expect(context.status != 0 && context.stderr.contains("context of 32 tokens, not 64"), "\(context.stderr)")
        let (_, truncated) = try Self.files(truncateBy: 10)
        let cut = try await CLIRunner().run("perplexity", "--model", model, "--ctx", "32", "--kl-divergence-base", truncated)
        #expect(cut.status != 0 && cut.stderr.contains("truncated"), "\(cut.stderr)")
        let both = try await CLIRunner().run("perplexity", "--model", model, "--kl-divergence-base", base, "/usr/share/common-licenses/GPL-3")
        #expect(both.status != 0)
    }
}
