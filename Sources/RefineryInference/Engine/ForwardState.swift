import RefineryCore

/// The working memory and the building blocks of one forward pass over a ragged batch:
/// row-wise norms, matrix products through the kernels (activations quantized once per input
/// and shared by every weight row), RoPE, and paged attention.
///
/// Every buffer is allocated once, for the largest batch; a forward pass allocates nothing.
/// Every output element is computed by the same routine whatever the batch (batch invariance):
/// matrix rows by ``QuantizedDot`` on a row-wise quantized input, attention per (token, KV head)
/// over the KV blocks in position order (``AttentionKernels/attend(dimension:heads:queries:queryStride:keys:values:rowStride:blockTable:blockSize:firstPosition:count:scale:scratch:into:outputStride:level:)``).
final class ForwardState: @unchecked Sendable {
    let config: ModelConfiguration
    let architecture: Architecture
    let layers: [LayerWeights]
    let pool: WorkerPool
    let cache: PagedKVCache
    let maxTokens: Int
    let maxSequences: Int
    let maxBlocksPerSequence: Int
    let maxContext: Int

    // Activations, `[maxTokens][width]`.
    let x: UnsafeMutablePointer<Float>
    let xn: UnsafeMutablePointer<Float>
    let q: UnsafeMutablePointer<Float>
    let k: UnsafeMutablePointer<Float>
    let v: UnsafeMutablePointer<Float>
    let attention: UnsafeMutablePointer<Float>
    let projected: UnsafeMutablePointer<Float>
    let gate: UnsafeMutablePointer<Float>
    let up: UnsafeMutablePointer<Float>
    /// Quantized activations, three slots (one per distinct weight type of a projection group).
    let quantized: [UnsafeMutableRawPointer]
    let quantizedRowCapacity: Int
    /// Attention scores and weights, `[threads][query heads per KV head][maxContext]`.
    let scores: UnsafeMutablePointer<Float>
    /// RoPE cos/sin pairs per row, `[2 tables][maxTokens][ropeDimensions]`.
    let ropeTables: UnsafeMutablePointer<Float>
    /// Per-thread F16 staging (`[threads][halfScratchStride]`).
    let halfScratch: UnsafeMutablePointer<UInt16>
    let halfScratchStride: Int

    // The batch being run.
    let positions: UnsafeMutablePointer<Int32>
    let rowSequence: UnsafeMutablePointer<Int32>
    let blockTables: UnsafeMutablePointer<Int32>
    private(set) var tokenCount = 0

