#if canImport(Glibc)
import RefineryCore
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization
import Logging

/// The single serial thread that runs a model's forward passes.
///
/// Requests wait in a bounded queue; between forward steps the scheduler admits them (up to the
/// transformer's sequence limit) earliest deadline first (requests without a deadline after
/// those with one, in arrival order), drops sequences whose consumer went away, and builds one
/// ragged batch: one token per decoding sequence, then prompt chunks of prefilling sequences
/// up to the batch's token limit. A new sequence starts from the longest prefix of its prompt
/// in the ``PrefixCache``, and a finished one leaves its blocks there. So sequences join and leave between steps, and a cancelled one
/// frees its blocks before the next step. Exclusive jobs (perplexity, benchmarks) run between
/// steps with the transformer to themselves.
final class Scheduler: @unchecked Sendable {
    let transformer: Transformer
    private let lock = NSCondition()
    private var queue: [ActiveSequence] = []
    private var jobs: [(Transformer) -> Void] = []
    private var stopping = false
    private var thread: Thread?
    private var exited = false

    // Scheduler-thread state.
    var active: [ActiveSequence] = []
    private var batch = ForwardBatch()
    private var logitRowOwners: [ActiveSequence] = []
    let prefixCache: PrefixCache
    /// Prefixes kept on disk between processes (nil: none).
    let savedPrefixes: SavedPrefixStore?
    /// Most requests waiting for admission.
    let maxQueued: Int
    /// Figures of the forward steps so far, read from any thread.
    let statistics = Mutex(SchedulerStatistics())

    init(transformer: Transformer, prefixCacheBlocks: Int, maxQueued: Int, savedPrefixes: SavedPrefixStore? = nil) {
        self.transformer = transformer
        prefixCache = PrefixCache(cache: transformer.cache, capacityBlocks: prefixCacheBlocks)
        self.savedPrefixes = savedPrefixes
        self.maxQueued = max(1, maxQueued)
        let thread = Thread { [self] in self.run() }
        thread.name = "refinery-scheduler"
        thread.stackSize = 4 << 20
        self.thread = thread
        thread.start()
    }

    /// Stops the thread after the current step; queued and active generations end with `.shutDown`.
    func shutdown() {
        lock.lock()
        stopping = true
        lock.broadcast()
        while !exited { lock.wait() }
        lock.unlock()
    }

    func submit(_ sequence: ActiveSequence) {
        lock.lock()
        if stopping {
            lock.unlock()
            sequence.continuation.finish(throwing: ModelError.shutDown)
            return
        }
        if queue.count >= maxQueued {
            lock.unlock()
            sequence.continuation.finish(throwing: ModelError.queueFull(limit: maxQueued))
            return
        }
        queue.append(sequence)
        lock.signal()
        lock.unlock()
    }

    /// Runs `job` on the scheduler thread between steps.
    func exclusive(_ job: @escaping (Transformer) -> Void) {
        lock.lock()
        if stopping {
            lock.unlock()
            return
        }
        jobs.append(job)
        lock.signal()
        lock.unlock()
    }

    private func run() {
        while true {
            lock.lock()
            while queue.isEmpty && jobs.isEmpty && active.isEmpty && !stopping { lock.wait() }
            if stopping {
                let pending = queue
                queue.removeAll()
                lock.unlock()
                for sequence in pending + active { sequence.continuation.finish(throwing: ModelError.shutDown) }
                active.removeAll()
                prefixCache.removeAll()
                savedPrefixes?.waitForWrites()
                lock.lock()
                exited = true
                lock.broadcast()
                lock.unlock()
                return
            }
            let pendingJobs = jobs
            jobs.removeAll()
            while active.count < transformer.maxSequences, !queue.isEmpty {
                let sequence = queue.remove(at: Self.earliestDeadline(in: queue))
                sequence.admitted = .now
                active.append(sequence)
            }
            let waiting = queue.count
            lock.unlock()
            for job in pendingJobs { job(transformer) }
            step()
            let running = active.count
            statistics.withLock { $0.activeSequences = running + waiting }
        }
    }

