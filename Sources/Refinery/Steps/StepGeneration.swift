import RefineryCore
import Synchronization

/// The result of one generation run under a sub-deadline, possibly after falling back.
public struct StepGeneration: Sendable {
    /// The text generated (partial when ``status`` is `cutOff`).
    public var text: String
    /// Tool calls the model made, assembled from their deltas.
    public var toolCalls: [ToolCall]
    /// The model's final figures (nil when the stream never finished).
    public var stats: GenerationStats?
    /// The model that produced ``text``.
    public var model: String
    /// How the generation ended.
    public var status: StepStatus
    /// Text pieces received (a token count when the model reports no stats).
    public var pieces: Int
    /// Models abandoned before this one, each with the reason.
    public var fallbacks: [String]

    /// Generated tokens: the model's count, else the pieces received.
    public var generatedTokens: Int { stats?.generatedTokens ?? pieces }

    /// Whether the generation stopped at its token cap: its text is cut short, however
    /// cleanly the stream ended.
    public var hitTokenCap: Bool { stats?.finishReason == .length }

    /// This generation, marked `cutOff` when it finished only because it reached its token
    /// cap: an answer cut mid-sentence is never a finished step.
    public func cutAtTokenCap() -> StepGeneration {
        guard status == .completed, hitTokenCap else { return self }
        var copy = self
        copy.status = .cutOff
        return copy
    }
}

/// Runs generations for steps: each attempt is raced against its sub-deadline on the step's
/// clock, and when the deadline wins the generation task is cancelled (which stops the stream
/// at the engine) and whatever text arrived is kept as a partial result. A model that fails, or
/// that cannot finish while leaving the next model time to answer, gives way to the next.
public enum StepGenerator {
    /// Generates `request` on the context's models by `deadline`. With `learn` (the default)
    /// the generation's figures teach the cost book; generations that share a batch with
    /// others (best-of-N candidates) pass false, since they run slower than one sequence alone.
    /// `expectedTokens` is the output the planner expects (default: the request's token cap),
    /// which decides whether a model fits the time left before the next one must start.
    public static func generate(
        _ request: GenerationRequest, in context: StepContext, deadline: Deadline, learn: Bool = true,
        expectedTokens: Int? = nil
    ) async -> StepGeneration {
        let models = context.models
        var fallbacks: [String] = []
        var partial: StepGeneration?
        let promptTokens = estimatedTokens(request)
        let outputTokens = expectedTokens ?? request.maxTokens ?? 256
        for (index, model) in models.enumerated() {
            // Leave the quickest model after this one enough time to answer on its own, when both fit.
            let now = context.clock.now
            let window = now.duration(to: deadline.instant)
            let own = context.costs.cost(for: model.name).estimate(
                promptTokens: promptTokens, generatedTokens: outputTokens)
            let reserve = models[(index + 1)...]
                .map {
                    context.costs.cost(for: $0.name).estimate(promptTokens: promptTokens, generatedTokens: outputTokens)
                }
                .min()
            var attemptDeadline = deadline
            if let reserve {
                if own + reserve <= window {
                    attemptDeadline = deadline.advanced(by: .zero - reserve)
                } else if own > window, reserve <= window {
                    fallbacks.append("\(model.name): skipped, too slow for the time left")
                    continue
                }
            }
            var result = await attempt(model, request, deadline: attemptDeadline, context: context, learn: learn)
            result.fallbacks = fallbacks
            switch result.status {
            case .completed:
                return result
            case .cutOff:
                if !result.text.isEmpty, (partial?.text.count ?? -1) < result.text.count { partial = result }
                if index == models.count - 1 || Task.isCancelled || deadline.instant <= context.clock.now {
                    var kept = partial ?? result
                    kept.fallbacks = fallbacks
                    return kept
                }
                fallbacks.append("\(model.name): cut off at its sub-deadline")
            case .failed(let message):
                fallbacks.append("\(model.name): \(message)")
                if index == models.count - 1 {
                    if var partial {
                        partial.fallbacks = fallbacks
                        return partial
                    }
                    return result
                }
            }
        }
        if var partial {
            partial.fallbacks = fallbacks
            return partial
        }
        return StepGeneration(
            text: "", toolCalls: [], stats: nil, model: models.last?.name ?? "none",
            status: .failed("no model could run in the time left"), pieces: 0, fallbacks: fallbacks)
    }

