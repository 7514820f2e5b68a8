import RefineryCore
extension InferenceModel {
    /// A ``TokenMaskBuilder`` over this model's vocabulary: each token's bytes as the streaming
    /// detokenizer writes them (control tokens have none and are never allowed), the
    /// tokenizer's end-of-generation tokens allowed only once a document is complete. Building it
    /// walks the whole vocabulary (tens of milliseconds for 150k tokens): build it once per model
    /// and share it, since its per-grammar mask caches are what make masking cheap.
    public func makeTokenMasks() -> TokenMaskBuilder {
        let vocabulary = (0..<tokenizer.vocabularySize).map { tokenizer.piece(Int32($0), special: false) }
        return TokenMaskBuilder(vocabulary: vocabulary, eogTokens: Set(tokenizer.endOfGenerationIDs.map(Int.init)))
    }
}