    /// One forward step over every active sequence.
    private func step() {
        let now = ContinuousClock.now
        active.removeAll { sequence in
            if sequence.isCancelled {
                finish(sequence, .cancelled, now: now)
                return true
            }
            if let deadline = sequence.options.deadline, now >= deadline {
                finish(sequence, .deadline, now: now)
                return true
            }
            return false
        }
        guard !active.isEmpty else { return }
        sharePrefixes()
        batch.removeAll()
        logitRowOwners.removeAll(keepingCapacity: true)
        var budget = transformer.maxBatchTokens
        // A sequence whose blocks cannot be reserved waits for others to finish; if nothing can
        // run, the most recently admitted waiting sequence fails (freeing its blocks).
        var starved: [ActiveSequence] = []
        // Sequences whose prompt is complete after this step (candidates for saving to disk).
        var prefilled: [ActiveSequence] = []
        // Decoding sequences first (one token each), then prompt chunks.
        for sequence in active where !sequence.isPrefilling {
            guard budget > 0, let token = sequence.pending else { continue }
            let kv = kvSequence(for: sequence)
            // Speculation: draft tokens after the pending one, each row with logits (one logit
            // row is kept for every other active sequence).
            sequence.draft = draftTokens(for: sequence, kv: kv, budget: budget - 1,
                                         logitRows: transformer.maxLogitRows - batch.logitRows.count - active.count)
            do {
                try kv.reserve(upTo: kv.length + 1 + sequence.draft.count)
            } catch {
                sequence.draft = []
                do {
                    try kv.reserve(upTo: kv.length + 1)
                } catch {
                    starved.append(sequence)
                    continue
                }
            }
            if sequence.draft.isEmpty {
                batch.append(CollectionOfOne(token), to: kv, startingAt: kv.length, logitsForLast: true)
            } else {
                let index = batch.addSequence(kv)
                batch.add(token: token, position: kv.length, sequence: index, logits: true)
                for (offset, drafted) in sequence.draft.enumerated() {
                    batch.add(token: drafted, position: kv.length + 1 + offset, sequence: index, logits: true)
                }
            }
            logitRowOwners.append(sequence)
            budget -= 1 + sequence.draft.count
        }
        for sequence in active where sequence.isPrefilling {
            guard budget > 0 else { break }
            let kv = kvSequence(for: sequence)
            let count = min(budget, sequence.prompt.count - sequence.fed)
            do {
                try kv.reserve(upTo: kv.length + count)
            } catch {
                starved.append(sequence)
                continue
            }
            let last = sequence.fed + count == sequence.prompt.count
            batch.append(sequence.prompt[sequence.fed..<(sequence.fed + count)], to: kv, startingAt: kv.length, logitsForLast: last)
            if last {
                logitRowOwners.append(sequence)
                if savedPrefixes != nil { prefilled.append(sequence) }
            }
            sequence.fed += count
            budget -= count
        }
        if batch.count == 0, let victim = starved.last {
            active.removeAll { $0 === victim }
            victim.kv = nil
            victim.continuation.finish(throwing: ModelError.contextFull(
                "\(transformer.cache.blockCount) blocks of \(transformer.cache.blockSize) positions cannot hold this sequence"))
            return
        }
        guard batch.count > 0 else { return }
        let participants = batch.sequences.count
        let members = active
        let sequencesInStep = logitRowOwners.count
        statistics.withLock { figures in
            figures.forwardSteps += 1
            figures.largestBatch = max(figures.largestBatch, sequencesInStep)
            if sequencesInStep > 1 { figures.sharedSteps += 1 }
        }
        let logits: UnsafeMutableBufferPointer<Float>
        do {
            logits = try transformer.forward(batch) {
                // Stop early only when every sequence in the batch has been abandoned.
                members.allSatisfy { $0.isCancelled } && participants > 0
            }
        } catch {
            for sequence in active {
                if error == .cancelled || sequence.isCancelled {
                    finish(sequence, .cancelled, now: .now)
                } else {
                    sequence.kv = nil
                    sequence.continuation.finish(throwing: error)
                }
            }
            active.removeAll()
            batch.removeAll()
            logitRowOwners.removeAll(keepingCapacity: true)
            return
        }
        // Before sampling, which may finish a sequence and drop its blocks, and before its
        // stream can end (whoever then waits for the saved prefixes must find this one queued).
        // The copy costs a few milliseconds, only for prompts that no file covers yet.
        savePrefixes(prefilled.compactMap { sequence in sequence.kv.map { (sequence.prompt, $0) } })
        let vocabulary = transformer.config.vocabularySize
        let sampledAt = ContinuousClock.now
        var done: [ActiveSequence] = []
        var row = 0
        for sequence in logitRowOwners {
            if !sequence.draft.isEmpty, let kv = sequence.kv {
                let rows = 1 + sequence.draft.count
                if let reason = verify(sequence, kv: kv, logits: logits, firstRow: row) {
                    finish(sequence, reason, now: .now)
                    done.append(sequence)
                }
                row += rows
                continue
            }
            let rowLogits = UnsafeMutableBufferPointer(rebasing: logits[(row * vocabulary)..<((row + 1) * vocabulary)])
            row += 1
            if sequence.constrained?.isActive == true {
                sequence.constrained!.mask(rowLogits, budget: tokensLeft(sequence))
            }
            let token = sequence.sampler.sample(logits: rowLogits, history: sequence.history)
            if sequence.firstToken == nil {
                sequence.firstToken = sampledAt
                logFirstToken(sequence)
            }
            if let reason = accept(token, for: sequence) {
                finish(sequence, reason, now: .now)
                done.append(sequence)
            }
        }
        if !done.isEmpty { active.removeAll { s in done.contains { $0 === s } } }
        // Drop the batch's references so finished sequences free their blocks now.
        batch.removeAll()
        logitRowOwners.removeAll(keepingCapacity: true)
    }

