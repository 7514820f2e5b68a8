import RefineryCore
import Logging
/// Prompt prefixes kept on disk between processes (``SavedPrefixStore``).
///
/// The ``PrefixCache`` serves prompts from this process's finished generations; this serves
/// them from earlier processes. A new sequence first takes what the prefix cache has, then, if
/// a saved file shares more full blocks with its prompt, reads those blocks from disk instead
/// of prefilling them and hands them to the prefix cache, so every later sequence in this
/// process shares them without reading again. After a step completes a long prompt that no file
/// covers yet, its full blocks are copied out and written in the background.
extension Scheduler {
    /// Extends `kv` (a new sequence's KV, holding the prefix cache's blocks) with the blocks of
    /// the saved prefix sharing the most full blocks with the sequence's prompt, when that is
    /// more than the prefix cache gave. On any failure `kv` keeps its length and the sequence
    /// prefills the rest as usual.
    func loadSavedPrefix(for sequence: ActiveSequence, into kv: KVSequence) {
        guard let store = savedPrefixes, sequence.prompt.count > transformer.cache.blockSize,
              let match = store.bestMatch(sequence.prompt), match.blocks > kv.blocks.count else { return }
        let have = kv.blocks.count
        do {
            try kv.reserve(upTo: match.blocks * transformer.cache.blockSize)
        } catch {
            return  // No room in the pool: computing the prompt needs the same room anyway.
        }
        let started = ContinuousClock.now
        guard store.load(match.entry, blocks: have..<match.blocks, into: kv) else { return }
        kv.length = match.blocks * transformer.cache.blockSize
        RefineryInference.logger.debug(
            "read \(kv.length - have * transformer.cache.blockSize) positions of a saved prefix in \(started.duration(to: .now))")
        prefixCache.insert(tokens: sequence.prompt, blocks: kv.blocks, length: kv.length)
    }

    /// Saves the full blocks of each just-computed prompt that the store wants.
    func savePrefixes(_ prompts: [([Int32], KVSequence)]) {
        guard let store = savedPrefixes else { return }
        for (prompt, kv) in prompts {
            let blocks = store.blocksToSave(prompt)
            if blocks > 0 { store.save(tokens: prompt, kv: kv, blockCount: blocks) }
        }
    }
}
