import RefineryCore
/// How one model family wires a transformer block: the parts that differ between families.
///
/// Each family lives in its own file (``LlamaArchitecture``, ``Qwen2Architecture``,
/// ``Gemma3Architecture``) and says how to read its hyperparameters and weights and how a block
/// runs; the shared machinery (matrix products, paged attention, RoPE tables) is in ``Transformer``.
enum Architecture: String, Sendable, CaseIterable {
    case llama
    case qwen2
    case gemma3

    /// The architecture named by `general.architecture`.
    init(name: String) throws(ModelError) {
        guard let value = Architecture(rawValue: name) else { throw .unsupportedArchitecture(name) }
        self = value
    }

    /// Adjusts hyperparameters the family fixes outside the metadata (as llama.cpp does).
    func adjust(_ config: inout ModelConfiguration) {
        switch self {
        case .llama: LlamaArchitecture.adjust(&config)
        case .qwen2: Qwen2Architecture.adjust(&config)
        case .gemma3: Gemma3Architecture.adjust(&config)
        }
    }

    /// Loads block `index`.
    func loadLayer(file: GGUFFile, index: Int, config: ModelConfiguration, store: VectorStore) throws(ModelError) -> LayerWeights {
        switch self {
        case .llama: try LlamaArchitecture.loadLayer(file: file, index: index, config: config, store: store)
        case .qwen2: try Qwen2Architecture.loadLayer(file: file, index: index, config: config, store: store)
        case .gemma3: try Gemma3Architecture.loadLayer(file: file, index: index, config: config, store: store)
        }
    }

    /// Whether RoPE rotates pairs `(i, i + d/2)` (NeoX) rather than adjacent pairs.
    var ropeNeoX: Bool {
        switch self {
        case .llama: false
        case .qwen2, .gemma3: true
        }
    }

    /// Runs block `layer` over the batch in `state`.
    func forwardLayer(_ layer: Int, _ state: ForwardState) {
        switch self {
        case .llama: LlamaArchitecture.forwardLayer(layer, state)
        case .qwen2: Qwen2Architecture.forwardLayer(layer, state)
        case .gemma3: Gemma3Architecture.forwardLayer(layer, state)
        }
    }

    /// The factor the token embeddings are multiplied by.
    func embeddingScale(_ config: ModelConfiguration) -> Float {
        switch self {
        case .llama, .qwen2: 1
        case .gemma3: Float(config.embeddingLength).squareRoot()
        }
    }
}
