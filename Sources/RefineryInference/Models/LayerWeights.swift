import RefineryCore
/// The weights of one transformer block, as the architectures of this engine use them. Optional
/// members are present only in the architectures that have them (biases in Qwen2; QK norms and
/// post-norms in Gemma 3).
struct LayerWeights: @unchecked Sendable {
    var attentionNorm: UnsafeMutablePointer<Float>
    var query: WeightMatrix
    var key: WeightMatrix
    var value: WeightMatrix
    var attentionOutput: WeightMatrix
    var queryBias: UnsafeMutablePointer<Float>?
    var keyBias: UnsafeMutablePointer<Float>?
    var valueBias: UnsafeMutablePointer<Float>?
    var queryNorm: UnsafeMutablePointer<Float>?
    var keyNorm: UnsafeMutablePointer<Float>?
    var postAttentionNorm: UnsafeMutablePointer<Float>?
    var feedForwardNorm: UnsafeMutablePointer<Float>
    var gate: WeightMatrix
    var up: WeightMatrix
    var down: WeightMatrix
    var postFeedForwardNorm: UnsafeMutablePointer<Float>?
    /// Sliding-window size of this layer's attention, if it uses one.
    var slidingWindow: Int?
    /// Which RoPE table this layer uses (0: global base, 1: local base).
    var ropeTable: Int

    /// Loads block `index` by llama.cpp's tensor names (`blk.N.attn_q.weight`, …).
    init(file: GGUFFile, index: Int, config: ModelConfiguration, store: VectorStore,
         biases: Bool, qkNorm: Bool, postNorms: Bool) throws(ModelError) {
        let p = "blk.\(index)."
        let dim = config.embeddingLength
        let qDim = config.headCount * config.headDimension
        let kvDim = config.kvHeadCount * config.headDimension
        attentionNorm = try store.load(file, p + "attn_norm.weight", length: dim)!
        query = try WeightMatrix(file: file, name: p + "attn_q.weight", columns: dim, rows: qDim)
        key = try WeightMatrix(file: file, name: p + "attn_k.weight", columns: dim, rows: kvDim)
        value = try WeightMatrix(file: file, name: p + "attn_v.weight", columns: dim, rows: kvDim)
        attentionOutput = try WeightMatrix(file: file, name: p + "attn_output.weight", columns: qDim, rows: dim)
        queryBias = try store.load(file, p + "attn_q.bias", length: qDim, required: biases)
        keyBias = try store.load(file, p + "attn_k.bias", length: kvDim, required: biases)
        valueBias = try store.load(file, p + "attn_v.bias", length: kvDim, required: biases)
        queryNorm = qkNorm ? try store.load(file, p + "attn_q_norm.weight", length: config.headDimension) : nil
        keyNorm = qkNorm ? try store.load(file, p + "attn_k_norm.weight", length: config.headDimension) : nil
        postAttentionNorm = postNorms ? try store.load(file, p + "post_attention_norm.weight", length: dim) : nil
        feedForwardNorm = try store.load(file, p + "ffn_norm.weight", length: dim)!
        gate = try WeightMatrix(file: file, name: p + "ffn_gate.weight", columns: dim, rows: config.feedForwardLength)
        up = try WeightMatrix(file: file, name: p + "ffn_up.weight", columns: dim, rows: config.feedForwardLength)
        down = try WeightMatrix(file: file, name: p + "ffn_down.weight", columns: config.feedForwardLength, rows: dim)
        postFeedForwardNorm = postNorms ? try store.load(file, p + "post_ffw_norm.weight", length: dim) : nil
        slidingWindow = config.usesSlidingWindow(layer: index) ? config.slidingWindow : nil
        ropeTable = slidingWindow != nil && config.ropeFrequencyBaseLocal != nil ? 1 : 0
    }

    /// Where the block's weight matrices are, for code that replaces them in turn.
    static var matrixPaths: [WritableKeyPath<LayerWeights, WeightMatrix>] { [\.query, \.key, \.value, \.attentionOutput, \.gate, \.up, \.down] }

    /// Every weight matrix of the block.
    var matrices: [WeightMatrix] { Self.matrixPaths.map { self[keyPath: $0] } }
}
