/// How the next token is chosen from the model's logits.
///
/// The defaults match llama.cpp's command-line defaults, so a user comparing the two sees the
/// same behaviour. `temperature == 0` (or ``greedy``) picks the most likely token.
public struct SamplingParameters: Sendable, Hashable {
    public var temperature: Float
    /// Keep only the `topK` most likely tokens; `0` disables the filter.
    public var topK: Int
    /// Keep the smallest set of tokens whose probability mass reaches `topP`; `1` disables it.
    public var topP: Float
    /// Drop tokens whose probability is below `minP` times the most likely one's; `0` disables it.
    public var minP: Float
    /// Divides positive logits (multiplies negative ones) of recently seen tokens; `1` disables it.
    public var repetitionPenalty: Float
    /// Subtracted once per earlier occurrence of a token in the penalty window.
    public var frequencyPenalty: Float
    /// Subtracted once from every token seen in the penalty window.
    public var presencePenalty: Float
    /// How many recent tokens the penalties look at.
    public var penaltyWindow: Int
    /// Added to the logit of a token id before sampling (`-.infinity` bans the token).
    public var logitBias: [Int32: Float]
    /// Seed of the random generator; the same seed gives the same output. `nil` picks one.
    public var seed: UInt64?

    public init(
        temperature: Float = 0.8, topK: Int = 40, topP: Float = 0.95, minP: Float = 0.05,
        repetitionPenalty: Float = 1.0, frequencyPenalty: Float = 0, presencePenalty: Float = 0,
        penaltyWindow: Int = 64, logitBias: [Int32: Float] = [:], seed: UInt64? = nil
    ) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.frequencyPenalty = frequencyPenalty
        self.presencePenalty = presencePenalty
        self.penaltyWindow = penaltyWindow
        self.logitBias = logitBias
        self.seed = seed
    }

    /// Always the most likely token: deterministic, and what the reference comparisons use.
    public static let greedy = SamplingParameters(temperature: 0, topK: 1, topP: 1, minP: 0)

    /// Whether this configuration always picks the most likely token.
    public var isGreedy: Bool { temperature <= 0 || topK == 1 }
}
