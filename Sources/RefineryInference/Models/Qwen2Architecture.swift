import RefineryCore
/// The `qwen2` family (Qwen2, Qwen2.5, Qwen2.5-Coder): the Llama block with biases on the Q, K
/// and V projections and RoPE in NeoX mode (pairs `i`, `i + d/2`).
enum Qwen2Architecture {
    static func adjust(_ config: inout ModelConfiguration) {}

    static func loadLayer(file: GGUFFile, index: Int, config: ModelConfiguration, store: VectorStore) throws(ModelError) -> LayerWeights {
        try LayerWeights(file: file, index: index, config: config, store: store, biases: true, qkNorm: false, postNorms: false)
    }

    static func forwardLayer(_ index: Int, _ state: ForwardState) {
        state.standardBlock(index, neox: true)
    }
}
