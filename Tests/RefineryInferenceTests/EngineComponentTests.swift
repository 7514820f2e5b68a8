import RefineryCore
import Foundation
import Synchronization
import Testing
import RefineryInference

@Suite("Worker pool")
struct EngineWorkerPoolTests {
    @Test("every index runs exactly once, on any thread count")
    func coverage() {
        for threads in [1, 2, 3] {
            let pool = WorkerPool(threads: threads, spinLimit: 1000)
            let hits = UnsafeMutablePointer<Int>.allocate(capacity: 10_000)
            hits.initialize(repeating: 0, count: 10_000)
            defer { hits.deallocate() }
            for round in 0..<50 {
                pool.parallelFor(10_000, chunk: 1 + round % 37) { range, thread in
                    precondition(thread < threads)
                    for i in range { hits[i] += 1 }
                }
            }
            #expect((0..<10_000).allSatisfy { hits[$0] == 50 })
        }
    }

    @Test("a parallel section costs microseconds (overhead printed)")
    func overhead() {
        let pool = WorkerPool(threads: 2)
        let sections = 20_000
        let counter = Atomic<Int>(0)
        let start = ContinuousClock.now
        for _ in 0..<sections {
            pool.parallelFor(2) { range, _ in counter.add(range.count, ordering: .relaxed) }
        }
        let elapsed = start.duration(to: .now)
        let perSection = Double(elapsed.components.attoseconds) / 1e12 / Double(sections) + Double(elapsed.components.seconds) * 1e6 / Double(sections)
        print("worker pool: \(String(format: "%.2f", perSection)) µs per parallel section (2 threads, \(sections) sections)")
        #expect(counter.load(ordering: .relaxed) == 2 * sections)
        #expect(perSection < 1000)
    }
}

@Suite("Paged KV cache")
struct EngineKVCacheTests {
    @Test("blocks are allocated on demand, shared by forks and copied on write")
    func copyOnWrite() throws {
        let cache = PagedKVCache(layerCount: 2, kvDimension: 4, blockSize: 4, blockCount: 8)
        let a = KVSequence(cache: cache)
        try a.reserve(upTo: 6)
        #expect(a.blocks.count == 2 && cache.freeBlockCount == 6)
        for layer in 0..<2 { cache.keys(layer: layer, block: Int(a.blocks[1]), slot: 1)[0] = Float16(Float(layer + 1)) }
        a.length = 6
        let b = a.fork()
        #expect(b.blocks == a.blocks && cache.freeBlockCount == 6)
        // b writes position 6, inside the shared second block: it gets its own copy.
        try b.reserve(upTo: 7)
        #expect(b.blocks[0] == a.blocks[0] && b.blocks[1] != a.blocks[1])
        #expect(cache.keys(layer: 1, block: Int(b.blocks[1]), slot: 1)[0] == 2)
        #expect(cache.freeBlockCount == 5)
        b.truncate(to: 0)
        #expect(cache.freeBlockCount == 6)
    }

    @Test("a full pool gives a typed error and changes nothing")
    func full() throws {
        let cache = PagedKVCache(layerCount: 1, kvDimension: 2, blockSize: 4, blockCount: 2)
        let a = KVSequence(cache: cache)
        try a.reserve(upTo: 8)
        let b = KVSequence(cache: cache)
        #expect(throws: ModelError.self) { try b.reserve(upTo: 1) }
        #expect(b.blocks.isEmpty && cache.freeBlockCount == 0)
    }
}
