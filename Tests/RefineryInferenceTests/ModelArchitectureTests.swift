import RefineryCore
import RefineryInferenceTesting
import Foundation
import Testing
import RefineryInference
import RefineryTesting

/// The forward pass on tiny synthetic models of every architecture: hyperparameters from
/// metadata, and batch invariance (a token's logits do not depend on what else is in the batch
/// or on how its prompt was split).
@Suite("Model architectures (tiny synthetic models)")
struct ModelArchitectureTests {
    static let architectures = ["llama", "qwen2", "gemma3"]

    static func transformer(_ architecture: String, weightType: GGMLType = .f32, threads: Int = 2) throws -> Transformer {
        var writer = TinyGGUFWriter(architecture: architecture)
        writer.weightType = weightType
        let file = try GGUFFile(bytes: writer.bytes())
        return try Transformer(file: file, limits: .init(maxBatchTokens: 64, maxSequences: 4, maxLogitRows: 64, contextLength: 128),
                               pool: WorkerPool(threads: threads))
    }

    static let prompt: [Int32] = [256, 72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100, 33, 10, 84, 104, 101]

    /// Logits of every position of `tokens`, fed in slices of `split` tokens.
    static func logits(_ t: Transformer, _ tokens: [Int32], split: Int) throws -> [[Float]] {
        let sequence = KVSequence(cache: t.cache)
        try sequence.reserve(upTo: tokens.count)
        var rows: [[Float]] = []
        var start = 0
        while start < tokens.count {
            let slice = Array(tokens[start..<min(tokens.count, start + split)])
            var batch = ForwardBatch()
            let index = batch.addSequence(sequence)
            for (i, token) in slice.enumerated() { batch.add(token: token, position: start + i, sequence: index, logits: true) }
            let out = try t.forward(batch)
            let v = t.config.vocabularySize
            for i in 0..<slice.count { rows.append(Array(out[(i * v)..<((i + 1) * v)])) }
            start += split
        }
        return rows
    }

    @Test("hyperparameters come from the metadata", arguments: architectures)
    func configuration(_ architecture: String) throws {
        let t = try Self.transformer(architecture)
        let c = t.config
        #expect(c.architecture == architecture)
        #expect(c.vocabularySize == TinyGGUFWriter.vocabularySize)
        #expect(c.headCount == 4)
        #expect(c.embeddingLength == 64)
        if architecture == "gemma3" {
            #expect(c.headDimension == 32 && c.kvHeadCount == 1 && c.layerCount == 6)
            #expect(c.slidingWindow == 4 && c.ropeFrequencyBaseLocal == 10_000)
            #expect((0..<6).map(c.usesSlidingWindow) == [true, true, true, true, true, false])
        } else {
            #expect(c.headDimension == 16 && c.kvHeadCount == 2)
            #expect(!c.usesSlidingWindow(layer: 0))
        }
    }

    @Test("prefill in one batch equals token-by-token decoding, bit for bit", arguments: architectures)
    func splitInvariance(_ architecture: String) throws {
        let t = try Self.transformer(architecture)
        let whole = try Self.logits(t, Self.prompt, split: Self.prompt.count)
        let single = try Self.logits(t, Self.prompt, split: 1)
        let chunks = try Self.logits(t, Self.prompt, split: 5)
        #expect(whole == single)
        #expect(whole == chunks)
        #expect(whole.allSatisfy { $0.allSatisfy(\.isFinite) })
        // Different positions give different logits (the model is not degenerate).
        #expect(whole[3] != whole[4])
    }

    @Test("a sequence decodes the same alone or batched with others", arguments: architectures)
    func batchInvariance(_ architecture: String) throws {
        let t = try Self.transformer(architecture, weightType: .q8_0)
        let alone = try Self.logits(t, Self.prompt, split: Self.prompt.count)
        // The same prompt batched with two other sequences of other lengths.
        let a = KVSequence(cache: t.cache), b = KVSequence(cache: t.cache), c = KVSequence(cache: t.cache)
        let other1: [Int32] = [256, 1, 2, 3, 4, 5, 6]
        let other2: [Int32] = Array(Self.prompt.reversed())
        try a.reserve(upTo: Self.prompt.count)
        try b.reserve(upTo: other1.count)
        try c.reserve(upTo: other2.count)
        var batch = ForwardBatch()
        batch.append(other1, to: b, startingAt: 0, logitsForLast: true)
        batch.append(Self.prompt, to: a, startingAt: 0, logitsForLast: true)
        batch.append(other2, to: c, startingAt: 0, logitsForLast: true)
        let out = try t.forward(batch)
        let v = t.config.vocabularySize
        #expect(Array(out[v..<(2 * v)]) == alone.last!)
        #expect(a.length == Self.prompt.count && b.length == other1.count)
    }

    @Test("a forked sequence continues exactly as one that prefilled the whole text", arguments: architectures)
    func fork(_ architecture: String) throws {
        let t = try Self.transformer(architecture)
        let full = try Self.logits(t, Self.prompt, split: Self.prompt.count)
        let prefix = KVSequence(cache: t.cache)
        try prefix.reserve(upTo: 10)
        var batch = ForwardBatch()
        batch.append(Self.prompt[0..<10], to: prefix, startingAt: 0, logitsForLast: false)
        _ = try t.forward(batch)
        let branch = prefix.fork()
        let rest = Array(Self.prompt[10...])
        try branch.reserve(upTo: Self.prompt.count)
        batch.removeAll()
        batch.append(rest, to: branch, startingAt: 10, logitsForLast: true)
        let out = try t.forward(batch)
        #expect(Array(out) == full.last!)
        // The branch wrote into a copy of the shared block: the prefix still continues the same way.
        #expect(prefix.length == 10 && prefix.blocks.first != branch.blocks.first)
        try prefix.reserve(upTo: Self.prompt.count)
        batch.removeAll()
        batch.append(rest, to: prefix, startingAt: 10, logitsForLast: true)
        #expect(Array(try t.forward(batch)) == full.last!)
    }

    @Test("threads do not change the result", arguments: architectures)
    func threadInvariance(_ architecture: String) throws {
        let one = try Self.logits(try Self.transformer(architecture, weightType: .q8_0, threads: 1), Self.prompt, split: 7)
        let three = try Self.logits(try Self.transformer(architecture, weightType: .q8_0, threads: 3), Self.prompt, split: 7)
        #expect(one == three)
    }

    @Test("an unknown architecture or a missing tensor gives a typed error")
    func errors() throws {
        var writer = TinyGGUFWriter(architecture: "mamba")
        writer.layerCount = 1
        let file = try GGUFFile(bytes: writer.bytes())
        #expect(throws: ModelError.unsupportedArchitecture("mamba")) {
            _ = try Transformer(file: file, limits: .init(contextLength: 16), pool: WorkerPool(threads: 1))
        }
    }
}
