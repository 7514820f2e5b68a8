import RefineryCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The key/value cache, paged: memory is a pool of fixed-size blocks of `blockSize` positions,
/// and each sequence owns a block table (``KVSequence``) mapping its positions to blocks.
///
/// Blocks are reference-counted, so sequences can share a prefix (prefix cache, forks) and a
/// shared block is copied only when a sequence writes into it (copy-on-write). Keys and values
/// are stored as F16, per layer as `[block][slot][kvHead][headDimension]`.
///
/// The cache is used from the engine's scheduler thread only.
public final class PagedKVCache: @unchecked Sendable {
    /// Positions per block.
    public let blockSize: Int
    /// Blocks in the pool.
    public let blockCount: Int
    public let layerCount: Int
    /// Values per position per layer (`kvHeads × headDimension`).
    public let kvDimension: Int

    private let keys: UnsafeMutablePointer<Float16>
    private let values: UnsafeMutablePointer<Float16>
    private var referenceCounts: [Int32]
    private var freeBlocks: [Int32]

    /// A pool of `blockCount` blocks of `blockSize` positions for a model with `layerCount`
    /// layers of `kvDimension` values per position.
    public init(layerCount: Int, kvDimension: Int, blockSize: Int = 32, blockCount: Int) {
        self.blockSize = blockSize
        self.blockCount = blockCount
        self.layerCount = layerCount
        self.kvDimension = kvDimension
        let count = layerCount * blockCount * blockSize * kvDimension
        keys = Self.zeroed(count)
        values = Self.zeroed(count)
        referenceCounts = [Int32](repeating: 0, count: blockCount)
        freeBlocks = (0..<Int32(blockCount)).reversed()
    }

    deinit {
        free(keys)
        free(values)
    }

    /// `count` zeroed values. A large `calloc` is fresh anonymous memory that the kernel zeroes
    /// page by page on first touch, so starting a model does not write the whole pool (about
    /// 100 MB for SmolLM2 at 4096 positions, a third of its start-up): only the blocks that
    /// sequences use are ever touched.
    private static func zeroed(_ count: Int) -> UnsafeMutablePointer<Float16> {
        guard let raw = calloc(max(1, count), MemoryLayout<Float16>.stride) else {
            fatalError("cannot allocate \(count) KV cache values")
        }
        return raw.bindMemory(to: Float16.self, capacity: max(1, count))
    }

    /// Bytes of memory the cache holds.
    public var byteCount: Int { 2 * layerCount * blockCount * blockSize * kvDimension * MemoryLayout<Float16>.size }

    /// Blocks not used by any sequence.
    public var freeBlockCount: Int { freeBlocks.count }

    /// The key vector slot of `layer` at (`block`, `slot`).
    @inline(__always)
    public func keys(layer: Int, block: Int, slot: Int) -> UnsafeMutablePointer<Float16> {
        keys + ((layer &* blockCount &+ block) &* blockSize &+ slot) &* kvDimension
    }

    /// The value vector slot of `layer` at (`block`, `slot`).
    @inline(__always)
    public func values(layer: Int, block: Int, slot: Int) -> UnsafeMutablePointer<Float16> {
        values + ((layer &* blockCount &+ block) &* blockSize &+ slot) &* kvDimension
    }

    /// Start of `layer`'s key storage (block 0, slot 0).
    @inline(__always) func keyBase(layer: Int) -> UnsafeMutablePointer<Float16> { keys(layer: layer, block: 0, slot: 0) }
    /// Start of `layer`'s value storage (block 0, slot 0).
    @inline(__always) func valueBase(layer: Int) -> UnsafeMutablePointer<Float16> { values(layer: layer, block: 0, slot: 0) }

    /// Frees cached blocks nobody uses (the prefix cache's) until `count` blocks are free, when asked.
    var reclaimer: ((_ count: Int) -> Void)?

    /// Asks the ``reclaimer`` for `count` free blocks if fewer are free: cached prefixes no
    /// sequence uses are evicted until they are (or nothing more can go).
    public func reclaim(free count: Int) {
        if freeBlocks.count < count { reclaimer?(count) }
    }

    func allocateBlock() throws(ModelError) -> Int32 {
        guard let block = freeBlocks.popLast() else {
            throw .contextFull("all \(blockCount) blocks of \(blockSize) positions are in use")
        }
        referenceCounts[Int(block)] = 1
        return block
    }

    func retain(_ block: Int32) { referenceCounts[Int(block)] += 1 }

    func release(_ block: Int32) {
        referenceCounts[Int(block)] -= 1
        precondition(referenceCounts[Int(block)] >= 0, "KV block released twice")
        if referenceCounts[Int(block)] == 0 { freeBlocks.append(block) }
    }

    func isShared(_ block: Int32) -> Bool { referenceCounts[Int(block)] > 1 }

    /// Copies every layer's keys and values of `source` into `destination`.
    func copyBlock(_ source: Int32, to destination: Int32) {
        let span = blockSize * kvDimension
        for layer in 0..<layerCount {
            keys(layer: layer, block: Int(destination), slot: 0).update(from: keys(layer: layer, block: Int(source), slot: 0), count: span)
            values(layer: layer, block: Int(destination), slot: 0).update(from: values(layer: layer, block: Int(source), slot: 0), count: span)
        }
    }
}