    init(config: ModelConfiguration, architecture: Architecture, layers: [LayerWeights], extraMatrices: [WeightMatrix],
         pool: WorkerPool, cache: PagedKVCache, maxTokens: Int, maxSequences: Int, maxContext: Int) {
        self.config = config
        self.architecture = architecture
        self.layers = layers
        self.pool = pool
        self.cache = cache
        self.maxTokens = maxTokens
        self.maxSequences = maxSequences
        self.maxContext = maxContext
        maxBlocksPerSequence = (maxContext + cache.blockSize - 1) / cache.blockSize
        let dim = config.embeddingLength
        let qDim = config.headCount * config.headDimension
        let kvDim = config.kvHeadCount * config.headDimension
        let ffn = config.feedForwardLength
        func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(1, count))
            p.initialize(repeating: 0, count: max(1, count))
            return p
        }
        x = floats(maxTokens * dim)
        xn = floats(maxTokens * dim)
        q = floats(maxTokens * qDim)
        k = floats(maxTokens * kvDim)
        v = floats(maxTokens * kvDim)
        attention = floats(maxTokens * qDim)
        projected = floats(maxTokens * dim)
        gate = floats(maxTokens * ffn)
        up = floats(maxTokens * ffn)
        var rowCapacity = 64
        for matrix in layers.flatMap(\.matrices) + extraMatrices {
            rowCapacity = max(rowCapacity, QuantizedDot.activationRowSize(for: matrix.type, count: matrix.columns))
        }
        quantizedRowCapacity = (rowCapacity + 63) / 64 * 64
        quantized = (0..<3).map { _ in
            UnsafeMutableRawPointer.allocate(byteCount: maxTokens * (rowCapacity + 63) / 64 * 64 + 64, alignment: 64)
        }
        scores = floats(pool.threadCount * (config.headCount / max(1, config.kvHeadCount)) * maxContext)
        ropeTables = floats(2 * maxTokens * config.ropeDimensions)
        halfScratchStride = (qDim + 31) / 32 * 32
        halfScratch = .allocate(capacity: pool.threadCount * halfScratchStride)
        positions = .allocate(capacity: maxTokens)
        rowSequence = .allocate(capacity: maxTokens)
        blockTables = .allocate(capacity: maxSequences * maxBlocksPerSequence)
        blockTables.initialize(repeating: 0, count: maxSequences * maxBlocksPerSequence)
    }

    deinit {
        for p in [x, xn, q, k, v, attention, projected, gate, up, scores, ropeTables] { p.deallocate() }
        halfScratch.deallocate()
        for p in quantized { p.deallocate() }
        positions.deallocate()
        rowSequence.deallocate()
        blockTables.deallocate()
    }

    /// Copies the batch's positions and block tables in, and computes its RoPE tables.
    func prepare(_ batch: ForwardBatch) {
        tokenCount = batch.count
        for (s, sequence) in batch.sequences.enumerated() {
            let table = blockTables + s * maxBlocksPerSequence
            for (i, block) in sequence.blocks.prefix(maxBlocksPerSequence).enumerated() { table[i] = block }
        }
        for t in 0..<batch.count {
            positions[t] = batch.positions[t]
            rowSequence[t] = batch.sequenceIndices[t]
        }
        let c = config
        let d = c.ropeDimensions
        let localBase = c.ropeFrequencyBaseLocal
        pool.parallelFor(batch.count, chunk: 16) { range, _ in
            for t in range {
                TensorOps.ropeTable(position: Int(self.positions[t]), dimensions: d, base: c.ropeFrequencyBase,
                                    scale: c.ropeFrequencyScale, into: self.ropeTables + t * d)
                if let localBase {
                    TensorOps.ropeTable(position: Int(self.positions[t]), dimensions: d, base: localBase, scale: 1,
                                        into: self.ropeTables + (self.maxTokens + t) * d)
                }
            }
        }
    }

    // MARK: Building blocks

    /// The Llama-style block (`llama`, `qwen2`): pre-norm attention and SwiGLU feed-forward.
    func standardBlock(_ index: Int, neox: Bool) {
        let layer = layers[index]
        let c = config
        let dim = c.embeddingLength
        let qDim = c.headCount * c.headDimension
        let kvDim = c.kvHeadCount * c.headDimension
        normRows(x, weight: layer.attentionNorm, out: xn, width: dim)
        project(xn, width: dim, (layer.query, q), (layer.key, k), (layer.value, v))
        if let bias = layer.queryBias { addBias(q, bias, width: qDim) }
        if let bias = layer.keyBias { addBias(k, bias, width: kvDim) }
        if let bias = layer.valueBias { addBias(v, bias, width: kvDim) }
        applyRoPE(table: 0, neox: neox)
        attend(layer: index, window: layer.slidingWindow, scale: c.attentionScale)
        project(attention, width: qDim, (layer.attentionOutput, projected))
        addResidual(projected)
        normRows(x, weight: layer.feedForwardNorm, out: xn, width: dim)
        project(xn, width: dim, (layer.gate, gate), (layer.up, up))
        gatedActivation(gelu: false)
        project(gate, width: c.feedForwardLength, (layer.down, projected))
        addResidual(projected)
    }

    /// RMSNorm of each row of `input` (`width` wide) into `out` (may be `input`).
    func normRows(_ input: UnsafeMutablePointer<Float>, weight: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>, width: Int) {
        let eps = config.rmsNormEpsilon
        rows(tokenCount) { t in
            TensorOps.rmsNorm(input + t &* width, weight: weight, out: out + t &* width, count: width, epsilon: eps)
        }
    }

    /// RMSNorm of every head (`headDimension` values) of every row of `x` (`heads` heads).
    func normHeads(_ x: UnsafeMutablePointer<Float>, weight: UnsafeMutablePointer<Float>, heads: Int) {
        let hd = config.headDimension
        let eps = config.rmsNormEpsilon
        rows(tokenCount) { t in
            for h in 0..<heads {
                let p = x + (t &* heads &+ h) &* hd
                TensorOps.rmsNorm(p, weight: weight, out: p, count: hd, epsilon: eps)
            }
        }
    }

    /// Adds `bias` to every row of `x`.
    func addBias(_ x: UnsafeMutablePointer<Float>, _ bias: UnsafeMutablePointer<Float>, width: Int) {
        for t in 0..<tokenCount { TensorOps.add(x + t &* width, bias, count: width) }
    }

    /// `x += delta`, row by row.
    func addResidual(_ delta: UnsafeMutablePointer<Float>) {
        let dim = config.embeddingLength
        TensorOps.add(x, delta, count: tokenCount * dim)
    }

    /// `gate = act(gate) * up`, SwiGLU or GEGLU.
    func gatedActivation(gelu: Bool) {
        let ffn = config.feedForwardLength
        let count = tokenCount * ffn
        if gelu {
            pool.parallelFor(count, chunk: max(1024, count / (pool.threadCount * 4))) { range, _ in
                TensorOps.geglu(self.gate + range.lowerBound, up: self.up + range.lowerBound, count: range.count)
            }
        } else {
            // Row by row: llama.cpp's SwiGLU treats a row's last (width mod 16) values apart.
            rows(tokenCount) { t in AttentionKernels.swiglu(self.gate + t &* ffn, up: self.up + t &* ffn, count: ffn) }
        }
    }

    /// Rotates the queries and keys of every row by its position.
    func applyRoPE(table: Int, neox: Bool) {
        let c = config
        let d = c.ropeDimensions
        let hd = c.headDimension
        let qDim = c.headCount * hd
        let kvDim = c.kvHeadCount * hd
        let tables = ropeTables + table * maxTokens * d
        rows(tokenCount) { t in
            let row = tables + t &* d
            TensorOps.rope(self.q + t &* qDim, heads: c.headCount, headDimension: hd, ropeDimensions: d, table: row, neox: neox)
            TensorOps.rope(self.k + t &* kvDim, heads: c.kvHeadCount, headDimension: hd, ropeDimensions: d, table: row, neox: neox)
        }
    }

    /// Multiplies every row of `input` (`width` wide) by up to three weight matrices in one
    /// parallel section; the input is quantized once per distinct weight type.
    func project(_ input: UnsafeMutablePointer<Float>, width: Int,
                 _ a: (WeightMatrix, UnsafeMutablePointer<Float>),
                 _ b: (WeightMatrix, UnsafeMutablePointer<Float>)? = nil,
                 _ c: (WeightMatrix, UnsafeMutablePointer<Float>)? = nil) {
        let n = tokenCount
        let stride = quantizedRowCapacity
        // Quantize the input for each distinct type (slot i for weight i unless shared).
        let typeA = a.0.type
        let typeB = b?.0.type ?? typeA
        let typeC = c?.0.type ?? typeA
        let slotB = typeB == typeA ? 0 : 1
        let slotC = typeC == typeA ? 0 : (typeC == typeB ? slotB : 2)
        quantize(input, width: width, type: typeA, into: quantized[0])
        if slotB == 1 { quantize(input, width: width, type: typeB, into: quantized[1]) }
        if slotC == 2 { quantize(input, width: width, type: typeC, into: quantized[2]) }
        let rowsA = a.0.rows
        let rowsB = b?.0.rows ?? 0
        let total = rowsA + rowsB + (c?.0.rows ?? 0)
        let actA = UnsafeRawPointer(quantized[0])
        let actB = UnsafeRawPointer(quantized[slotB])
        let actC = UnsafeRawPointer(quantized[slotC])
        // Chunks of whole tiles where a matrix is interleaved (every matrix's rows are whole tiles).
        let granularity = max(a.0.rowGranularity, b?.0.rowGranularity ?? 1, c?.0.rowGranularity ?? 1)
        let chunk = ForwardState.rowChunk(max(4, total / (pool.threadCount * 8)), granularity: granularity)
        pool.parallelFor(total, chunk: chunk) { range, _ in
            var r = range.lowerBound
            while r < range.upperBound {
                let matrix: WeightMatrix, out: UnsafeMutablePointer<Float>, act: UnsafeRawPointer, row: Int
                if r < rowsA {
                    (matrix, out, act, row) = (a.0, a.1, actA, r)
                } else if r < rowsA &+ rowsB {
                    (matrix, out, act, row) = (b!.0, b!.1, actB, r &- rowsA)
                } else {
                    (matrix, out, act, row) = (c!.0, c!.1, actC, r &- rowsA &- rowsB)
                }
                let end = min(range.upperBound, r < rowsA ? rowsA : (r < rowsA &+ rowsB ? rowsA &+ rowsB : total))
                ForwardState.multiplyRows(matrix, from: row, count: end &- r, activations: act, stride: stride, tokens: n, out: out)
                r = end
            }
        }
    }

    /// `rows` rounded up to a multiple of `granularity`.
    @inline(__always)
    static func rowChunk(_ rows: Int, granularity: Int) -> Int { (rows + granularity - 1) / granularity * granularity }

    /// Rows `first..<first+count` of `matrix` times every quantized token row (for an interleaved
    /// matrix, `first` and `count` whole tiles, or `count` reaching the last row).
    @inline(__always)
    static func multiplyRows(_ matrix: WeightMatrix, from first: Int, count: Int, activations: UnsafeRawPointer,
                             stride: Int, tokens: Int, out: UnsafeMutablePointer<Float>) {
        if tokens == 1 {
            QuantizedDot.matVec(matrix.type, count: matrix.columns, weights: matrix.row(first), rowStride: matrix.rowBytes,
                                rows: count, activations: activations, into: out + first, interleaved: matrix.interleaved)
            return
        }
        // Several rows: tiles of weight rows stay in cache while every token passes over them,
        // and groups of tokens share each unpacked weight row — bit-identical to the
        // matrix-vector products above, so a sequence's tokens do not depend on its batch.
        QuantizedDot.matMat(matrix.type, count: matrix.columns, weights: matrix.row(first), rowStride: matrix.rowBytes,
                            rows: count, activations: activations, activationStride: stride, columns: tokens,
                            into: out + first, outputStride: matrix.rows, interleaved: matrix.interleaved)
    }

    /// Quantizes every row of `input` for dot products with weights of `type`.
    func quantize(_ input: UnsafeMutablePointer<Float>, width: Int, type: GGMLType, into destination: UnsafeMutableRawPointer) {
        let stride = quantizedRowCapacity
        rows(tokenCount) { t in
            QuantizedDot.quantizeActivations(for: type, input + t &* width, into: destination + t &* stride, count: width)
        }
    }

    /// Writes this batch's keys and values into the cache, then computes attention for every
    /// (row, head): scores over the row's sequence positions (within `window`), in block order,
    /// softmax, and the weighted sum of values.
    func attend(layer: Int, window: Int?, scale: Float) {
        let c = config
        let hd = c.headDimension
        let heads = c.headCount
        let qDim = heads * hd
        let kvDim = c.kvHeadCount * hd
        let group = heads / c.kvHeadCount
        let blockSize = cache.blockSize
        let keyBase = cache.keyBase(layer: layer)
        let valueBase = cache.valueBase(layer: layer)
        let n = tokenCount
        // Store K and V (as F16), and round Q to F16 as ggml does before an F16 product.
        let halves = halfScratch
        let halfStride = halfScratchStride
        pool.parallelFor(n, chunk: 1) { range, thread in
            let half = halves + thread &* halfStride
            for t in range {
                let table = self.blockTables + Int(self.rowSequence[t]) &* self.maxBlocksPerSequence
                let position = Int(self.positions[t])
                let block = Int(table[position / blockSize])
                let slot = (block &* blockSize &+ position % blockSize) &* kvDim
                HalfRow.fromFloat(self.k + t &* kvDim, into: Self.bits(keyBase + slot), count: kvDim)
                HalfRow.fromFloat(self.v + t &* kvDim, into: Self.bits(valueBase + slot), count: kvDim)
                let qRow = self.q + t &* qDim
                HalfRow.fromFloat(qRow, into: half, count: qDim)
                HalfRow.toFloat(half, into: qRow, count: qDim)
            }
        }
        // One item per (token, KV head, part of its query heads): the heads of a group share each
        // key and value row the kernel reads. A group is split when there are too few items to
        // keep every thread busy (one token decoding); the split changes no bit.
        let kvHeads = c.kvHeadCount
        let splits = Self.attentionSplits(items: n * kvHeads, group: group, threads: pool.threadCount)
        let headsPerSplit = (group + splits - 1) / splits
        let scratchStride = group * maxContext
        pool.parallelFor(n * kvHeads * splits, chunk: 1) { range, thread in
            let scratch = self.scores + thread &* scratchStride
            for item in range {
                let t = item / (kvHeads &* splits)
                let kvHead = item % (kvHeads &* splits) / splits
                let firstHead = kvHead &* group &+ item % splits &* headsPerSplit
                let headCount = min(headsPerSplit, (kvHead &+ 1) &* group &- firstHead)
                guard headCount > 0 else { continue }
                let table = self.blockTables + Int(self.rowSequence[t]) &* self.maxBlocksPerSequence
                let position = Int(self.positions[t])
                let start = window.map { max(0, position &- $0 &+ 1) } ?? 0
                AttentionKernels.attend(dimension: hd, heads: headCount, queries: self.q + (t &* qDim &+ firstHead &* hd), queryStride: hd,
                                        keys: Self.bits(keyBase + kvHead &* hd), values: Self.bits(valueBase + kvHead &* hd),
                                        rowStride: kvDim, blockTable: table, blockSize: blockSize, firstPosition: start,
                                        count: position &- start &+ 1, scale: scale, scratch: scratch,
                                        into: self.attention + (t &* qDim &+ firstHead &* hd), outputStride: hd)
            }
        }
    }

    /// Into how many parts to split each group of query heads sharing a KV head, for `items`
    /// (token, KV head) pairs on `threads` threads: the split whose busiest thread has the least
    /// work (in whole groups), the fewest parts on a tie, since every part reads the group's keys
    /// and values again. Qwen2.5 decoding one token on two threads: two KV heads, no split;
    /// SmolLM2 (three): two parts each; Gemma 3 270M (one): two parts.
    static func attentionSplits(items: Int, group: Int, threads: Int) -> Int {
        guard items > 0, group > 1, threads > 1 else { return 1 }
        var best = 1, bestLoad = Double.infinity
        for splits in 1...group {
            let perThread = (items * splits + threads - 1) / threads
            let load = Double(perThread) / Double(splits)
            if load < bestLoad - 1e-9 { (best, bestLoad) = (splits, load) }
        }
        return best
    }

    /// The F16 cache storage as the kernels' `uint16_t` rows.
    @inline(__always)
    static func bits(_ pointer: UnsafeMutablePointer<Float16>) -> UnsafeMutablePointer<UInt16> {
        UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: UInt16.self)
    }

    /// Runs `body` for each row, in parallel when there are several.
    @inline(__always)
    func rows(_ count: Int, _ body: (Int) -> Void) {
        if count == 1 {
            body(0)
            return
        }
        pool.parallelFor(count, chunk: max(1, count / (pool.threadCount * 4))) { range, _ in
            for t in range { body(t) }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
