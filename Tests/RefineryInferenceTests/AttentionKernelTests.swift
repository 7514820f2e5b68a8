import RefineryCore
import Foundation
import RefineryTesting
import Testing
import RefineryInference

/// The attention and activation kernels that follow llama.cpp's CPU order: equal to llama.cpp's
/// own tensors (layer 0 of SmolLM2, captured by scripts/reference/attention_reference.py), to
/// independent re-implementations of the two summation orders, and across kernel levels.
@Suite("Attention kernels in llama.cpp's order")
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

    /// One (token, head) of attention as the engine runs it: query rounded to F16, scores,
    /// softmax, weights rounded to F16, weighted values.
    static func attend(query: [Float], keys: [UInt16], values: [UInt16], positions: Int, dimension: Int, scale: Float,
                       batched: Bool, level: KernelLevel?) -> [Float] {
        let q = query.map { Float(Float16($0)) }
        var scores = [Float](repeating: 0, count: positions)
        var lanes = [Float](repeating: 0, count: AttentionKernels.laneCount(count: dimension))
        var out = [Float](repeating: 0, count: dimension)
        keys.withUnsafeBufferPointer { k in
            AttentionKernels.scores(keys: k.baseAddress!, keyStride: 2 * dimension, rows: positions, query: q, count: dimension,
                                    into: &scores, batched: batched, level: level)
        }
        AttentionKernels.softmax(&scores, count: positions, firstPosition: 0, scale: scale, level: level)
        scores = scores.map { Float(Float16($0)) }
        values.withUnsafeBufferPointer { v in
            AttentionKernels.weightedValues(weights: scores, values: v.baseAddress!, valueStride: 2 * dimension, rows: positions,
                                            firstPosition: 0, count: dimension, lanes: &lanes, into: &out, batched: batched, level: level)
        }
        return out
    }

    @Test("layer 0 of SmolLM2: attention gives llama.cpp's bits for a batched prompt and for a token alone, at every level")
    func llamaCppAttention() throws {
        let layer = try Layer.load()
        let d = layer.head_dimension, heads = layer.heads
        for (name, reference, batched) in [("batched", layer.batched, true), ("sequential", layer.sequential, false)] {
            let query = try Layer.floats(reference.query), output = try Layer.floats(reference.output)
            let keys = Self.halves(try Layer.floats(reference.keys)), values = Self.halves(try Layer.floats(reference.values))
            let tokens = keys.count / d
            // Batched: every prompt row; alone: the last token, which sees them all.
            let rows = batched ? Array(0..<tokens) : [tokens - 1]
            _ = atEachLevel { level in
                var mismatches = 0
                for (i, t) in rows.enumerated() {
                    for h in 0..<heads {
                        let q = Array(query[((i * heads + h) * d)..<((i * heads + h + 1) * d)])
                        let got = Self.attend(query: q, keys: keys, values: values, positions: t + 1, dimension: d, scale: layer.scale,
                                              batched: batched, level: level)
                        let want = output[((i * heads + h) * d)..<((i * heads + h + 1) * d)]
                        mismatches += zip(got, want).filter { $0.bitPattern != $1.bitPattern }.count
                    }
                }
                #expect(mismatches == 0, "\(name) \(level)")
            }
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

    /// The horizontal sum of 16 lanes in ggml's order.
    static func reduce16(_ v: [Float]) -> Float {
        let t = (0..<8).map { v[$0] + v[$0 + 8] }
        let s = (0..<4).map { t[$0] + t[$0 + 4] }
        return (s[0] + s[2]) + (s[1] + s[3])
    }

    @Test("scores follow llamafile's 16 lanes (batched) and ggml's 64 lanes with a double tail (alone)")
    func scoreOrders() {
        var rng = SplitMix64(state: 5)
        for dimension in [16, 64, 80, 256] {
            let rows = 5
            let keys = (0..<rows * dimension).map { _ in Float16(Float.random(in: -2...2, using: &rng)).bitPattern }
            let query = (0..<dimension).map { _ in Float(Float16(Float.random(in: -2...2, using: &rng))) }
            for batched in [true, false] {
                var scores = [Float](repeating: 0, count: rows)
                keys.withUnsafeBufferPointer { k in
                    AttentionKernels.scores(keys: k.baseAddress!, keyStride: 2 * dimension, rows: rows, query: query, count: dimension,
                                            into: &scores, batched: batched)
                }
                for r in 0..<rows {
                    let key = (0..<dimension).map { Float(Float16(bitPattern: keys[r * dimension + $0])) }
                    let want: Float
                    if batched && dimension % 16 == 0 {
                        var lanes = [Float](repeating: 0, count: 16)
                        for i in 0..<dimension { lanes[i % 16] = lanes[i % 16].addingProduct(key[i], query[i]) }
                        want = Self.reduce16(lanes)
                    } else {
                        var lanes = [Float](repeating: 0, count: 64)
                        let full = dimension / 64 * 64
                        for i in 0..<full { lanes[i % 64] = lanes[i % 64].addingProduct(key[i], query[i]) }
                        let x: [Float] = (0..<16).map { l -> Float in
                            let a: Float = lanes[l] + lanes[l + 32]
                            let b: Float = lanes[l + 16] + lanes[l + 48]
                            return a + b
                        }
                        var sum = Double(Self.reduce16(x))
                        for i in full..<dimension { sum += Double(key[i] * query[i]) }
                        want = Float(sum)
                    }
                    #expect(scores[r].bitPattern == want.bitPattern, "d=\(dimension) batched=\(batched) row \(r)")
                }
            }
        }
    }

    @Test("every level gives the same bits: scores, softmax (any first cell), weighted values, SwiGLU, exp")
    func levelsAgree() {
        var rng = SplitMix64(state: 9)
        for (dimension, positions, first) in [(64, 1, 0), (64, 37, 5), (80, 70, 0), (256, 130, 200), (64, 300, 17)] {
            let keys = (0..<positions * dimension).map { _ in Float16(Float.random(in: -3...3, using: &rng)).bitPattern }
            let values = (0..<positions * dimension).map { _ in Float16(Float.random(in: -3...3, using: &rng)).bitPattern }
            let query = (0..<dimension).map { _ in Float(Float16(Float.random(in: -3...3, using: &rng))) }
            for batched in [true, false] {
                let results = atEachLevel { level -> [UInt32] in
                    var scores = [Float](repeating: 0, count: positions)
                    var lanes = [Float](repeating: 0, count: AttentionKernels.laneCount(count: dimension))
                    var out = [Float](repeating: 0, count: dimension)
                    keys.withUnsafeBufferPointer { k in
                        AttentionKernels.scores(keys: k.baseAddress!, keyStride: 2 * dimension, rows: positions, query: query,
                                                count: dimension, into: &scores, batched: batched, level: level)
                    }
                    AttentionKernels.softmax(&scores, count: positions, firstPosition: first, scale: 0.125, level: level)
                    values.withUnsafeBufferPointer { v in
                        AttentionKernels.weightedValues(weights: scores, values: v.baseAddress!, valueStride: 2 * dimension, rows: positions,
                                                        firstPosition: first, count: dimension, lanes: &lanes, into: &out,
                                                        batched: batched, level: level)
                    }
                    #expect(lanes.allSatisfy { $0.bitPattern == 0 }, "the lanes are left zero for the next call")
                    return (scores + out).map(\.bitPattern)
                }
                for (level, bits) in results { #expect(bits == results[0].1, "d=\(dimension) n=\(positions) batched=\(batched) \(level)") }
                let weights = results[0].1.prefix(positions).map { Float(bitPattern: $0) }
                #expect(abs(weights.reduce(0, +) - 1) < 1e-5)
            }
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
