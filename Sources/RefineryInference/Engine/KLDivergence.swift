#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How far the engine's token distributions lie from a reference's (`llama-perplexity
/// --kl-divergence`): the Kullback-Leibler divergence KL(base ‖ engine) at every scored position,
/// and both perplexities on the same tokens.
public struct KLDivergenceResult: Sendable, Hashable {
    /// The engine's perplexity on the base's tokens.
    public var perplexity: Double
    /// The base's perplexity on its own tokens.
    public var basePerplexity: Double
    /// The mean KL divergence over the scored positions, in nats.
    public var meanKLD: Double
    /// The 99th percentile of the positions' KL divergences (linear interpolation between the
    /// nearest ranks, as llama-perplexity computes it).
    public var kldP99: Double
    /// The largest KL divergence at any position.
    public var kldMax: Double
    /// The share (0...1) of positions where the engine's most likely token is the base's.
    public var sameTopFraction: Double
    /// Scored positions.
    public var positions: Int
    /// Chunks evaluated.
    public var chunks: Int

    /// Combines per-position divergences and log-likelihoods into the summary figures.
    /// `divergences` need not be sorted; every array holds one entry per position.
    public init(divergences: [Double], logLikelihoods: [Double], baseLogLikelihoods: [Double], sameTop: Int, chunks: Int) {
        let count = divergences.count
        positions = count
        self.chunks = chunks
        guard count > 0 else {
            perplexity = .nan
            basePerplexity = .nan
            meanKLD = .nan
            kldP99 = .nan
            kldMax = .nan
            sameTopFraction = .nan
            return
        }
        perplexity = exp(-logLikelihoods.reduce(0, +) / Double(count))
        basePerplexity = exp(-baseLogLikelihoods.reduce(0, +) / Double(count))
        meanKLD = divergences.reduce(0, +) / Double(count)
        let sorted = divergences.sorted()
        kldP99 = Self.percentile(sorted, 0.99)
        kldMax = sorted[count - 1]
        sameTopFraction = Double(sameTop) / Double(count)
    }

    /// The `fraction` percentile of sorted values, interpolated between the nearest ranks.
    static func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
        let place = fraction * Double(sorted.count - 1)
        let below = Int(place)
        let weight = place - Double(below)
        return (1 - weight) * sorted[below] + weight * sorted[min(below + 1, sorted.count - 1)]
    }
}

/// One scored position compared: the base's log-probabilities against the engine's logits.
struct KLDivergencePosition: Sendable {
    /// KL(base ‖ engine) in nats.
    var divergence: Double
    /// The engine's log-probability of the next token.
    var logLikelihood: Double
    /// The base's log-probability of the next token.
    var baseLogLikelihood: Double
    /// Whether both put the same token first.
    var sameTop: Bool

    /// Compares `baseLogProbabilities` (normalized, float32) with the engine's raw `logits`, in double.
    init(baseLogProbabilities base: UnsafeBufferPointer<Float>, logits: UnsafeBufferPointer<Float>, next: Int) {
        var maximum = -Float.infinity
        var top = 0
        for i in 0..<logits.count where logits[i] > maximum {
            maximum = logits[i]
            top = i
        }
        var sum: Double = 0
        for value in logits { sum += exp(Double(value) - Double(maximum)) }
        let logNormalizer = Double(maximum) + log(sum)
        var divergence: Double = 0
        var baseMaximum = -Float.infinity
        var baseTop = 0
        for i in 0..<base.count {
            let b = base[i]
            if b > baseMaximum {
                baseMaximum = b
                baseTop = i
            }
            let p = exp(Double(b))
            if p > 0 { divergence += p * (Double(b) - Self.logProbability(logits[i], logNormalizer)) }
        }
        self.divergence = divergence
        logLikelihood = Self.logProbability(logits[next], logNormalizer)
        baseLogLikelihood = Double(base[next])
        sameTop = top == baseTop
    }
}

extension KLDivergencePosition {
    /// The engine's log-probability of a token, rounded to float32 as the base's are, so that a
    /// base holding the engine's own distribution compares at exactly zero.
    @inline(__always)
    static func logProbability(_ logit: Float, _ logNormalizer: Double) -> Double {
        Double(Float(Double(logit) - logNormalizer))
    }
}

extension InferenceEngine {
    /// Evaluates the base's token ids chunk by chunk, as ``perplexity(tokens:contextLength:bos:progress:)``
    /// does, and compares the engine's distribution at every scored position with the base's
    /// (`llama-perplexity --kl-divergence`). Throws ``KLDivergenceBaseError`` when the base does not
    /// fit this model (vocabulary) or `contextLength` (the base's context), before any evaluation.
    /// `progress` receives each chunk's index and the running mean KL divergence.
    public func klDivergence(against base: KLDivergenceBase, contextLength: Int,
                             progress: (@Sendable (_ chunk: Int, _ of: Int, _ meanKLD: Double) -> Void)? = nil) async throws -> KLDivergenceResult {
        try base.validate(vocabularySize: config.vocabularySize, contextLength: contextLength)
        guard contextLength <= self.contextLength else {
            throw ModelError.invalidMetadata("perplexity context", value: "\(contextLength) (the engine holds \(self.contextLength))")
        }
        var divergences: [Double] = []
        var logLikelihoods: [Double] = []
        var baseLogLikelihoods: [Double] = []
        var sameTop = 0
        for (chunkIndex, chunk) in base.chunks.enumerated() {
            try Task.checkCancellation()
            let compared = try await withExclusiveAccess { transformer -> [KLDivergencePosition] in
                let reader = try KLDivergenceBase.ChunkReader(base)
                var row = [Float](repeating: 0, count: base.vocabularySize)
                var positions: [KLDivergencePosition] = []
                positions.reserveCapacity(base.positionsPerChunk)
                try Self.forEachScoredRow(of: chunk, firstScored: base.firstScored, transformer: transformer) { position, logits in
                    try row.withUnsafeMutableBufferPointer { buffer in
                        try reader.read(chunk: chunkIndex, row: position - base.firstScored, into: buffer)
                        positions.append(KLDivergencePosition(baseLogProbabilities: UnsafeBufferPointer(buffer), logits: logits,
                                                              next: Int(chunk[position + 1])))
                    }
                }
                return positions
            }
            for position in compared {
                divergences.append(position.divergence)
                logLikelihoods.append(position.logLikelihood)
                baseLogLikelihoods.append(position.baseLogLikelihood)
                if position.sameTop { sameTop += 1 }
            }
            progress?(chunkIndex, base.chunks.count, divergences.reduce(0, +) / Double(divergences.count))
        }
        return KLDivergenceResult(divergences: divergences, logLikelihoods: logLikelihoods, baseLogLikelihoods: baseLogLikelihoods,
                                  sameTop: sameTop, chunks: base.chunks.count)
    }
}