    /// Rough token count of a request's prompt (4 bytes a token), for cost estimates.
    public static func estimatedTokens(_ request: GenerationRequest) -> Int {
        switch request.prompt {
        case .raw(let text): return text.utf8.count / 4 + 1
        case .messages(let messages): return messages.reduce(0) { $0 + $1.content.utf8.count / 4 + 4 }
        }
    }

    private struct Progress: Sendable {
        var text = ""
        var pieces = 0
        var firstToken: ContinuousClock.Instant?
        var lastToken: ContinuousClock.Instant?
        var calls = ToolCallAssembler()
        var stats: GenerationStats?
    }

    /// A lock-protected value shared between the generation task and its parent.
    private final class Shared<Value: Sendable>: Sendable {
        private let value: Mutex<Value>
        init(_ value: Value) { self.value = Mutex(value) }
        func withLock<R: Sendable>(_ body: (inout sending Value) -> R) -> R { value.withLock { body(&$0) } }
    }

    private enum End: Sendable {
        case finished, deadline, cancelled
        case failed(String)
    }

    /// One model, one sub-deadline.
    static func attempt(
        _ model: any LanguageModel, _ request: GenerationRequest, deadline: Deadline, context: StepContext,
        learn: Bool = true
    ) async -> StepGeneration {
        let clock = context.clock
        let start = clock.now
        let progress = Shared(Progress())
        var request = request
        request.deadline = min(request.deadline ?? deadline, deadline)
        request.sessionKey = request.sessionKey ?? context.sessionKey
        let sent = request
        let end: End = await withTaskGroup(of: End.self) { group in
            group.addTask {
                do {
                    for try await event in model.generate(sent) {
                        progress.withLock { p in
                            switch event {
                            case .text(let text, let tokens):
                                let now = clock.now
                                if p.firstToken == nil { p.firstToken = now }
                                p.lastToken = now
                                p.text += text
                                p.pieces += max(1, tokens.count)
                            case .toolCallDelta(let delta):
                                if p.firstToken == nil { p.firstToken = clock.now }
                                p.calls.add(delta)
                            case .finished(let stats):
                                p.stats = stats
                            }
                        }
                    }
                    return progress.withLock { $0.stats != nil } ? .finished : .cancelled
                } catch is CancellationError {
                    return .cancelled
                } catch {
                    return .failed("\(error)")
                }
            }
            group.addTask {
                do {
                    try await clock.sleep(until: deadline)
                    return .deadline
                } catch {
                    return .cancelled
                }
            }
            let first = await group.next() ?? .cancelled
            group.cancelAll()
            return first
        }
        let wall = start.duration(to: clock.now)
        let p = progress.withLock { $0 }
        let calls = p.calls.lenientToolCalls()
        var status: StepStatus
        switch end {
        case .finished:
            status = .completed
            if let stats = p.stats, stats.finishReason == .deadline || stats.finishReason == .cancelled {
                status = .cutOff
            }
        case .deadline, .cancelled: status = .cutOff
        case .failed(let message): status = .failed(message)
        }
        if !learn {
            // Figures of a shared batch would teach the wrong single-sequence speed.
        } else if let stats = p.stats, status == .completed {
            context.costs.observe(
                model.name, stats: stats, wallTime: wall, firstToken: p.firstToken.map { start.duration(to: $0) })
        } else if status == .cutOff, p.pieces > 1, let first = p.firstToken, let last = p.lastToken, first < last {
            // A cut-off generation still shows how fast the model was decoding — and nothing
            // else: its prompt and overhead were never reported.
            context.costs.observeDecode(model.name, tokens: p.pieces - 1, in: first.duration(to: last))
        } else if status == .cutOff, p.pieces == 0, wall > .zero {
            // Nothing at all in that time: the model is at least this slow to start.
            context.costs.observeNoOutput(model.name, after: wall)
        }
        return StepGeneration(
            text: p.text, toolCalls: calls, stats: p.stats, model: model.name, status: status, pieces: p.pieces,
            fallbacks: [])
    }
}
