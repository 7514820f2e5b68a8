/// What a model's work costs in time, learned from the live figures of its generations.
///
/// A call is estimated as `max(timeToFirstToken, perCallOverhead + uncached prompt / prefill
/// rate) + generated / decode rate`, where the uncached part of the prompt is what the prefix
/// cache is expected to miss. Every finished generation updates the figures by exponential
/// smoothing (``smoothing`` is the weight of the newest observation); a model that was never
/// measured takes its first observation whole. The type is `Codable` so a ``CostModelStore``
/// can keep it per model between runs.
public struct CostModel: Sendable, Hashable, Codable {
    /// The model these figures describe.
    public var model: String
    /// Prompt tokens processed per second.
    public var prefillTokensPerSecond: Double
    /// Tokens generated per second (one sequence).
    public var decodeTokensPerSecond: Double
    /// Seconds from sending a request to its first generated token (network and queueing
    /// included), beyond the prefill when the model reports its prefill time: the floor of every call.
    public var timeToFirstToken: Double
    /// Seconds a call costs beyond prefill and decode (setup, template rendering, transport).
    public var perCallOverhead: Double
    /// Fraction (0...1) of prompt tokens served from the prefix cache.
    public var cacheHitRate: Double
    /// Weight (0...1] of the newest observation.
    public var smoothing: Double
    /// How many generations the figures were learned from (0: seeded values only).
    public var observations: Int

    /// Figures for `model`; the defaults are a rough guess for a small local model, replaced
    /// by the first real observation.
    public init(
        model: String, prefillTokensPerSecond: Double = 400, decodeTokensPerSecond: Double = 40,
        timeToFirstToken: Double = 0.05, perCallOverhead: Double = 0.005, cacheHitRate: Double = 0,
        smoothing: Double = 0.3, observations: Int = 0
    ) {
        self.model = model
        self.prefillTokensPerSecond = prefillTokensPerSecond
        self.decodeTokensPerSecond = decodeTokensPerSecond
        self.timeToFirstToken = timeToFirstToken
        self.perCallOverhead = perCallOverhead
        self.cacheHitRate = cacheHitRate
        self.smoothing = smoothing
        self.observations = observations
    }

    /// The expected duration of a call with `promptTokens` of prompt generating `generatedTokens`.
    public func estimate(promptTokens: Int, generatedTokens: Int) -> Duration {
        let uncached = Double(max(0, promptTokens)) * (1 - min(1, max(0, cacheHitRate)))
        let first = max(timeToFirstToken, perCallOverhead + uncached / max(prefillTokensPerSecond, 1e-9))
        let decode = Double(max(0, generatedTokens)) / max(decodeTokensPerSecond, 1e-9)
        return .seconds(first + decode)
    }

    /// The most tokens a call with `promptTokens` of prompt can generate within `time` (0 when
    /// even the first token does not fit).
    public func tokens(fitting time: Duration, promptTokens: Int) -> Int {
        let fixed = estimate(promptTokens: promptTokens, generatedTokens: 0)
        let left = (time - fixed).inSeconds
        guard left > 0 else { return 0 }
        return Int((left * decodeTokensPerSecond).rounded(.down))
    }

    /// Learns from one finished generation: its stats, the wall time the call took and, when
    /// known, the time its first token took.
    public mutating func observe(_ stats: GenerationStats, wallTime: Duration, firstToken: Duration? = nil) {
        let weight = observations == 0 ? 1 : min(1, max(0.01, smoothing))
        func blend(_ old: Double, _ new: Double) -> Double { old + weight * (new - old) }

        let uncached = stats.promptTokens - stats.cachedTokens
        if uncached > 0, stats.prefillTime > .zero {
            prefillTokensPerSecond = blend(prefillTokensPerSecond, Double(uncached) / stats.prefillTime.inSeconds)
        }
        if stats.generatedTokens > 0 {
            var decodeTime = stats.decodeTime
            if decodeTime <= .zero, let firstToken { decodeTime = wallTime - firstToken }
            if decodeTime <= .zero { decodeTime = wallTime - stats.prefillTime }
            if decodeTime > .zero {
                decodeTokensPerSecond = blend(
                    decodeTokensPerSecond, Double(stats.generatedTokens) / decodeTime.inSeconds)
            }
        }
        if let firstToken {
            // A model that reports its prefill time: the latency beyond the prefill, which the
            // prefill rate already covers (so one long prompt does not raise every short call's floor).
            let latency = stats.prefillTime > .zero ? firstToken - stats.prefillTime : firstToken
            timeToFirstToken = blend(timeToFirstToken, max(0, latency.inSeconds))
        }
        let overhead = (wallTime - stats.prefillTime - stats.decodeTime).inSeconds
        perCallOverhead = blend(perCallOverhead, max(0, overhead))
        if stats.promptTokens > 0 {
            cacheHitRate = blend(cacheHitRate, Double(stats.cachedTokens) / Double(stats.promptTokens))
        }
        observations += 1
    }

    /// Learns the decode rate alone: `tokens` generated in `time` (from a generation cut off
    /// before it reported its figures, whose prompt and overhead are unknown).
    public mutating func observeDecode(tokens: Int, in time: Duration) {
        guard tokens > 0, time > .zero else { return }
        let weight = observations == 0 ? 1 : min(1, max(0.01, smoothing))
        decodeTokensPerSecond += weight * (Double(tokens) / time.inSeconds - decodeTokensPerSecond)
        observations += 1
    }

    /// Learns from a call that produced nothing in `wallTime` (cut off or timed out before its
    /// first token): the time to first token is at least that long.
    public mutating func observeNoOutput(after wallTime: Duration) {
        let weight = observations == 0 ? 1 : min(1, max(0.01, smoothing))
        timeToFirstToken += weight * (max(timeToFirstToken, wallTime.inSeconds) - timeToFirstToken)
        observations += 1
    }
}

extension Duration {
    /// The duration in seconds as a `Double`.
    public var inSeconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}