    /// The time to a sequence's first token, at debug level: how much of its prompt was
    /// cached (in memory or read from a saved prefix) and how long the rest took.
    private func logFirstToken(_ sequence: ActiveSequence) {
        guard RefineryInference.logger.logLevel <= .debug, let admitted = sequence.admitted, let first = sequence.firstToken else { return }
        let ms = Int((admitted.duration(to: first).inSeconds * 1000).rounded())
        RefineryInference.logger.debug(
            "first token \(ms) ms after admission: prompt \(sequence.prompt.count) tokens, \(sequence.cachedTokens) cached")
    }

    /// Records a sampled token; returns why the sequence ends, if it does.
    private func accept(_ token: Int32, for sequence: ActiveSequence) -> FinishReason? {
        if sequence.options.stopTokens.contains(token) { return .stop }
        sequence.generated += 1
        sequence.history.append(token)
        sequence.pending = token
        var text = ""
        if var decoder = sequence.decoder {
            text = sequence.stopMatcher.feed(decoder.decode(token))
            sequence.decoder = decoder
        }
        let step = sequence.constrained?.advance(token) ?? .proceed
        sequence.continuation.yield(.tokens([token], text: text))
        if step == .finished { return .stop }
        if sequence.stopMatcher.stopped { return .stop }
        if let cap = sequence.options.maxTokens, sequence.generated >= cap { return .length }
        if let kv = sequence.kv, kv.length + 1 >= transformer.contextLength { return .length }
        return nil
    }

    /// Tokens to feed after `sequence`'s pending one this step: a prompt-lookup draft, bounded by
    /// the sequence's remaining tokens and context, the batch's token budget and `logitRows`.
    /// None for a constrained sequence (its mask depends on every accepted token).
    private func draftTokens(for sequence: ActiveSequence, kv: KVSequence, budget: Int, logitRows: Int) -> [Int32] {
        let requested = sequence.options.speculation.maxDraft
        guard requested > 0, sequence.constrained == nil else { return [] }
        // Accepting every draft token and sampling one more must stay within the caps; the
        // pending token and the draft must fit in the context.
        let limit = min(requested, budget, logitRows, tokensLeft(sequence) - 1, transformer.contextLength - kv.length - 2)
        guard limit > 0 else { return [] }
        return PromptLookup.draft(history: sequence.history, promptCount: sequence.prompt.count, maxDraft: limit)
    }

