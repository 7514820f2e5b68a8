import RefineryCore
import Synchronization

/// One generation in the scheduler: its prompt, KV sequence, sampler and stream.
final class ActiveSequence: @unchecked Sendable {
    let prompt: [Int32]
    let options: GenerationOptions
    let continuation: AsyncThrowingStream<EngineEvent, any Error>.Continuation
    /// Set from any thread when the consumer goes away.
    let cancelled = Atomic<Bool>(false)

    // Shared prompt prefixes (Scheduler+SharedPrefix), scheduler-thread state.
    /// Whether the scheduler looked for a live sequence to share this one's prompt prefix with.
    var prefixLookupDone = false
    /// The live sequence whose first ``prefixTarget`` positions this one waits to share.
    var prefixSource: ActiveSequence?
    var prefixTarget = 0

    // Scheduler-thread state.
    var kv: KVSequence?
    var sampler: Sampler
    var history: [Int32]
    var fed = 0
    /// Prompt tokens whose keys and values came from the prefix cache or a live sequence.
    var cachedTokens = 0
    var generated = 0
    var decoder: (any TokenTextDecoder)?
    var stopMatcher: StopStringMatcher
    var admitted: ContinuousClock.Instant?
    var firstToken: ContinuousClock.Instant?
    /// The token sampled last, to feed in the next step.
    var pending: Int32?
    /// The grammar's progress, for a constrained generation.
    var constrained: ConstrainedDecoding?
    /// Tokens proposed by speculation and fed after ``pending`` in the current step.
    var draft: [Int32] = []
    /// Tokens proposed, and proposed tokens confirmed, over the generation.
    var draftTokens = 0
    var acceptedDraftTokens = 0

    init(prompt: [Int32], options: GenerationOptions, vocabularySize: Int,
         continuation: AsyncThrowingStream<EngineEvent, any Error>.Continuation) {
        self.prompt = prompt
        self.options = options
        self.continuation = continuation
        sampler = Sampler(parameters: options.sampling, vocabularySize: vocabularySize)
        history = prompt
        history.reserveCapacity(prompt.count + (options.maxTokens ?? 256))
        decoder = options.decoder
        stopMatcher = StopStringMatcher(options.stopStrings)
        constrained = options.constraint.map(ConstrainedDecoding.init)
    }

    var isCancelled: Bool { cancelled.load(ordering: .relaxed) }

    /// Marks the sequence abandoned (from any thread).
    func cancel() { cancelled.store(true, ordering: .relaxed) }

    /// Whether the prompt still has tokens to feed now (not while waiting to share a prefix).
    var isPrefilling: Bool { fed < prompt.count && prefixSource == nil }

    func stats(_ reason: FinishReason, now: ContinuousClock.Instant) -> EngineStats {
        let start = admitted ?? now
        let first = firstToken ?? now
        var stats = EngineStats(finishReason: reason, promptTokens: prompt.count, cachedTokens: cachedTokens, generatedTokens: generated,
                                prefillTime: start.duration(to: first), decodeTime: first.duration(to: now), seed: sampler.seed)
        stats.draftTokens = draftTokens
        stats.acceptedDraftTokens = acceptedDraftTokens
        if let constrained {
            stats.constraintTime = constrained.elapsed
            stats.constrainedDocuments = constrained.completedDocuments
            stats.constraintOpen = constrained.isInsideDocument
        }
        return stats
    }
}
