import RefineryCore
/// Everything a ``Tokenizer`` is built from, as plain values: the `tokenizer.ggml.*` metadata
/// of a GGUF file, or a vocabulary assembled in code (tests, synthetic models).
///
/// Optional fields are the metadata keys a file may omit; ``Tokenizer/init(data:)`` fills them
/// with llama.cpp's defaults for the tokenizer model.
public struct TokenizerData: Sendable {
    /// The tokenizer algorithm (`tokenizer.ggml.model`).
    public enum Model: String, Sendable {
        /// Byte-level BPE with merges and a pre-tokenizer (`gpt2`).
        case bytePairEncoding = "gpt2"
        /// SentencePiece-style BPE by token scores with byte fallback (`llama`).
        case sentencePiece = "llama"
    }

    /// `tokenizer.ggml.model`.
    public var model: Model
    /// `tokenizer.ggml.pre`: the pre-tokenizer name (byte-level BPE only).
    public var preTokenizer: String?
    /// `tokenizer.ggml.tokens`: each token's text as the file stores it, as bytes.
    public var tokens: [[UInt8]]
    /// `tokenizer.ggml.scores` (SentencePiece merge priorities).
    public var scores: [Float]?
    /// `tokenizer.ggml.token_type`: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte.
    public var tokenTypes: [Int32]?
    /// `tokenizer.ggml.merges`: "left right" pairs in byte-level spelling, by rank.
    public var merges: [[UInt8]]
    /// `tokenizer.ggml.bos_token_id`.
    public var bosID: Int32?
    /// `tokenizer.ggml.eos_token_id`.
    public var eosID: Int32?
    /// `tokenizer.ggml.eot_token_id`.
    public var eotID: Int32?
    /// `tokenizer.ggml.eom_token_id`.
    public var eomID: Int32?
    /// `tokenizer.ggml.unknown_token_id`.
    public var unknownID: Int32?
    /// `tokenizer.ggml.seperator_token_id`.
    public var separatorID: Int32?
    /// `tokenizer.ggml.padding_token_id`.
    public var paddingID: Int32?
    /// `tokenizer.ggml.add_bos_token`.
    public var addBOS: Bool?
    /// `tokenizer.ggml.add_eos_token`.
    public var addEOS: Bool?
    /// `tokenizer.ggml.add_space_prefix`.
    public var addSpacePrefix: Bool?

    public init(
        model: Model, preTokenizer: String? = nil, tokens: [[UInt8]], scores: [Float]? = nil,
        tokenTypes: [Int32]? = nil, merges: [[UInt8]] = [], bosID: Int32? = nil, eosID: Int32? = nil,
        eotID: Int32? = nil, eomID: Int32? = nil, unknownID: Int32? = nil, separatorID: Int32? = nil,
        paddingID: Int32? = nil, addBOS: Bool? = nil, addEOS: Bool? = nil, addSpacePrefix: Bool? = nil
    ) {
        self.model = model
        self.preTokenizer = preTokenizer
        self.tokens = tokens
        self.scores = scores
        self.tokenTypes = tokenTypes
        self.merges = merges
        self.bosID = bosID
        self.eosID = eosID
        self.eotID = eotID
        self.eomID = eomID
        self.unknownID = unknownID
        self.separatorID = separatorID
        self.paddingID = paddingID
        self.addBOS = addBOS
        self.addEOS = addEOS
        self.addSpacePrefix = addSpacePrefix
    }
}
