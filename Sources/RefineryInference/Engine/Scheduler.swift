#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The single serial thread that runs a model's forward passes.
///
/// Requests wait in a FIFO queue; between forward steps the scheduler admits them (up to the
/// transformer's sequence limit), drops sequences whose consumer went away, and builds one
/// ragged batch: one token per decoding sequence, then prompt chunks of prefilling sequences
/// up to the batch's token limit. So sequences join and leave between steps, and a cancelled one
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
    private var active: [ActiveSequence] = []
    private var batch = ForwardBatch()
    private var logitRowOwners: [ActiveSequence] = []

    init(transformer: Transformer) {
        self.transformer = transformer
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
                lock.lock()
                exited = true
                lock.broadcast()
                lock.unlock()
                return
            }
            let pendingJobs = jobs
            jobs.removeAll()
            while active.count < transformer.maxSequences, !queue.isEmpty {
                let sequence = queue.removeFirst()
                sequence.admitted = .now
                active.append(sequence)
            }
            lock.unlock()
            for job in pendingJobs { job(transformer) }
            step()
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
        batch.removeAll()
        logitRowOwners.removeAll(keepingCapacity: true)
        var budget = transformer.maxBatchTokens
        // A sequence whose blocks cannot be reserved waits for others to finish; if nothing can
        // run, the most recently admitted waiting sequence fails (freeing its blocks).
        var starved: [ActiveSequence] = []
        // Decoding sequences first (one token each), then prompt chunks.
        for sequence in active where !sequence.isPrefilling {
            guard budget > 0, let token = sequence.pending else { continue }
            let kv = kvSequence(for: sequence)
            do {
                try kv.reserve(upTo: kv.length + 1)
            } catch {
                starved.append(sequence)
                continue
            }
            batch.append(CollectionOfOne(token), to: kv, startingAt: kv.length, logitsForLast: true)
            logitRowOwners.append(sequence)
            budget -= 1
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
            if last { logitRowOwners.append(sequence) }
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
        let vocabulary = transformer.config.vocabularySize
        let sampledAt = ContinuousClock.now
        var done: [ActiveSequence] = []
        for (row, sequence) in logitRowOwners.enumerated() {
            let rowLogits = UnsafeMutableBufferPointer(rebasing: logits[(row * vocabulary)..<((row + 1) * vocabulary)])
            if sequence.constrained?.isActive == true {
                sequence.constrained!.mask(rowLogits, budget: tokensLeft(sequence))
            }
            let token = sequence.sampler.sample(logits: rowLogits, history: sequence.history)
            if sequence.firstToken == nil { sequence.firstToken = sampledAt }
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

    /// Records a sampled token; returns why the sequence ends, if it does.
    private func accept(_ token: Int32, for sequence: ActiveSequence) -> EngineFinishReason? {
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

    /// How many tokens `sequence` may still generate, the one about to be sampled included.
    private func tokensLeft(_ sequence: ActiveSequence) -> Int {
        var left = transformer.contextLength - (sequence.kv?.length ?? 0)
        if let cap = sequence.options.maxTokens { left = min(left, cap - sequence.generated) }
        return left
    }

    private func finish(_ sequence: ActiveSequence, _ reason: EngineFinishReason, now: ContinuousClock.Instant) {
        if reason != .cancelled, var decoder = sequence.decoder {
            let tail = sequence.stopMatcher.feed(decoder.finish()) + sequence.stopMatcher.flush()
            sequence.decoder = decoder
            if !tail.isEmpty { sequence.continuation.yield(.tokens([], text: tail)) }
        }
        sequence.kv = nil
        sequence.continuation.yield(.finished(sequence.stats(reason, now: now)))
        sequence.continuation.finish()
    }

    private func kvSequence(for sequence: ActiveSequence) -> KVSequence {
        if let kv = sequence.kv { return kv }
        let kv = KVSequence(cache: transformer.cache)
        sequence.kv = kv
        return kv
    }
}
