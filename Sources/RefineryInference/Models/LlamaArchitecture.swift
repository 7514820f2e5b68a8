import RefineryCore
/// The `llama` family (Llama 2/3, SmolLM2, TinyLlama): pre-norm blocks with RMSNorm,
/// grouped-query attention with RoPE in ggml's normal mode (adjacent pairs — the GGUF converter
/// permutes Q and K for it), and a SwiGLU feed-forward.
enum LlamaArchitecture {
    static func adjust(_ config: inout ModelConfiguration) {}

    static func loadLayer(file: GGUFFile, index: Int, config: ModelConfiguration, store: VectorStore) throws(ModelError) -> LayerWeights {
        try LayerWeights(file: file, index: index, config: config, store: store, biases: false, qkNorm: false, postNorms: false)
    }

    static func forwardLayer(_ index: Int, _ state: ForwardState) {
        state.standardBlock(index, neox: false)
    }
}
