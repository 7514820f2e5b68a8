import Foundation
import RefineryCore
import RefineryInferenceTesting
import Testing
@testable import RefineryInference
import RefineryTesting

/// Weight matrices copied at load into the kernels' interleaved layout: the same rows, the same
/// products bit for bit, whole tiles or not, and the file's mapping still readable after its
/// pages are released.
@Suite("Interleaved weight matrices")
struct InterleavedWeightsTests {
    /// A tiny model's file written to disk and mapped, so releasing pages acts on a real mapping.
    static func mappedFile(_ type: GGMLType) throws -> GGUFFile {
        var writer = TinyGGUFWriter(architecture: "llama")
        writer.weightType = type
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("interleaved-\(type)-\(UUID().uuidString).gguf").path
        try Data(writer.bytes()).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try GGUFFile.open(path: path)
    }

    /// `matrix` interleaved into memory of its own, as the engine's load does into its shared mapping.
    static func interleaved(_ matrix: WeightMatrix, file: GGUFFile, wholeTiles: Bool = true) -> WeightMatrix {
        guard let bytes = matrix.interleavedByteCount(wholeTiles: wholeTiles), let rows = InterleavedRows(byteCount: bytes) else { return matrix }
        return matrix.interleaved(file: file, into: rows, at: 0, wholeTiles: wholeTiles)
    }

    /// Every row's values, and the products of rows `ranges` with `tokens` activation rows.
    static func readings(_ matrix: WeightMatrix, ranges: [Range<Int>], tokens: Int) -> (rows: [UInt32], products: [UInt32]) {
        var values = [Float](repeating: 0, count: matrix.columns)
        var rows: [UInt32] = []
        for r in 0..<matrix.rows {
            values.withUnsafeMutableBufferPointer { matrix.dequantizeRow(r, into: $0.baseAddress!) }
            rows += values.map(\.bitPattern)
        }
        var rng = SplitMix64(state: 3)
        let stride = QuantizedDot.activationRowSize(for: matrix.type, count: matrix.columns)
        var acts = [UInt8](repeating: 0, count: stride * tokens)
        for t in 0..<tokens {
            let x = (0..<matrix.columns).map { _ in Float.random(in: -1...1, using: &rng) }
            x.withUnsafeBufferPointer { input in
                acts.withUnsafeMutableBytes {
                    QuantizedDot.quantizeActivations(for: matrix.type, input.baseAddress!, into: $0.baseAddress! + t * stride, count: matrix.columns)
                }
            }
        }
        var out = [Float](repeating: .nan, count: matrix.rows * tokens)
        acts.withUnsafeBytes { a in
            out.withUnsafeMutableBufferPointer { o in
                for range in ranges {
                    ForwardState.multiplyRows(matrix, from: range.lowerBound, count: range.count, activations: a.baseAddress!, stride: stride,
                                              tokens: tokens, out: o.baseAddress!)
                }
            }
        }
        return (rows, out.map(\.bitPattern))
    }

    @Test("an interleaved matrix gives the same rows and the same product bits, past its last full tile too",
          arguments: [GGMLType.q5_0, .q4_1, .q8_0])
    func sameRowsAndProducts(type: GGMLType) throws {
        let file = try Self.mappedFile(type)
        // The tied head: 258 rows, sixteen tiles and two rows past them.
        let head = try WeightMatrix(file: file, name: "token_embd.weight", columns: 64, rows: TinyGGUFWriter.vocabularySize)
        #expect(Self.interleaved(head, file: file).interleaved == false)  // whole tiles only: 258 rows are not
        let ranges = [0..<16, 16..<48, 48..<258]
        let before1 = Self.readings(head, ranges: ranges, tokens: 1), before3 = Self.readings(head, ranges: ranges, tokens: 3)
        let interleaved = Self.interleaved(head, file: file, wholeTiles: false)
        #expect(interleaved.interleaved && interleaved.rowGranularity == 16 && head.rowGranularity == 1)
        let after1 = Self.readings(interleaved, ranges: ranges, tokens: 1), after3 = Self.readings(interleaved, ranges: ranges, tokens: 3)
        #expect(after1.rows == before1.rows)
        #expect(after1.products == before1.products)
        #expect(after3.products == before3.products)
        #expect(!after3.products.contains(Float.nan.bitPattern))
        // The released pages of the mapping read back from the file unchanged.
        #expect(Self.readings(head, ranges: ranges, tokens: 3) == before3)
        // A layer's matrix fills whole tiles (96 rows) and is interleaved at load.
        let gate = try WeightMatrix(file: file, name: "blk.0.ffn_gate.weight", columns: 64, rows: 96)
        let gateBefore = Self.readings(gate, ranges: [0..<32, 32..<96], tokens: 5)
        let gateAfter = Self.interleaved(gate, file: file)
        #expect(gateAfter.interleaved)
        #expect(Self.readings(gateAfter, ranges: [0..<32, 32..<96], tokens: 5) == gateBefore)
    }

    @Test("a model whose matrices are interleaved at load gives the same logits batched and token by token",
          arguments: [GGMLType.q5_0, .q4_1, .q8_0])
    func engineBatchInvariance(type: GGMLType) async throws {
        var writer = TinyGGUFWriter(architecture: "llama")
        writer.weightType = type
        let engine = try InferenceEngine(file: GGUFFile(bytes: writer.bytes()), options: .init(threads: 2, contextLength: 64))
        let tokens: [Int32] = [256, 72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100, 33, 10, 73, 116, 39, 115]
        let (batched, single) = try await engine.withExclusiveAccess { t -> ([UInt32], [UInt32]) in
            let vocabulary = t.config.vocabularySize
            let whole = KVSequence(cache: t.cache)
            try whole.reserve(upTo: tokens.count)
            var batch = ForwardBatch()
            let index = batch.addSequence(whole)
            for (i, token) in tokens.enumerated() { batch.add(token: token, position: i, sequence: index, logits: true) }
            let batched = Array(try t.forward(batch)).map(\.bitPattern)
            let alone = KVSequence(cache: t.cache)
            try alone.reserve(upTo: tokens.count)
            var single: [UInt32] = []
            for (i, token) in tokens.enumerated() {
                var step = ForwardBatch()
                let s = step.addSequence(alone)
                step.add(token: token, position: i, sequence: s, logits: true)
                single += Array(try t.forward(step)).map(\.bitPattern)
            }
            #expect(batched.count == tokens.count * vocabulary)
            return (batched, single)
        }
        #expect(batched == single)
        #expect(!batched.contains(Float.nan.bitPattern))
    }

    @Test("types without an interleaved layout stay as they are")
    func otherTypesStay() throws {
        for type in [GGMLType.f32, .f16] {
            let file = try Self.mappedFile(type)
            let matrix = try WeightMatrix(file: file, name: "blk.0.ffn_up.weight", columns: 64, rows: 96)
            let same = Self.interleaved(matrix, file: file, wholeTiles: false)
            #expect(!same.interleaved && same.data == matrix.data, "\(type)")
        }
        for type in [GGMLType.f32, .f16, .q4_0, .q5_1, .q4_K, .q6_K] { #expect(!QuantizedDot.hasInterleavedLayout(type)) }
    }
}
