/// What a model's work costs in time, learned from the live figures of its generations.
///
/// A call is estimated as `max(timeToFirstToken, perCallOverhead + uncached prompt / prefill
/// rate) + generated / decode rate`, where the uncached part of the prompt is what the prefix
/// cache is expected to miss. Every finished generation updates the figures by exponential
/// smoothing (``smoothing`` is the weight of the newest observation); a model that was never
/// measured takes its first observation whole. The rates and the first-token latency also
/// follow a lasting change of more than 2× within two observations (see ``ShiftDetector``):
/// smoothing alone would keep a busy spell's rates for many runs and starve them. The type is
/// `Codable` so a ``CostModelStore`` can keep it per model between runs (files written before
/// the detectors existed still load).
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
    /// Watches the prefill rate for a lasting change.
    public var prefillShift = ShiftDetector()
    /// Watches the decode rate for a lasting change.
    public var decodeShift = ShiftDetector()
    /// Watches the first-token latency for a lasting change.
    public var firstTokenShift = ShiftDetector()

    /// Latencies below this are alike to the first-token detector (timer noise, not a shift).
    static let latencyFloor = 0.005

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

    /// The weight of the next observation.
    private var weight: Double { observations == 0 ? 1 : min(1, max(0.01, smoothing)) }

    /// `old` moved toward `new`: to `new`'s shifted level when `detector` confirms a lasting
    /// change, else by smoothing. `needed` is the detector's confirmation count.
    private func follow(_ detector: inout ShiftDetector, _ old: Double, _ new: Double, floor: Double = 1e-9,
                        needed: Int) -> Double {
        if observations == 0 {
            detector = ShiftDetector()
            return new
        }
        if let shifted = detector.feed(new, current: old, floor: floor, needed: needed) { return shifted }
        return old + weight * (new - old)
    }

    /// Learns from one finished generation: its stats, the wall time the call took and, when
    /// known, the time its first token took. `carriedOver` says the figures were loaded from an
    /// earlier process and this is their first observation here: a rate or latency more than
    /// 2× away from them is then taken whole, since the conditions they were learned under (a
    /// busy spell) may be over.
    public mutating func observe(_ stats: GenerationStats, wallTime: Duration, firstToken: Duration? = nil,
                                 carriedOver: Bool = false) {
        let weight = self.weight
        let needed = carriedOver ? 1 : ShiftDetector.confirmations
        func blend(_ old: Double, _ new: Double) -> Double { old + weight * (new - old) }

        let uncached = stats.promptTokens - stats.cachedTokens
        if uncached > 0, stats.prefillTime > .zero {
            prefillTokensPerSecond = follow(&prefillShift, prefillTokensPerSecond,
                                            Double(uncached) / stats.prefillTime.inSeconds, needed: needed)
        }
        if stats.generatedTokens > 0 {
            var decodeTime = stats.decodeTime
            if decodeTime <= .zero, let firstToken { decodeTime = wallTime - firstToken }
            if decodeTime <= .zero { decodeTime = wallTime - stats.prefillTime }
            if decodeTime > .zero {
                decodeTokensPerSecond = follow(&decodeShift, decodeTokensPerSecond,
                                               Double(stats.generatedTokens) / decodeTime.inSeconds, needed: needed)
            }
        }
        if let firstToken {
            // A model that reports its prefill time: the latency beyond the prefill, which the
            // prefill rate already covers (so one long prompt does not raise every short call's floor).
            let latency = stats.prefillTime > .zero ? firstToken - stats.prefillTime : firstToken
            timeToFirstToken = follow(&firstTokenShift, timeToFirstToken, max(0, latency.inSeconds),
                                      floor: Self.latencyFloor, needed: needed)
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
    public mutating func observeDecode(tokens: Int, in time: Duration, carriedOver: Bool = false) {
        guard tokens > 0, time > .zero else { return }
        decodeTokensPerSecond = follow(&decodeShift, decodeTokensPerSecond, Double(tokens) / time.inSeconds,
                                       needed: carriedOver ? 1 : ShiftDetector.confirmations)
        observations += 1
    }

    /// Learns from a call that produced nothing in `wallTime` (cut off or timed out before its
    /// first token): the time to first token is at least that long.
    public mutating func observeNoOutput(after wallTime: Duration) {
        timeToFirstToken += weight * (max(timeToFirstToken, wallTime.inSeconds) - timeToFirstToken)
        observations += 1
    }
}

extension CostModel {
    private enum CodingKeys: String, CodingKey {
        case model, prefillTokensPerSecond, decodeTokensPerSecond, timeToFirstToken, perCallOverhead, cacheHitRate
        case smoothing, observations, prefillShift, decodeShift, firstTokenShift
    }

    /// Decodes figures, including those saved before the shift detectors existed (they start
    /// with none suspected).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            model: try c.decode(String.self, forKey: .model),
            prefillTokensPerSecond: try c.decode(Double.self, forKey: .prefillTokensPerSecond),
            decodeTokensPerSecond: try c.decode(Double.self, forKey: .decodeTokensPerSecond),
            timeToFirstToken: try c.decode(Double.self, forKey: .timeToFirstToken),
            perCallOverhead: try c.decode(Double.self, forKey: .perCallOverhead),
            cacheHitRate: try c.decode(Double.self, forKey: .cacheHitRate),
            smoothing: try c.decode(Double.self, forKey: .smoothing),
            observations: try c.decode(Int.self, forKey: .observations))
        prefillShift = try c.decodeIfPresent(ShiftDetector.self, forKey: .prefillShift) ?? ShiftDetector()
        decodeShift = try c.decodeIfPresent(ShiftDetector.self, forKey: .decodeShift) ?? ShiftDetector()
        firstTokenShift = try c.decodeIfPresent(ShiftDetector.self, forKey: .firstTokenShift) ?? ShiftDetector()
    }
}

extension Duration {
    /// The duration in seconds as a `Double`.
    public var inSeconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}
