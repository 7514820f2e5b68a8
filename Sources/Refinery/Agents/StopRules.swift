import RefineryCore
/// When the refinement loop stops on its own (the deadline can stop it sooner).
public struct StopRules: Sendable, Hashable {
    /// Stop when a critique says the answer is acceptable.
    public var stopWhenAcceptable: Bool
    /// Stop when a critique's score reaches this (0...10).
    public var scoreThreshold: Double?
    /// Stop when a refinement returns the answer unchanged (whitespace aside).
    public var stopWhenUnchanged: Bool
    /// Refinement rounds at most.
    public var maxRounds: Int

    /// Rules that stop on an acceptable verdict and on no change, after at most `maxRounds` rounds.
    public init(
        stopWhenAcceptable: Bool = true, scoreThreshold: Double? = nil, stopWhenUnchanged: Bool = true,
        maxRounds: Int = 2
    ) {
        self.stopWhenAcceptable = stopWhenAcceptable
        self.scoreThreshold = scoreThreshold
        self.stopWhenUnchanged = stopWhenUnchanged
        self.maxRounds = max(0, maxRounds)
    }

    /// Why `verdict` is not to be trusted under these rules, or nil: it contradicts itself
    /// (``Verdict/contradiction``), or it is acceptable with a score below ``scoreThreshold``.
    public func distrust(_ verdict: Verdict) -> String? {
        if let contradiction = verdict.contradiction { return contradiction }
        if let scoreThreshold, verdict.acceptable, verdict.score < scoreThreshold {
            return "marked acceptable with a score of \(Verdict.format(verdict.score)), below the threshold \(Verdict.format(scoreThreshold))"
        }
        return nil
    }

    /// Whether `verdict` ends the loop, and why (never when it is not trusted).
    public func stop(on verdict: Verdict) -> StopReason? {
        if distrust(verdict) != nil { return nil }
        if stopWhenAcceptable, verdict.acceptable { return .acceptable }
        if let scoreThreshold, verdict.score >= scoreThreshold { return .scoreThreshold }
        return nil
    }

    /// Whether `refined` is the same answer as `previous`.
    public func unchanged(_ refined: String, _ previous: String) -> Bool {
        stopWhenUnchanged
            && refined.split(whereSeparator: \.isWhitespace) == previous.split(whereSeparator: \.isWhitespace)
    }
}
