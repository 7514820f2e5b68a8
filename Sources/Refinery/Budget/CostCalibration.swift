import RefineryCore
/// Seeds a model's ``CostModel`` by measuring it: a short warm-up call, a call with a prompt of
/// ``promptTokens`` generating ``generatedTokens`` (prefill and decode rates), and a call with a
/// tiny prompt generating one token (the first-token latency a short step pays).
///
/// The planner is only as good as its figures: the defaults of an unmeasured model are a rough
/// guess, far from a 135M model on a laptop and from a remote endpoint alike, and a deadline
/// planned on them leaves time unused or runs out. `refinery calibrate --model …` runs this and
/// stores the result; `refinery run` runs ``quick`` on first use of a model.
///
/// ```swift
/// let costs = CostBook.fromEnvironment()
/// try await costs.record(CostCalibration().measure(model))
/// ```
public struct CostCalibration: Sendable {
    /// Prompt tokens of the measured call (about: the prompt is text of 4 bytes a token).
    public var promptTokens: Int
    /// Tokens the measured call generates.
    public var generatedTokens: Int
    /// Whether an unmeasured call runs first (page faults, thread start-up, connection setup).
    public var warmUp: Bool

    /// A calibration measuring `promptTokens` of prefill and `generatedTokens` of decode.
    public init(promptTokens: Int = 128, generatedTokens: Int = 32, warmUp: Bool = true) {
        self.promptTokens = max(8, promptTokens)
        self.generatedTokens = max(2, generatedTokens)
        self.warmUp = warmUp
    }

    /// A shorter calibration for first use inside a deadline (about a quarter of a second on
    /// SmolLM2-135M).
    public static let quick = CostCalibration(promptTokens: 64, generatedTokens: 16)

    /// Measures `model` on `clock` and returns its figures (one observation, so live ones are
    /// smoothed in afterwards).
    public func measure(
        _ model: any LanguageModel, clock: any DeadlineClock = ContinuousClock()
    ) async throws(CalibrationError) -> CostModel {
        if warmUp { _ = try await call(model, prompt: Self.text(tokens: 8), tokens: 2, clock: clock) }
        let main = try await call(model, prompt: Self.text(tokens: promptTokens), tokens: generatedTokens, clock: clock)
        var cost = CostModel(model: model.name)
        cost.observe(main.stats, wallTime: main.wall, firstToken: main.firstToken)
        if main.stats.generatedTokens < 2 {
            throw .tooShort(model.name, main.stats.generatedTokens)
        }
        // A short call's first token: the floor every step pays, whatever its prompt.
        let short = try await call(model, prompt: Self.text(tokens: 8), tokens: 1, clock: clock)
        if let first = short.firstToken {
            let latency = short.stats.prefillTime > .zero ? first - short.stats.prefillTime : first
            cost.timeToFirstToken = max(0, latency.inSeconds)
            cost.perCallOverhead = max(0, (short.wall - short.stats.prefillTime - short.stats.decodeTime).inSeconds)
        }
        return cost
    }

    private struct Measured {
        var stats: GenerationStats
        var wall: Duration
        var firstToken: Duration?
    }

    private func call(
        _ model: any LanguageModel, prompt: String, tokens: Int, clock: any DeadlineClock
    ) async throws(CalibrationError) -> Measured {
        // Greedy on repetitive text: the model keeps repeating it rather than stopping early.
        let request = GenerationRequest(prompt: .raw(prompt), sampling: .greedy, maxTokens: tokens)
        let start = clock.now
        var firstToken: Duration?
        var stats: GenerationStats?
        do {
            for try await event in model.generate(request) {
                switch event {
                case .text, .toolCallDelta:
                    if firstToken == nil { firstToken = start.duration(to: clock.now) }
                case .finished(let final):
                    stats = final
                }
            }
        } catch {
            throw .failed(model.name, "\(error)")
        }
        let wall = start.duration(to: clock.now)
        guard let stats else { throw .failed(model.name, "the generation ended without its figures") }
        return Measured(stats: stats, wall: wall, firstToken: firstToken)
    }

    /// Plain English text of about `tokens` tokens.
    static func text(tokens: Int) -> String {
        let sentence = "The quick brown fox jumps over the lazy dog near the river bank. "
        let count = max(1, (tokens * 4 + sentence.utf8.count - 1) / sentence.utf8.count)
        return String(repeating: sentence, count: count)
    }
}

extension CostBook {
    /// Calibrates `model` with `calibration` when no measured figures are known for it (here or
    /// in the store) and records them; a failed calibration leaves the defaults, which the
    /// first live observations replace.
    public func calibrateIfNeeded(
        _ model: any LanguageModel, calibration: CostCalibration = .quick, clock: any DeadlineClock = ContinuousClock()
    ) async {
        guard !isMeasured(model.name) else { return }
        if let measured = try? await calibration.measure(model, clock: clock) { try? record(measured) }
    }
}

/// A calibration that could not measure its model.
public struct CalibrationError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Sendable, Hashable { case failed, tooShort }
    private let code: Code
    /// What went wrong.
    public let message: String
    /// The model being calibrated.
    public let model: String

    static func failed(_ model: String, _ reason: String) -> CalibrationError {
        CalibrationError(code: .failed, message: "calibrating \(model) failed: \(reason)", model: model)
    }
    static func tooShort(_ model: String, _ generated: Int) -> CalibrationError {
        CalibrationError(
            code: .tooShort,
            message: "calibrating \(model): it generated \(generated) token(s), too few to measure its decode rate",
            model: model)
    }

    /// A generation failed.
    public static let failed = CalibrationError(code: .failed, message: "", model: "")
    /// The model stopped too early to be measured.
    public static let tooShort = CalibrationError(code: .tooShort, message: "", model: "")

    /// Errors match by code.
    public static func ~= (pattern: CalibrationError, value: any Error) -> Bool {
        (value as? CalibrationError)?.code == pattern.code
    }

    /// Errors are equal when their codes are.
    public static func == (lhs: CalibrationError, rhs: CalibrationError) -> Bool { lhs.code == rhs.code }

    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    public var description: String { message }
}
