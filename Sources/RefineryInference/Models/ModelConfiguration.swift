import RefineryCore
/// The hyperparameters of a decoder-only transformer, read from GGUF metadata only.
public struct ModelConfiguration: Sendable, Hashable {
    /// `general.architecture` (`llama`, `qwen2`, `gemma3`).
    public var architecture: String
    /// Width of the residual stream.
    public var embeddingLength: Int
    public var layerCount: Int
    public var feedForwardLength: Int
    public var headCount: Int
    public var kvHeadCount: Int
    /// Dimensions of one attention head (keys and values).
    public var headDimension: Int
    /// Leading dimensions of each head that RoPE rotates.
    public var ropeDimensions: Int
    public var ropeFrequencyBase: Float
    /// Multiplies positions (1 / linear scaling factor).
    public var ropeFrequencyScale: Float
    /// RoPE base of sliding-window layers (Gemma 3), when it differs.
    public var ropeFrequencyBaseLocal: Float?
    public var rmsNormEpsilon: Float
    /// The context length the model was trained with.
    public var trainedContextLength: Int
    public var vocabularySize: Int
    /// Window of sliding-window attention layers, if any.
    public var slidingWindow: Int?
    /// Every `slidingWindowPattern`-th layer attends globally; the others use the window.
    public var slidingWindowPattern: Int
    /// `tanh` capping of the final logits, if the model uses it.
    public var finalLogitSoftcap: Float?
    /// Scale applied to attention scores.
    public var attentionScale: Float

    /// Reads the hyperparameters of `file`'s architecture.
    public init(file: GGUFFile) throws(ModelError) {
        guard let arch = file.architecture else { throw .missingMetadata("general.architecture") }
        architecture = arch
        func int(_ key: String) throws(ModelError) -> Int {
            guard let v = file.int("\(arch).\(key)") else { throw .missingMetadata("\(arch).\(key)") }
            guard v > 0, v < 1 << 24 else { throw .invalidMetadata("\(arch).\(key)", value: "\(v)") }
            return v
        }
        func optionalInt(_ key: String) throws(ModelError) -> Int? {
            guard file.metadata["\(arch).\(key)"] != nil else { return nil }
            return try int(key)
        }
        embeddingLength = try int("embedding_length")
        layerCount = try int("block_count")
        if let ff = file.int("\(arch).feed_forward_length") {
            feedForwardLength = ff
        } else if let perLayer = file.intArray("\(arch).feed_forward_length"), let first = perLayer.first,
                  perLayer.allSatisfy({ $0 == first }) {
            feedForwardLength = first
        } else {
            throw .missingMetadata("\(arch).feed_forward_length")
        }
        headCount = try int("attention.head_count")
        kvHeadCount = try optionalInt("attention.head_count_kv") ?? headCount
        guard headCount % kvHeadCount == 0 else {
            throw .invalidMetadata("\(arch).attention.head_count_kv", value: "\(kvHeadCount) does not divide \(headCount) heads")
        }
        headDimension = try optionalInt("attention.key_length") ?? embeddingLength / headCount
        if let valueLength = try optionalInt("attention.value_length"), valueLength != headDimension {
            throw .invalidMetadata("\(arch).attention.value_length", value: "\(valueLength) differs from key_length \(headDimension)")
        }
        ropeDimensions = try optionalInt("rope.dimension_count") ?? headDimension
        guard ropeDimensions <= headDimension, ropeDimensions % 2 == 0 else {
            throw .invalidMetadata("\(arch).rope.dimension_count", value: "\(ropeDimensions)")
        }
        ropeFrequencyBase = Float(file.float("\(arch).rope.freq_base") ?? 10_000)
        ropeFrequencyScale = 1
        if file.string("\(arch).rope.scaling.type") == "linear", let factor = file.float("\(arch).rope.scaling.factor"), factor > 0 {
            ropeFrequencyScale = Float(1 / factor)
        } else if let factor = file.float("\(arch).rope.scale_linear"), factor > 0 {
            ropeFrequencyScale = Float(1 / factor)
        }
        guard let eps = file.float("\(arch).attention.layer_norm_rms_epsilon") else {
            throw .missingMetadata("\(arch).attention.layer_norm_rms_epsilon")
        }
        rmsNormEpsilon = Float(eps)
        trainedContextLength = try optionalInt("context_length") ?? 2048
        guard let embedding = file.tensor(named: "token_embd.weight"), embedding.shape.count == 2 else {
            throw .missingTensor("token_embd.weight")
        }
        vocabularySize = embedding.shape[1]
        slidingWindow = try optionalInt("attention.sliding_window")
        slidingWindowPattern = try optionalInt("attention.sliding_window_pattern") ?? 1
        ropeFrequencyBaseLocal = nil
        finalLogitSoftcap = file.float("\(arch).final_logit_softcapping").map(Float.init).flatMap { $0 > 0 ? $0 : nil }
        attentionScale = 1 / Float(headDimension).squareRoot()
    }

    /// Whether layer `index` uses sliding-window attention.
    public func usesSlidingWindow(layer index: Int) -> Bool {
        guard slidingWindow != nil, slidingWindowPattern > 1 else { return false }
        return index % slidingWindowPattern < slidingWindowPattern - 1
    }
}
