#if canImport(Glibc)
import RefineryCore
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The perplexity of a model on a text, by llama.cpp's method (`llama-perplexity`).
public struct PerplexityResult: Sendable, Hashable {
    /// `exp` of the mean negative log-likelihood of the scored tokens.
    public var perplexity: Double
    /// Chunks of `contextLength` tokens evaluated.
    public var chunks: Int
    /// Tokens scored (the second half of each chunk, less one).
    public var scoredTokens: Int
}

extension InferenceEngine {
    /// Scores `tokens` as `llama-perplexity` does: the text is cut into chunks of
    /// `contextLength` tokens (the remainder is dropped), each evaluated from an empty cache
    /// (its first token replaced by `bos` when the model adds one); the tokens of the second half
    /// of each chunk are scored by the logits of the position before them. `progress` receives
    /// each chunk's index and the running perplexity.
    public func perplexity(tokens: [Int32], contextLength: Int, bos: Int32?,
                           progress: (@Sendable (_ chunk: Int, _ of: Int, _ perplexity: Double) -> Void)? = nil) async throws -> PerplexityResult {
        guard contextLength >= 4, contextLength <= self.contextLength else {
            throw ModelError.invalidMetadata("perplexity context", value: "\(contextLength) (the engine holds \(self.contextLength))")
        }
        let chunkCount = tokens.count / contextLength
        guard chunkCount > 0 else { throw ModelError.promptTooLong(tokens: tokens.count, context: contextLength) }
        var totalNLL: Double = 0
        var scored = 0
        for chunkIndex in 0..<chunkCount {
            try Task.checkCancellation()
            var chunk = Array(tokens[(chunkIndex * contextLength)..<((chunkIndex + 1) * contextLength)])
            if let bos { chunk[0] = bos }
            let frozen = chunk
            let (nll, count) = try await withExclusiveAccess { transformer in
                try Self.scoreChunk(frozen, transformer: transformer)
            }
            totalNLL += nll
            scored += count
            progress?(chunkIndex, chunkCount, exp(totalNLL / Double(scored)))
        }
        return PerplexityResult(perplexity: exp(totalNLL / Double(scored)), chunks: chunkCount, scoredTokens: scored)
    }

    /// Negative log-likelihood of the second half of `chunk`, and how many tokens it covers.
    static func scoreChunk(_ chunk: [Int32], transformer: Transformer) throws -> (Double, Int) {
        var nll: Double = 0
        var count = 0
        try forEachScoredRow(of: chunk, firstScored: chunk.count / 2, transformer: transformer) { position, logits in
            let maximum = logits.max() ?? 0
            var sum: Double = 0
            for value in logits { sum += exp(Double(value - maximum)) }
            nll += (Double(maximum) + log(sum)) - Double(logits[Int(chunk[position + 1])])
            count += 1
        }
        return (nll, count)
    }

    /// Evaluates `chunk` from an empty cache, all but its last token, and hands `body` the logits
    /// of each position from `firstScored` on (they predict the token after it), in order.
    static func forEachScoredRow(of chunk: [Int32], firstScored first: Int, transformer: Transformer,
                                 _ body: (_ position: Int, _ logits: UnsafeBufferPointer<Float>) throws -> Void) throws {
        let n = chunk.count
        let sequence = KVSequence(cache: transformer.cache)
        try sequence.reserve(upTo: n)
        let vocabulary = transformer.config.vocabularySize
        var batch = ForwardBatch()
        var position = 0
        while position < n - 1 {
            batch.removeAll()
            let index = batch.addSequence(sequence)
            var logitRows: [Int] = []
            while position < n - 1, batch.count < transformer.maxBatchTokens, logitRows.count < transformer.maxLogitRows {
                let wants = position >= first
                batch.add(token: chunk[position], position: position, sequence: index, logits: wants)
                if wants { logitRows.append(position) }
                position += 1
            }
            let logits = try transformer.forward(batch)
            for (row, at) in logitRows.enumerated() {
                try body(at, UnsafeBufferPointer(start: logits.baseAddress! + row * vocabulary, count: vocabulary))
            }
        }
    }
}
