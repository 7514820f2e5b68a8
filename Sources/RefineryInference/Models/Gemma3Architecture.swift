import RefineryCore
/// The `gemma3` family: embeddings scaled by √dim; RMSNorm on queries and keys per head;
/// norms before and after both attention and feed-forward; a GELU-gated feed-forward;
/// sliding-window attention on five layers of six (window from metadata) with a local RoPE base
/// of 10 000, global layers on the metadata base; RoPE in NeoX mode; attention scaled by
/// 1/√headDimension; the final logits capped with `tanh` when the metadata asks for it.
/// (Gemma's GGUF converter already adds 1 to its norm weights.)
enum Gemma3Architecture {
    static func adjust(_ config: inout ModelConfiguration) {
        if config.slidingWindow != nil && config.slidingWindowPattern <= 1 { config.slidingWindowPattern = 6 }
        config.ropeFrequencyBaseLocal = 10_000
    }

    static func loadLayer(file: GGUFFile, index: Int, config: ModelConfiguration, store: VectorStore) throws(ModelError) -> LayerWeights {
        try LayerWeights(file: file, index: index, config: config, store: store, biases: false, qkNorm: true, postNorms: true)
    }

    static func forwardLayer(_ index: Int, _ s: ForwardState) {
        let layer = s.layers[index]
        let c = s.config
        let dim = c.embeddingLength
        let hd = c.headDimension
        // Attention: x → norm → Q/K/V → per-head norm on Q, K → RoPE → attention → out → post-norm.
        s.normRows(s.x, weight: layer.attentionNorm, out: s.xn, width: dim)
        s.project(s.xn, width: dim, (layer.query, s.q), (layer.key, s.k), (layer.value, s.v))
        s.normHeads(s.q, weight: layer.queryNorm!, heads: c.headCount)
        s.normHeads(s.k, weight: layer.keyNorm!, heads: c.kvHeadCount)
        s.applyRoPE(table: layer.ropeTable, neox: true)
        s.attend(layer: index, window: layer.slidingWindow, scale: 1 / Float(hd).squareRoot())
        s.project(s.attention, width: c.headCount * hd, (layer.attentionOutput, s.projected))
        s.normRows(s.projected, weight: layer.postAttentionNorm!, out: s.projected, width: dim)
        s.addResidual(s.projected)
        // Feed-forward: norm → gelu(gate) · up → down → post-norm.
        s.normRows(s.x, weight: layer.feedForwardNorm, out: s.xn, width: dim)
        s.project(s.xn, width: dim, (layer.gate, s.gate), (layer.up, s.up))
        s.gatedActivation(gelu: true)
        s.project(s.gate, width: c.feedForwardLength, (layer.down, s.projected))
        s.normRows(s.projected, weight: layer.postFeedForwardNorm!, out: s.projected, width: dim)
        s.addResidual(s.projected)
    }
}
