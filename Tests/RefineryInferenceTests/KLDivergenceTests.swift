import Foundation
import Testing
import RefineryInference
import RefineryInferenceTesting
import RefineryTesting

/// `llama-perplexity --kl-divergence` on a tiny model the test writes, against base files the test
/// writes in `llamacpp_ref.py kld-base`'s format; and every way a base file can be unusable.
@Suite("KL divergence against a base file", .serialized)
struct KLDivergenceTests {
    static let contextLength = 32
    static let chunkCount = 2
    static let firstScored = contextLength / 2
    static let vocabulary = TinyGGUFWriter.vocabularySize

    static func engine() throws -> InferenceEngine {
        var writer = TinyGGUFWriter(architecture: "qwen2")
        writer.weightType = .q8_0
        return try InferenceEngine(file: GGUFFile(bytes: writer.bytes()), options: .init(threads: 2, contextLength: 64))
    }

    /// Two chunks of pseudo-random byte tokens, BOS (256) first.
    static let chunks: [[Int32]] = (0..<chunkCount).map { chunk -> [Int32] in
        (0..<contextLength).map { (i: Int) -> Int32 in
            if i == 0 { return 256 }
            let byte: Int = (chunk * 131 + i * 37 + 11) % 256
            return Int32(byte)
        }
    }

    /// The engine's logits at every position of a chunk, evaluated in one batch.
    static func logits(_ engine: InferenceEngine, _ chunk: [Int32]) async throws -> [[Float]] {
        try await engine.withExclusiveAccess { t -> [[Float]] in
            let sequence = KVSequence(cache: t.cache)
            try sequence.reserve(upTo: chunk.count)
            var batch = ForwardBatch()
            let index = batch.addSequence(sequence)
            for (i, token) in chunk.enumerated() { batch.add(token: token, position: i, sequence: index, logits: true) }
            let out = try t.forward(batch)
            let v = t.config.vocabularySize
            return (0..<chunk.count).map { Array(out[($0 * v)..<(($0 + 1) * v)]) }
        }
    }

    /// Log-softmax in double, rounded to float32 (what kld-base stores).
    static func logSoftmax(_ row: [Float]) -> [Float] {
        let values = row.map(Double.init)
        let m = values.max()!
        let normalizer = m + log(values.map { exp($0 - m) }.reduce(0, +))
        return values.map { Float($0 - normalizer) }
    }

    /// A base file: the header line, then the rows of every chunk's scored positions.
    static func writeBase(rows: [[[Float]]], header: String? = nil, extra: [UInt8] = [], truncateBy: Int = 0) throws -> String {
        let tokens = chunks.map { "[" + $0.map(String.init).joined(separator: ",") + "]" }.joined(separator: ",")
        let line = header ?? """
            {"model": "tiny.gguf", "ctx": \(contextLength), "chunks": \(chunkCount), "first": \(firstScored), "n_vocab": \(vocabulary), "tokens": [\(tokens)]}
            """
        var bytes = Array((line + "\n").utf8)
        for chunk in rows {
            for row in chunk {
                for value in row { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 } }
            }
        }
        bytes += extra
        bytes.removeLast(truncateBy)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kld-base-\(UUID().uuidString).bin").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// The engine's own distributions at the scored positions (log-probabilities, float32).
    static func ownRows(_ engine: InferenceEngine) async throws -> [[[Float]]] {
        var rows: [[[Float]]] = []
        for chunk in chunks {
            let all = try await logits(engine, chunk)
            rows.append((firstScored..<(contextLength - 1)).map { logSoftmax(all[$0]) })
        }
        return rows
    }

    @Test("a base holding the engine's own distributions: KL divergence 0, same top everywhere, equal perplexities")
    func identical() async throws {
        let engine = try Self.engine()
        let own = try await Self.ownRows(engine)
        let path = try Self.writeBase(rows: own)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let base = try KLDivergenceBase(path: path)
        #expect(base.chunks == Self.chunks && base.positionsPerChunk == 15 && base.vocabularySize == Self.vocabulary)
        let result = try await engine.klDivergence(against: base, contextLength: Self.contextLength)
        #expect(result.positions == 30 && result.chunks == 2)
        #expect(result.meanKLD == 0 && result.kldP99 == 0 && result.kldMax == 0)
        #expect(result.sameTopFraction == 1)
        #expect(abs(result.perplexity - result.basePerplexity) < 1e-12 * result.perplexity)
        // Our perplexity is the perplexity command's on the same tokens.
        let tokens = Self.chunks.flatMap { $0 }
        let plain = try await engine.perplexity(tokens: tokens, contextLength: Self.contextLength, bos: 256)
        #expect(abs(result.perplexity - plain.perplexity) < 1e-6 * plain.perplexity)
    }

