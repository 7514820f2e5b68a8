import RefineryCore
/// One sequence's view of the ``PagedKVCache``: its block table and how many positions hold
/// keys and values.
///
/// Positions `0..<length` are filled. Before a forward pass writes positions, the scheduler
/// calls ``reserve(upTo:)``, which allocates blocks and un-shares (copies) a shared block about
/// to be written. ``fork()`` shares every block with a new sequence without copying.
public final class KVSequence: @unchecked Sendable {
    /// The cache this sequence lives in.
    public let cache: PagedKVCache
    /// Block ids, in position order.
    public private(set) var blocks: [Int32] = []
    /// Positions that hold keys and values.
    public var length: Int = 0

    /// An empty sequence in `cache`.
    public init(cache: PagedKVCache) { self.cache = cache }

    deinit { for block in blocks { cache.release(block) } }

    /// Positions the allocated blocks can hold.
    public var capacity: Int { blocks.count * cache.blockSize }

    /// Makes positions `length..<newLength` writable: allocates missing blocks and copies any
    /// shared block among them. Nothing changes if it throws.
    public func reserve(upTo newLength: Int) throws(ModelError) {
        let needed = (newLength + cache.blockSize - 1) / cache.blockSize
        let missing = max(0, needed - blocks.count)
        let firstWritten = length / cache.blockSize
        let sharedCount = (firstWritten..<min(needed, blocks.count)).filter { cache.isShared(blocks[$0]) }.count
        cache.reclaim(free: missing + sharedCount)
        guard missing + sharedCount <= cache.freeBlockCount else {
            throw .contextFull("\(missing + sharedCount) more blocks needed, \(cache.freeBlockCount) free")
        }
        for index in firstWritten..<min(needed, blocks.count) where cache.isShared(blocks[index]) {
            let copy = try cache.allocateBlock()
            cache.copyBlock(blocks[index], to: copy)
            cache.release(blocks[index])
            blocks[index] = copy
        }
        for _ in 0..<missing { blocks.append(try cache.allocateBlock()) }
    }

    /// Appends full blocks computed elsewhere (the prefix cache's), shared without copying: the
    /// sequence must be empty or end on a block boundary, and it then holds their positions.
    func appendShared(_ shared: [Int32]) {
        precondition(length == blocks.count * cache.blockSize, "shared blocks follow a full block")
        for block in shared { cache.retain(block) }
        blocks += shared
        length += shared.count * cache.blockSize
    }

    /// A new sequence sharing all of this one's positions (copy-on-write).
    public func fork() -> KVSequence {
        let other = KVSequence(cache: cache)
        for block in blocks { cache.retain(block) }
        other.blocks = blocks
        other.length = length
        return other
    }

    /// Drops positions from `newLength` on, releasing blocks no longer needed.
    public func truncate(to newLength: Int) {
        let keep = (newLength + cache.blockSize - 1) / cache.blockSize
        while blocks.count > keep { cache.release(blocks.removeLast()) }
        length = min(length, newLength)
    }
}
