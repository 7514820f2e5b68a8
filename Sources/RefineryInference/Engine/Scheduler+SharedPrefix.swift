import RefineryCore
/// Prompt prefixes shared between live sequences: forks of one prefill.
///
/// The ``PrefixCache`` serves prompts from the blocks of finished generations; this serves them
/// from sequences still running. When a sequence is admitted while another live sequence's prompt starts with the same
/// tokens (the `n` choices of one request, agents' candidates, concurrent requests with one
/// system prompt), it takes those positions' keys and values from the other's KV blocks
/// (``KVSequence/fork()``, copy-on-write) instead of prefilling them. The last prompt token is
/// always fed again so the sequence gets its own logits, which keeps every follower's sampling
/// independent of its source. A follower whose shared part is still being prefilled by its
/// source waits for it when that part is at least half its prompt (otherwise it shares what is
/// ready, or nothing); if the source goes away first, it prefills on its own.
extension Scheduler {
    /// Fewest prompt tokens worth sharing.
    static let minimumSharedTokens = 16

    /// Called at the start of each step: finds sources for newly admitted sequences and forks
    /// the followers whose source has computed the shared positions.
    func sharePrefixes() {
        for sequence in active where !sequence.prefixLookupDone {
            sequence.prefixLookupDone = true
            findPrefixSource(for: sequence)
        }
        for follower in active {
            guard let source = follower.prefixSource else { continue }
            let wanted = follower.prefixTarget
            if let kv = source.kv, kv.length >= wanted, !source.isCancelled {
                fork(follower, from: kv, length: wanted)
            } else if source.isCancelled || !active.contains(where: { $0 === source }) || (source.kv == nil && source.fed > 0) {
                follower.prefixSource = nil  // The source went away: prefill alone.
            }
        }
    }

    /// The live sequence sharing the longest prompt prefix with a newly admitted `sequence`.
    private func findPrefixSource(for sequence: ActiveSequence) {
        guard sequence.fed == 0, sequence.kv == nil, sequence.prompt.count > Self.minimumSharedTokens else { return }
        var best: ActiveSequence?
        var bestLength = 0
        // Sources: sequences admitted before this one (looked up already) that prefill or decode alone.
        for other in active where other !== sequence && other.prefixLookupDone && other.prefixSource == nil && !other.isCancelled {
            if other.kv == nil && other.fed > 0 { continue }
            let length = Self.commonPrefixLength(sequence.prompt, other.prompt)
            if length > bestLength {
                best = other
                bestLength = length
            }
        }
        // Keep the last prompt token to feed, for this sequence's own first logits.
        let target = min(bestLength, sequence.prompt.count - 1)
        guard let best, target >= Self.minimumSharedTokens else { return }
        let ready = best.kv?.length ?? 0
        if ready >= target || 2 * target >= sequence.prompt.count {
            sequence.prefixSource = best
            sequence.prefixTarget = target
        } else if ready >= Self.minimumSharedTokens, let kv = best.kv {
            fork(sequence, from: kv, length: ready)
        }
    }

    /// Gives `follower` the first `length` positions of `kv`; it prefills the rest of its prompt.
    private func fork(_ follower: ActiveSequence, from kv: KVSequence, length: Int) {
        let shared = kv.fork()
        shared.truncate(to: length)
        follower.kv = shared
        follower.fed = length
        follower.cachedTokens = length
        follower.prefixSource = nil
    }

    static func commonPrefixLength(_ a: [Int32], _ b: [Int32]) -> Int {
        let n = min(a.count, b.count)
        return a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                var i = 0
                while i < n && a[i] == b[i] { i &+= 1 }
                return i
            }
        }
    }
}