    /// Samples the rows of a speculative step: row `i` (the logits after the pending token and
    /// `draft[0..<i]`) gives the token that plain decoding would sample there, since the earlier
    /// draft tokens matched. Tokens are accepted while they equal the draft; the first that
    /// differs (or the one after a fully accepted draft) is kept as the next pending token, and
    /// the KV of the rejected positions is dropped.
    ///
    /// Sampling each row from its own distribution is standard speculative sampling for a
    /// deterministic draft: a draft token `t` is kept with probability p(t), and otherwise the
    /// token drawn is distributed as p without `t`, renormalised — the residual distribution. So
    /// greedy output is identical to plain decoding, and sampled output keeps its distribution
    /// (with a seed, its very tokens: one draw per emitted token, as without speculation).
    private func verify(_ sequence: ActiveSequence, kv: KVSequence, logits: UnsafeMutableBufferPointer<Float>,
                        firstRow: Int) -> FinishReason? {
        let vocabulary = transformer.config.vocabularySize
        let draft = sequence.draft
        sequence.draft = []
        // The forward pass wrote the pending token and the whole draft; only the pending
        // token's position is confirmed so far.
        let base = kv.length - draft.count
        kv.length = base
        var accepted = 0
        var ended: FinishReason?
        let sampledAt = ContinuousClock.now
        for index in 0...draft.count {
            let row = firstRow + index
            let rowLogits = UnsafeMutableBufferPointer(rebasing: logits[(row * vocabulary)..<((row + 1) * vocabulary)])
            let token = sequence.sampler.sample(logits: rowLogits, history: sequence.history)
            if sequence.firstToken == nil { sequence.firstToken = sampledAt }
            if let reason = accept(token, for: sequence) {
                ended = reason
                break
            }
            guard index < draft.count, token == draft[index] else { break }
            // The draft token's keys and values are already in place.
            accepted += 1
            kv.length += 1
        }
        sequence.draftTokens += draft.count
        sequence.acceptedDraftTokens += accepted
        kv.truncate(to: kv.length)
        return ended
    }

    /// How many tokens `sequence` may still generate, the one about to be sampled included.
    private func tokensLeft(_ sequence: ActiveSequence) -> Int {
        var left = transformer.contextLength - (sequence.kv?.length ?? 0)
        if let cap = sequence.options.maxTokens { left = min(left, cap - sequence.generated) }
        return left
    }

    private func finish(_ sequence: ActiveSequence, _ reason: FinishReason, now: ContinuousClock.Instant) {
        if reason != .cancelled, var decoder = sequence.decoder {
            let tail = sequence.stopMatcher.feed(decoder.finish()) + sequence.stopMatcher.flush()
            sequence.decoder = decoder
            if !tail.isEmpty { sequence.continuation.yield(.tokens([], text: tail)) }
        }
        if let kv = sequence.kv { prefixCache.insert(tokens: sequence.history, blocks: kv.blocks, length: kv.length) }
        sequence.kv = nil
        sequence.prefixSource = nil
        sequence.continuation.yield(.finished(sequence.stats(reason, now: now)))
        sequence.continuation.finish()
    }

    /// The sequence's KV; a new one starts with the cached blocks of its prompt's longest cached prefix.
    private func kvSequence(for sequence: ActiveSequence) -> KVSequence {
        if let kv = sequence.kv { return kv }
        let kv = KVSequence(cache: transformer.cache)
        if sequence.fed == 0 {
            kv.appendShared(prefixCache.lookup(sequence.prompt))
            loadSavedPrefix(for: sequence, into: kv)
            sequence.fed = kv.length
            sequence.cachedTokens = kv.length
        }
        sequence.kv = kv
        return kv
    }

    /// The index of the queued sequence to admit next: the earliest deadline, then the oldest.
    static func earliestDeadline(in queue: [ActiveSequence]) -> Int {
        var best = 0
        for index in queue.indices.dropFirst() {
            guard let deadline = queue[index].options.deadline else { continue }
            if let current = queue[best].options.deadline, current <= deadline { continue }
            best = index
        }
        return best
    }
}

/// What an engine's scheduler has done: how many forward steps it ran and how many sequences
/// shared them — the evidence that concurrent requests on one model decode in one batch.
public struct SchedulerStatistics: Sendable, Hashable {
    /// Forward steps run.
    public var forwardSteps = 0
    /// The most sequences that produced a token (or finished their prompt) in one step.
    public var largestBatch = 0
    /// Steps in which more than one sequence took part.
    public var sharedSteps = 0
    /// Sequences running or waiting after the latest step.
    public var activeSequences = 0

    public init() {}
}
