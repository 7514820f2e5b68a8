import RefineryCore

/// A loaded decoder-only transformer: its hyperparameters, its weights (in place in the GGUF
/// mapping) and the forward pass over a ragged batch and a paged KV cache.
///
/// Not thread-safe: one forward pass at a time, from one thread (the engine's scheduler).
public final class Transformer: @unchecked Sendable {
    /// The model file (kept open: the weights live in its mapping).
    public let file: GGUFFile
    public let config: ModelConfiguration
    /// The KV cache the forward pass reads and writes.
    public let cache: PagedKVCache
    /// The threads the forward pass runs on.
    public let pool: WorkerPool
    let architecture: Architecture
    let store = VectorStore()
    let tokenEmbedding: WeightMatrix
    let output: WeightMatrix
    let outputNorm: UnsafeMutablePointer<Float>
    let state: ForwardState
    /// The most logit rows one forward pass returns.
    public let maxLogitRows: Int
    private let logits: UnsafeMutablePointer<Float>
    private let gathered: UnsafeMutablePointer<Float>

    /// Limits of one forward pass.
    public struct Limits: Sendable, Hashable {
        /// Most rows (tokens) per forward pass.
        public var maxBatchTokens: Int
        /// Most sequences per forward pass.
        public var maxSequences: Int
        /// Most rows that produce logits per forward pass.
        public var maxLogitRows: Int
        /// The longest sequence (positions).
        public var contextLength: Int
        /// Positions in the whole KV pool (shared by all sequences).
        public var cacheTokens: Int
        /// Positions per KV block.
        public var blockSize: Int

        public init(maxBatchTokens: Int = 512, maxSequences: Int = 16, maxLogitRows: Int = 64, contextLength: Int = 4096,
                    cacheTokens: Int? = nil, blockSize: Int = 32) {
            self.maxBatchTokens = maxBatchTokens
            self.maxSequences = maxSequences
            self.maxLogitRows = maxLogitRows
            self.contextLength = contextLength
            self.cacheTokens = cacheTokens ?? contextLength
            self.blockSize = blockSize
        }
    }

    /// Loads the model in `file` with `limits`, running on `pool`.
    public init(file: GGUFFile, limits: Limits, pool: WorkerPool) throws(ModelError) {
        self.file = file
        self.pool = pool
        let architecture = try Architecture(name: file.architecture ?? "")
        var config = try ModelConfiguration(file: file)
        architecture.adjust(&config)
        self.architecture = architecture
        self.config = config
        let dim = config.embeddingLength
        let embedding = try WeightMatrix(file: file, name: "token_embd.weight", columns: dim, rows: config.vocabularySize)
        let tied = file.tensor(named: "output.weight") == nil
        // A tied head is read whole every step and one row per token: interleaved for the
        // products, its rows are looked up through the layout's reverse.
        let head = tied ? embedding : try WeightMatrix(file: file, name: "output.weight", columns: dim, rows: config.vocabularySize)
        outputNorm = try store.load(file, "output_norm.weight", length: dim)!
        var layers: [LayerWeights] = []
        for index in 0..<config.layerCount {
            layers.append(try architecture.loadLayer(file: file, index: index, config: config, store: store))
        }
        output = Self.interleave(&layers, head: head, file: file, pool: pool)
        tokenEmbedding = tied ? output : embedding
        let context = max(1, limits.contextLength)
        let blockSize = max(1, limits.blockSize)
        let blocks = (max(limits.cacheTokens, context) + blockSize - 1) / blockSize
        cache = PagedKVCache(layerCount: config.layerCount, kvDimension: config.kvHeadCount * config.headDimension,
                             blockSize: blockSize, blockCount: blocks)
        maxLogitRows = max(1, limits.maxLogitRows)
        state = ForwardState(config: config, architecture: architecture, layers: layers, extraMatrices: [output],
                             pool: pool, cache: cache, maxTokens: max(1, limits.maxBatchTokens),
                             maxSequences: max(1, limits.maxSequences), maxContext: context)
        logits = .allocate(capacity: maxLogitRows * config.vocabularySize)
        gathered = .allocate(capacity: maxLogitRows * dim)
    }