    @Test("a perturbed base: the KL divergence, its 99th percentile and maximum, same top and perplexities computed here")
    func perturbed() async throws {
        let engine = try Self.engine()
        var rng = SplitMix64(seed: 7)
        var base: [[[Float]]] = []
        var expectedKLD: [Double] = []
        var ours: [Double] = []
        var theirs: [Double] = []
        var sameTop = 0
        for (c, chunk) in Self.chunks.enumerated() {
            let all = try await Self.logits(engine, chunk)
            var rows: [[Float]] = []
            for j in Self.firstScored..<(Self.contextLength - 1) {
                let own = Self.logSoftmax(all[j])
                // The base: our logits with noise of growing size, and at every third position
                // its top token pushed far ahead.
                let size = Float(j - Self.firstScored) * 0.05
                var logits: [Float] = all[j].map { (value: Float) -> Float in
                    let noise = Float(Double(rng.next() % 2001) / 1000 - 1)
                    return value + noise * size
                }
                if j % 3 == 0 { logits[(Int(chunk[j]) + 5) % Self.vocabulary] += 50 }
                let b = Self.logSoftmax(logits)
                rows.append(b)
                var kld: Double = 0
                for i in 0..<Self.vocabulary { kld += exp(Double(b[i])) * (Double(b[i]) - Double(own[i])) }
                expectedKLD.append(kld)
                let next = Int(chunk[j + 1])
                ours.append(Double(own[next]))
                theirs.append(Double(b[next]))
                if own.indices.max(by: { own[$0] < own[$1] }) == b.indices.max(by: { b[$0] < b[$1] }) { sameTop += 1 }
            }
            base.append(rows)
            _ = c
        }
        let path = try Self.writeBase(rows: base)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try await engine.klDivergence(against: try KLDivergenceBase(path: path), contextLength: Self.contextLength)
        let n = Double(expectedKLD.count)
        let sorted = expectedKLD.sorted()
        let place = 0.99 * (n - 1)
        let p99 = sorted[Int(place)] + (place - place.rounded(.down)) * (sorted[Int(place) + 1] - sorted[Int(place)])
        #expect(result.positions == expectedKLD.count)
        #expect(abs(result.meanKLD - expectedKLD.reduce(0, +) / n) < 1e-9 * result.meanKLD)
        #expect(result.meanKLD > 0.01)
        #expect(abs(result.kldP99 - p99) < 1e-9 * p99)
        #expect(abs(result.kldMax - sorted.last!) < 1e-9 * sorted.last!)
        #expect(result.sameTopFraction == Double(sameTop) / n && sameTop < expectedKLD.count && sameTop > 0)
        #expect(abs(result.perplexity - exp(-ours.reduce(0, +) / n)) < 1e-9 * result.perplexity)
        #expect(abs(result.basePerplexity - exp(-theirs.reduce(0, +) / n)) < 1e-9 * result.basePerplexity)
    }

    /// The error a base file raises on opening, or on its first use by the engine.
    static func failure(_ path: String, contextLength: Int = contextLength) async -> KLDivergenceBaseError? {
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let engine = try Self.engine()
            _ = try await engine.klDivergence(against: try KLDivergenceBase(path: path), contextLength: contextLength)
            return nil
        } catch let error as KLDivergenceBaseError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    static let zeroRows = [[[Float]]](repeating: [[Float]](repeating: [Float](repeating: -log(Float(vocabulary)), count: vocabulary), count: 15),
                                      count: chunkCount)

    @Test("bad base files give typed errors: truncated, padded, bad header, vocabulary and context mismatches, bad token ids")
    func badFiles() async throws {
        let truncated = await Self.failure(try Self.writeBase(rows: Self.zeroRows, truncateBy: 3))
        #expect(truncated?.message.contains("truncated") == true)
        let padded = await Self.failure(try Self.writeBase(rows: Self.zeroRows, extra: [0, 0, 0, 0]))
        #expect(padded?.message.contains("bytes past") == true)
        let notJSON = await Self.failure(try Self.writeBase(rows: Self.zeroRows, header: "GGUF not a header"))
        #expect(notJSON?.value == "header")
        let noHeaderLine = FileManager.default.temporaryDirectory.appendingPathComponent("kld-empty-\(UUID().uuidString)").path
        try Data().write(to: URL(fileURLWithPath: noHeaderLine))
        #expect(await Self.failure(noHeaderLine)?.value == "header")
        let chunkCount = await Self.failure(try Self.writeBase(rows: Self.zeroRows, header: """
            {"model": "m", "ctx": 32, "chunks": 3, "first": 16, "n_vocab": 258, "tokens": [[1]]}
            """))
        #expect(chunkCount?.value == "chunks")
        let shortChunk = await Self.failure(try Self.writeBase(rows: Self.zeroRows, header: """
            {"model": "m", "ctx": 32, "chunks": 1, "first": 16, "n_vocab": 258, "tokens": [[1, 2, 3]]}
            """))
        #expect(shortChunk?.value == "tokens")
        // A base for a larger vocabulary, and one with a token id the model does not have.
        let tokens = Self.chunks.map { "[" + $0.map(String.init).joined(separator: ",") + "]" }.joined(separator: ",")
        let wideRows = Self.zeroRows.map { $0.map { $0 + [-100] } }
        let wide = await Self.failure(try Self.writeBase(rows: wideRows, header: """
            {"model": "m", "ctx": 32, "chunks": 2, "first": 16, "n_vocab": 259, "tokens": [\(tokens)]}
            """))
        #expect(wide?.message.contains("vocabulary") == true && wide?.value == "259")
        let badToken = await Self.failure(try Self.writeBase(rows: Self.zeroRows, header: """
            {"model": "m", "ctx": 32, "chunks": 2, "first": 16, "n_vocab": 258, "tokens": [\(tokens.replacingOccurrences(of: "[256,", with: "[999,"))]}
            """))
        #expect(badToken?.value == "999")
        let context = await Self.failure(try Self.writeBase(rows: Self.zeroRows), contextLength: 48)
        #expect(context?.message.contains("context of 32 tokens, not 48") == true)
        let missing = await Self.failure("/nonexistent/kld-base.bin")
        #expect(missing?.value == "/nonexistent/kld-base.bin")
    }
}
