import RefineryCore
/// KV blocks of earlier generations kept for reuse, keyed by the tokens that produced them.
///
/// Agents send nearly the same text again and again (a critique repeats the draft's prompt, a
/// conversation resends its history); a request whose prompt starts with cached blocks feeds
/// only the rest. Only full blocks are cached, each keyed by its parent block and its own
/// tokens — a radix tree over block-sized token runs — so a block is reused only after exactly
/// the same prefix. A cached block is shared (reference counted) with the sequences that use
/// it; they never write into it, because a sequence only ever appends after its last full
/// block. Least recently used leaves are evicted beyond the capacity, and whenever a sequence
/// needs free blocks (through the pool's reclaimer).
///
/// Used on the scheduler thread only.
final class PrefixCache {
    private struct Key: Hashable {
        /// The block before this one, or -1 for the first block.
        var parent: Int32
        var tokens: [Int32]
    }

    private struct Entry {
        var key: Key
        var lastUse: UInt64
        var children: Int
    }

    let cache: PagedKVCache
    /// Most blocks kept.
    let capacity: Int
    private var entries: [Int32: Entry] = [:]
    private var index: [Key: Int32] = [:]
    private var tick: UInt64 = 0

    /// Becomes `cache`'s reclaimer: any sequence short of blocks (a generation, a benchmark, a
    /// perplexity run) gets them from cached prefixes nobody uses.
    init(cache: PagedKVCache, capacityBlocks: Int) {
        self.cache = cache
        capacity = max(0, capacityBlocks)
        cache.reclaimer = { [unowned self] count in self.makeRoom(free: count) }
    }

    /// The cached blocks that hold the longest prefix of `tokens` made of full blocks, leaving at
    /// least one token to feed (the forward pass must see the prompt's last token to produce
    /// logits). The caller retains the blocks it keeps.
    func lookup(_ tokens: [Int32]) -> [Int32] {
        let size = cache.blockSize
        let usable = (tokens.count - 1) / size
        guard capacity > 0, usable > 0 else { return [] }
        tick &+= 1
        var blocks: [Int32] = []
        var parent: Int32 = -1
        for i in 0..<usable {
            let key = Key(parent: parent, tokens: Array(tokens[(i * size)..<((i + 1) * size)]))
            guard let block = index[key] else { break }
            entries[block]!.lastUse = tick
            blocks.append(block)
            parent = block
        }
        return blocks
    }

    /// Registers the full blocks of a sequence whose first `length` positions hold the keys and
    /// values of `tokens[0..<length]`. Blocks already cached (shared earlier) are just marked used.
    func insert(tokens: [Int32], blocks: [Int32], length: Int) {
        guard capacity > 0 else { return }
        let size = cache.blockSize
        let full = min(min(length, tokens.count) / size, blocks.count)
        tick &+= 1
        var parent: Int32 = -1
        for i in 0..<full {
            let key = Key(parent: parent, tokens: Array(tokens[(i * size)..<((i + 1) * size)]))
            if let existing = index[key] {
                entries[existing]!.lastUse = tick
                parent = existing
                continue
            }
            let block = blocks[i]
            // A block is cached under one key only; one cached under another prefix (cannot happen
            // for a sequence's own blocks, but costs nothing to guard) ends the chain here.
            guard entries[block] == nil else { break }
            cache.retain(block)
            entries[block] = Entry(key: key, lastUse: tick, children: 0)
            index[key] = block
            if parent >= 0 { entries[parent]!.children += 1 }
            parent = block
        }
        while entries.count > capacity, evictOne(onlyUnused: false) {}
    }

    /// Evicts least recently used blocks no sequence uses until the pool has `free` free blocks
    /// (or nothing more can go). Returns whether the pool has them.
    @discardableResult
    func makeRoom(free: Int) -> Bool {
        while cache.freeBlockCount < free {
            guard evictOne(onlyUnused: true) else { return false }
        }
        return true
    }

    /// Drops every cached block.
    func removeAll() {
        for (block, _) in entries { cache.release(block) }
        entries.removeAll()
        index.removeAll()
    }

    /// Evicts the least recently used leaf (one only the cache holds, if `onlyUnused`).
    private func evictOne(onlyUnused: Bool) -> Bool {
        var victim: Int32?
        var oldest = UInt64.max
        for (block, entry) in entries where entry.children == 0 && entry.lastUse < oldest {
            if onlyUnused && cache.isShared(block) { continue }
            victim = block
            oldest = entry.lastUse
        }
        guard let victim, let entry = entries.removeValue(forKey: victim) else { return false }
        index[entry.key] = nil
        if entry.key.parent >= 0 { entries[entry.key.parent]!.children -= 1 }
        cache.release(victim)
        return true
    }
}