    /// Copies the matrices that the kernels read faster interleaved into that layout, once, all in
    /// one allocation (so no matrix rounds its own memory up to a huge page): the blocks' matrices
    /// a block per thread, then the head on every thread. Returns the head.
    private static func interleave(_ layers: inout [LayerWeights], head: WeightMatrix, file: GGUFFile, pool: WorkerPool) -> WeightMatrix {
        var slots: [(block: Int, path: WritableKeyPath<LayerWeights, WeightMatrix>, offset: Int)] = []
        var total = 0
        for (index, block) in layers.enumerated() {
            for path in LayerWeights.matrixPaths {
                guard let bytes = block[keyPath: path].interleavedByteCount() else { continue }
                slots.append((index, path, total))
                total += bytes
            }
        }
        let headOffset = total
        total += head.interleavedByteCount(wholeTiles: false) ?? 0
        guard total > 0, let arena = InterleavedRows(byteCount: total) else { return head }
        let blockSlots = slots
        layers.withUnsafeMutableBufferPointer { blocks in
            guard let first = blocks.baseAddress else { return }
            pool.parallelFor(blocks.count) { range, _ in
                for slot in blockSlots where range.contains(slot.block) {
                    first[slot.block][keyPath: slot.path] = first[slot.block][keyPath: slot.path].interleaved(
                        file: file, into: arena, at: slot.offset)
                }
            }
        }
        return head.interleaved(file: file, into: arena, at: headOffset, wholeTiles: false, pool: pool)
    }

    deinit {
        logits.deallocate()
        gathered.deallocate()
    }

    /// The longest sequence a forward pass accepts.
    public var contextLength: Int { state.maxContext }
    /// Most rows per forward pass.
    public var maxBatchTokens: Int { state.maxTokens }
    /// Most sequences per forward pass.
    public var maxSequences: Int { state.maxSequences }

    /// Runs the batch: writes its keys and values into the sequences' blocks (which the caller
    /// reserved), advances each sequence's length, and returns the logits of ``ForwardBatch/logitRows``
    /// (`logitRows.count × vocabularySize` floats, valid until the next call). `isCancelled` is
    /// checked between layers; when it returns true the pass stops and throws `.cancelled`
    /// (the sequences' lengths are unchanged).
    public func forward(_ batch: ForwardBatch, isCancelled: () -> Bool = { false }) throws(ModelError) -> UnsafeMutableBufferPointer<Float> {
        let c = config
        let n = batch.count
        guard n > 0 else { return UnsafeMutableBufferPointer(start: logits, count: 0) }
        guard n <= state.maxTokens, batch.sequences.count <= state.maxSequences, batch.logitRows.count <= maxLogitRows else {
            throw .contextFull("batch of \(n) rows, \(batch.sequences.count) sequences, \(batch.logitRows.count) logit rows exceeds limits")
        }
        var ends = [Int](repeating: 0, count: batch.sequences.count)
        for t in 0..<n {
            let token = batch.tokens[t]
            guard token >= 0, Int(token) < c.vocabularySize else { throw .invalidToken(token, vocabulary: c.vocabularySize) }
            let s = Int(batch.sequenceIndices[t])
            let position = Int(batch.positions[t])
            guard position < state.maxContext, position < batch.sequences[s].capacity else {
                throw .contextFull("position \(position) is beyond the sequence's \(min(state.maxContext, batch.sequences[s].capacity)) reserved positions")
            }
            ends[s] = max(ends[s], position + 1)
        }
        state.prepare(batch)
        // Embeddings.
        let dim = c.embeddingLength
        let scale = architecture.embeddingScale(c)
        let embedding = tokenEmbedding
        let x = state.x
        state.rows(n) { t in
            embedding.dequantizeRow(Int(batch.tokens[t]), into: x + t &* dim)
            if scale != 1 { TensorOps.scale(x + t &* dim, count: dim, by: scale) }
        }
        for layer in 0..<c.layerCount {
            if isCancelled() { throw .cancelled }
            architecture.forwardLayer(layer, state)
        }
        for (s, sequence) in batch.sequences.enumerated() { sequence.length = max(sequence.length, ends[s]) }
        // Output head on the rows that want logits.
        let rows = batch.logitRows.count
        guard rows > 0 else { return UnsafeMutableBufferPointer(start: logits, count: 0) }
        for (i, row) in batch.logitRows.enumerated() {
            TensorOps.rmsNorm(x + Int(row) * dim, weight: outputNorm, out: gathered + i * dim, count: dim, epsilon: c.rmsNormEpsilon)
        }
        let vocabulary = c.vocabularySize
        let stride = state.quantizedRowCapacity
        let type = output.type
        let act = state.quantized[0]
        for i in 0..<rows {
            QuantizedDot.quantizeActivations(for: type, gathered + i * dim, into: act + i * stride, count: dim)
        }
        let out = logits
        let head = output
        let chunk = ForwardState.rowChunk(max(64, vocabulary / (pool.threadCount * 8)), granularity: head.rowGranularity)
        pool.parallelFor(vocabulary, chunk: chunk) { range, _ in
            ForwardState.multiplyRows(head, from: range.lowerBound, count: range.count, activations: act, stride: stride,
                                      tokens: rows, out: out)
        }
        if let cap = c.finalLogitSoftcap { TensorOps.softcap(logits, count: rows * vocabulary, cap: cap) }
        return UnsafeMutableBufferPointer(start: logits, count: rows * vocabulary)
    }
}
