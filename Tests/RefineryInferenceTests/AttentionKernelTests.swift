import RefineryCore
import Foundation
import RefineryTesting
import Testing
@testable import RefineryInference

/// The attention and activation kernels: attention in its documented order (against an
/// independent re-implementation, across kernel levels and head groupings) and close to
/// llama.cpp's own tensors (layer 0 of SmolLM2, captured by scripts/reference/attention_reference.py);
/// SwiGLU and exp bit for bit with llama.cpp's.
@Suite("Attention kernels")
struct AttentionKernelTests {
    struct Layer: Decodable {
        struct Attention: Decodable { var query, keys, values, output: String }
        struct SwiGLU: Decodable { var gate, up, output: String }
        var head_dimension: Int
        var heads: Int
        var scale: Float
        var batched: Attention
        var sequential: Attention
        var swiglu: SwiGLU

        static func load() throws -> Layer {
            let url = try #require(Bundle.module.url(forResource: "smollm2-layer0", withExtension: "json", subdirectory: "Fixtures/engine"))
            return try JSONDecoder().decode(Layer.self, from: Data(contentsOf: url))
        }

        static func floats(_ base64: String) throws -> [Float] {
            let data = try #require(Data(base64Encoded: base64))
            return data.withUnsafeBytes { raw in (0..<data.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) } }
        }
    }

    static func halves(_ x: [Float]) -> [UInt16] { x.map { Float16($0).bitPattern } }

    /// A paged cache holding `keys` and `values` (`positions` rows of `rowStride` halves, the KV
    /// head at `offset`) in shuffled blocks of `blockSize` positions.
    struct PagedCache {
        var keys: [UInt16], values: [UInt16], table: [Int32]
        let rowStride: Int, blockSize: Int

        init(keys: [UInt16], values: [UInt16], positions: Int, rowStride: Int, blockSize: Int, seed: UInt64) {
            let blocks = (positions + blockSize - 1) / blockSize
            var rng = SplitMix64(state: seed)
            table = (0..<Int32(blocks)).shuffled(using: &rng)
            self.rowStride = rowStride
            self.blockSize = blockSize
            self.keys = [UInt16](repeating: 0x7E00, count: blocks * blockSize * rowStride) // NaN where nothing was written
            self.values = self.keys
            for p in 0..<positions {
                let row = (Int(table[p / blockSize]) * blockSize + p % blockSize) * rowStride
                self.keys.replaceSubrange(row..<(row + rowStride), with: keys[(p * rowStride)..<((p + 1) * rowStride)])
                self.values.replaceSubrange(row..<(row + rowStride), with: values[(p * rowStride)..<((p + 1) * rowStride)])
            }
        }
    }

    /// Attention of `heads` queries (`dimension` apart) at KV-head offset `offset` through the kernel.
    static func attend(_ cache: PagedCache, queries: [Float], heads: Int, dimension: Int, offset: Int, first: Int, count: Int,
                       scale: Float, level: KernelLevel?) -> [Float] {
        var scratch = [Float](repeating: 0, count: heads * count)
        var out = [Float](repeating: .nan, count: heads * dimension)
        cache.keys.withUnsafeBufferPointer { k in
            cache.values.withUnsafeBufferPointer { v in
                AttentionKernels.attend(dimension: dimension, heads: heads, queries: queries, queryStride: dimension,
                                        keys: k.baseAddress! + offset, values: v.baseAddress! + offset, rowStride: cache.rowStride,
                                        blockTable: cache.table, blockSize: cache.blockSize, firstPosition: first, count: count,
                                        scale: scale, scratch: &scratch, into: &out, outputStride: dimension, level: level)
            }
        }
        return out
    }

    /// The horizontal sum of 16 lanes: halves, quarters, then (0 + 2) + (1 + 3).
    static func reduce16(_ v: [Float]) -> Float {
        let t = (0..<8).map { v[$0] + v[$0 + 8] }
        let s = (0..<4).map { t[$0] + t[$0 + 4] }
        return (s[0] + s[2]) + (s[1] + s[3])
    }

    /// The documented order, written out independently of the kernels (softmax excepted).
    static func reference(_ cache: PagedCache, queries: [Float], heads: Int, dimension: Int, offset: Int, first: Int, count: Int,
                          scale: Float) -> [Float] {
        func row(_ data: [UInt16], _ p: Int) -> [Float] {
            let start = (Int(cache.table[p / cache.blockSize]) * cache.blockSize + p % cache.blockSize) * cache.rowStride + offset
            return data[start..<(start + dimension)].map { Float(Float16(bitPattern: $0)) }
        }
        var out: [Float] = []
        for h in 0..<heads {
            let q = Array(queries[(h * dimension)..<((h + 1) * dimension)])
            var weights = (first..<(first + count)).map { p -> Float in
                let key = row(cache.keys, p)
                var lanes = [Float](repeating: 0, count: 16)
                for d in 0..<dimension { lanes[d % 16] = lanes[d % 16].addingProduct(key[d], q[d]) }
                return reduce16(lanes) * scale
            }
            let largest = weights.max()!
            var exps = [Float](repeating: 0, count: count)
            AttentionKernels.exp(weights, minus: largest, into: &exps, count: count, level: .portable)
            var lanes = [Float](repeating: 0, count: 16)
            for (j, e) in exps.enumerated() { lanes[j % 16] += e }
            let inverse = 1 / reduce16(lanes)
            weights = exps.map { Float(Float16($0 * inverse)) }
            var o = [Float](repeating: 0, count: dimension)
            for (j, p) in (first..<(first + count)).enumerated() {
                let value = row(cache.values, p)
                for d in 0..<dimension { o[d] = o[d].addingProduct(weights[j], value[d]) }
            }
            out += o
        }
        return out
    }

    static func randomHalves(_ count: Int, _ range: ClosedRange<Float>, _ rng: inout SplitMix64) -> [UInt16] {
        (0..<count).map { _ in Float16(Float.random(in: range, using: &rng)).bitPattern }
    }

    @Test("attention follows its documented order at every level, through shuffled cache blocks, for any head grouping",
          arguments: [(64, 7, 1, 0), (64, 7, 37, 5), (64, 3, 300, 17), (80, 2, 70, 0), (128, 6, 130, 200), (256, 4, 45, 3),
                      (16, 9, 20, 0), (48, 5, 33, 1), (320, 2, 19, 0)])
    func documentedOrder(dimension: Int, heads: Int, count: Int, first: Int) {
        var rng = SplitMix64(state: UInt64(dimension * 1000 + count))
        let kvHeads = 2, offset = dimension // the second KV head of two
        let positions = first + count
        let cache = PagedCache(keys: Self.randomHalves(positions * kvHeads * dimension, -3...3, &rng),
                               values: Self.randomHalves(positions * kvHeads * dimension, -3...3, &rng),
                               positions: positions, rowStride: kvHeads * dimension, blockSize: 16, seed: UInt64(count))
        let queries = (0..<(heads * dimension)).map { _ in Float(Float16(Float.random(in: -3...3, using: &rng))) }
        let scale = 1 / Float(dimension).squareRoot()
        let want = Self.reference(cache, queries: queries, heads: heads, dimension: dimension, offset: offset, first: first, count: count,
                                  scale: scale)
        let results = atEachLevel { level in
            Self.attend(cache, queries: queries, heads: heads, dimension: dimension, offset: offset, first: first, count: count,
                        scale: scale, level: level).map(\.bitPattern)
        }
        for (level, bits) in results { #expect(bits == want.map(\.bitPattern), "d=\(dimension) heads=\(heads) n=\(count) \(level)") }
        // One head at a time gives the same bits as the whole group.
        for h in 0..<heads {
            let alone = Self.attend(cache, queries: Array(queries[(h * dimension)..<((h + 1) * dimension)]), heads: 1,
                                    dimension: dimension, offset: offset, first: first, count: count, scale: scale, level: nil)
            #expect(alone.map(\.bitPattern) == want[(h * dimension)..<((h + 1) * dimension)].map(\.bitPattern), "head \(h)")
        }
    }

    @Test("a group of query heads is split only when that leaves the busiest thread less to do")
    func splits() {
        // (token, KV head) items, heads per group, threads → parts per group.
        #expect(ForwardState.attentionSplits(items: 2, group: 7, threads: 2) == 1) // Qwen2.5 decoding: one KV head per thread
        #expect(ForwardState.attentionSplits(items: 3, group: 3, threads: 2) == 2) // SmolLM2: 6 parts, 3 per thread
        #expect(ForwardState.attentionSplits(items: 1, group: 4, threads: 2) == 2) // Gemma 3 270M: one KV head
        #expect(ForwardState.attentionSplits(items: 8, group: 7, threads: 2) == 1) // four sequences
        #expect(ForwardState.attentionSplits(items: 1, group: 4, threads: 1) == 1)
        #expect(ForwardState.attentionSplits(items: 1, group: 1, threads: 4) == 1)
        #expect(ForwardState.attentionSplits(items: 1, group: 8, threads: 4) == 4)
    }

    @Test("nothing is read past the positions asked for, and no position or head count gives NaN")
    func boundaries() {
        var rng = SplitMix64(state: 3)
        let dimension = 64
        for count in [1, 15, 16, 17, 31, 32, 33] {
            // Cache rows past `count` hold NaN (PagedCache fills unwritten rows with it).
            let cache = PagedCache(keys: Self.randomHalves(count * dimension, -2...2, &rng), values: Self.randomHalves(count * dimension, -2...2, &rng),
                                   positions: count, rowStride: dimension, blockSize: 32, seed: 1)
            let queries = (0..<(3 * dimension)).map { _ in Float(Float16(Float.random(in: -2...2, using: &rng))) }
            _ = atEachLevel { level in
                let out = Self.attend(cache, queries: queries, heads: 3, dimension: dimension, offset: 0, first: 0, count: count,
                                      scale: 0.125, level: level)
                let finite = out.allSatisfy { $0.isFinite }
                #expect(finite, "n=\(count) \(level)")
            }
        }
    }

    @Test("layer 0 of SmolLM2: attention is within F16 rounding of llama.cpp's tensors, for a batched prompt and a token alone")
    func llamaCppAttention() throws {
        let layer = try Layer.load()
        let d = layer.head_dimension, heads = layer.heads
        for (name, reference, batched) in [("batched", layer.batched, true), ("sequential", layer.sequential, false)] {
            let query = try Layer.floats(reference.query), output = try Layer.floats(reference.output)
            let keys = Self.halves(try Layer.floats(reference.keys)), values = Self.halves(try Layer.floats(reference.values))
            let tokens = keys.count / d
            let cache = PagedCache(keys: keys, values: values, positions: tokens, rowStride: d, blockSize: 32, seed: 7)
            // Batched: every prompt row; alone: the last token, which sees them all.
            let rows = batched ? Array(0..<tokens) : [tokens - 1]
            var worst: Float = 0, largest: Float = 0
            for (i, t) in rows.enumerated() {
                let q = query[(i * heads * d)..<((i + 1) * heads * d)].map { Float(Float16($0)) }
                let got = Self.attend(cache, queries: q, heads: heads, dimension: d, offset: 0, first: 0, count: t + 1, scale: layer.scale,
                                      level: nil)
                let want = output[(i * heads * d)..<((i + 1) * heads * d)]
                for (a, b) in zip(got, want) {
                    worst = max(worst, abs(a - b))
                    largest = max(largest, abs(b))
                }
            }
            // Each output is a weighted mean of F16 values: F16's relative step is 2^-11.
            #expect(worst <= largest * 0x1p-10, "\(name): worst difference \(worst) of \(largest)")
        }
    }

    @Test("SwiGLU gives llama.cpp's bits at every level")
    func llamaCppSwiGLU() throws {
        let layer = try Layer.load()
        let gate = try Layer.floats(layer.swiglu.gate), up = try Layer.floats(layer.swiglu.up), want = try Layer.floats(layer.swiglu.output)
        _ = atEachLevel { level in
            var g = gate
            AttentionKernels.swiglu(&g, up: up, count: g.count, level: level)
            #expect(g.map(\.bitPattern) == want.map(\.bitPattern), "\(level)")
        }
    }

    @Test("every level gives the same bits: attention weights, SwiGLU, exp")
    func levelsAgree() {
        var rng = SplitMix64(state: 9)
        for positions in [1, 7, 16, 37, 70, 130, 300, 4097] {
            let scores = (0..<positions).map { _ in Float.random(in: -30...30, using: &rng) }
            let results = atEachLevel { level -> [UInt32] in
                var s = scores
                AttentionKernels.weights(&s, count: positions, level: level)
                return s.map(\.bitPattern)
            }
            for (level, bits) in results { #expect(bits == results[0].1, "weights n=\(positions) \(level)") }
            let weights = results[0].1.map { Float(bitPattern: $0) }
            #expect(abs(weights.reduce(0, +) - 1) < 2e-3, "F16 weights sum to one within their rounding")
            #expect(weights.allSatisfy { Float(Float16($0)) == $0 }, "each weight is an F16 value")
        }
        for count in [1, 15, 16, 33, 1536] {
            let gate = (0..<count).map { _ in Float.random(in: -12...12, using: &rng) }
            let up = (0..<count).map { _ in Float.random(in: -3...3, using: &rng) }
            let results = atEachLevel { level -> [UInt32] in
                var g = gate
                AttentionKernels.swiglu(&g, up: up, count: count, level: level)
                return g.map(\.bitPattern)
            }
            for (level, bits) in results { #expect(bits == results[0].1, "swiglu n=\(count) \(level)") }
        }
        // exp across its ranges: subnormal and zero results, overflow, and the special values.
        let inputs: [Float] = [0, -0, 1, -1, 0.5, 10, -10, 80, 88.5, 89, 100, -80, -87.5, -88, -100, -103, -104, -110, -150, -200, -1000,
                               .infinity, -.infinity, .nan, .leastNonzeroMagnitude, 1e-30] + (0..<300).map { _ in Float.random(in: -120...90, using: &rng) }
        let results = atEachLevel { level -> [UInt32] in
            var out = [Float](repeating: 0, count: inputs.count)
            AttentionKernels.exp(inputs, minus: 0, into: &out, count: inputs.count, level: level)
            return out.map(\.bitPattern)
        }
        for (level, bits) in results { #expect(bits == results[0].1, "exp \(level)") }
        let values = results[0].1.map { Float(bitPattern: $0) }
        for (x, y) in zip(inputs, values) {
            if x.isNaN { #expect(y.isNaN); continue }
            let exact = Foundation.exp(Double(x))
            if exact > Double(Float.greatestFiniteMagnitude) { #expect(y == .infinity, "exp(\(x))"); continue }
            if exact < Double(Float.leastNormalMagnitude) { #expect(abs(Double(y) - exact) <= Double(Float.leastNonzeroMagnitude), "exp(\(x))"); continue }
            #expect(abs(Double(y) - exact) <= exact * 4e-7, "exp(\(x)) = \(y), want \(exact)")
        }
    }
}
