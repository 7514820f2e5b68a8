#if canImport(Glibc)
import RefineryCore
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// A persistent pool of the engine's own threads for the parallel sections of a forward pass.
///
/// A forward pass of a small model has hundreds of parallel sections per token, so a section
/// must cost microseconds: workers spin on a generation counter for a short while after each
/// section, then park on a condition variable. The calling thread takes part as worker 0, so
/// a pool of `threadCount` uses `threadCount - 1` extra threads. The pool never touches
/// Swift's cooperative thread pool.
///
/// Work is handed out in chunks through an atomic counter (dynamic scheduling), which keeps a
/// descheduled thread from stalling the section; each index is processed by exactly one
/// thread, and what is computed for an index never depends on which thread takes it.
///
/// `parallelFor` must be called from one thread at a time (the engine's scheduler thread).
public final class WorkerPool: @unchecked Sendable {
    /// The threads taking part in each section, the caller's included.
    public let threadCount: Int
    private let core: WorkerPoolCore

    /// Creates a pool of `threads` threads (at least 1), the calling thread counted. The extra
    /// threads run `niceness` steps below normal priority (Linux; see ``InferenceEngine/Options/threadNiceness``).
    public init(threads: Int = WorkerPool.defaultThreadCount, spinLimit: Int = 20_000, niceness: Int = 0) {
        core = WorkerPoolCore(threads: threads, spinLimit: spinLimit, niceness: niceness)
        threadCount = core.threadCount
    }

    deinit { core.shutdown() }

    /// The number of cores this process may run on.
    public static var defaultThreadCount: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// Runs `body` over `0..<count` split into chunks of `chunk` indices, on every thread of
    /// the pool, and returns when all chunks are done. `body` receives a range and the index
    /// of the thread running it (`0..<threadCount`, for per-thread scratch memory).
    @inline(__always)
    public func parallelFor(_ count: Int, chunk: Int = 1, _ body: (Range<Int>, Int) -> Void) {
        core.parallelFor(count, chunk: chunk, body)
    }
}

/// The state the worker threads share with the pool; the threads keep it alive until they exit.
final class WorkerPoolCore: @unchecked Sendable {
    let threadCount: Int

    /// How long (in polling iterations) a worker spins before parking.
    private let spinLimit: Int

    private let generation = Atomic<Int>(0)
    private let nextChunk = Atomic<Int>(0)
    private let finished = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let shuttingDown = Atomic<Bool>(false)
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private let exited = Atomic<Int>(0)

    /// The current section, valid while a section runs; written before `generation` is bumped.
    private let job: UnsafeMutablePointer<Job>

    private struct Job {
        var body: ((Range<Int>, Int) -> Void)?
        var count = 0
        var chunk = 1
    }

    init(threads: Int, spinLimit: Int, niceness: Int) {
        threadCount = max(1, threads)
        self.spinLimit = spinLimit
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
        job = .allocate(capacity: 1)
        job.initialize(to: Job())
        for index in 1..<threadCount {
            let thread = Thread {
                ThreadNiceness.lowerCurrentThread(by: niceness)
                self.workerLoop(index: index)
            }
            thread.name = "refinery-worker-\(index)"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// Stops the worker threads and waits for them to exit.
    func shutdown() {
        shuttingDown.store(true, ordering: .sequentiallyConsistent)
        generation.add(1, ordering: .sequentiallyConsistent)
        pthread_mutex_lock(mutex)
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
        while exited.load(ordering: .acquiring) < threadCount - 1 { sched_yield() }
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        condition.deallocate()
        job.deinitialize(count: 1)
        job.deallocate()
    }

    func parallelFor(_ count: Int, chunk: Int = 1, _ body: (Range<Int>, Int) -> Void) {
        guard count > 0 else { return }
        let chunk = max(1, chunk)
        if threadCount == 1 || count <= chunk {
            body(0..<count, 0)
            return
        }
        withoutActuallyEscaping(body) { escapable in
            job.pointee = Job(body: escapable, count: count, chunk: chunk)
            nextChunk.store(0, ordering: .relaxed)
            finished.store(0, ordering: .relaxed)
            generation.add(1, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                pthread_mutex_lock(mutex)
                pthread_cond_broadcast(condition)
                pthread_mutex_unlock(mutex)
            }
            runChunks(thread: 0)
            var spins = 0
            while finished.load(ordering: .acquiring) < threadCount - 1 {
                spins &+= 1
                if spins > 1000 { sched_yield() }
            }
            job.pointee.body = nil
        }
    }

    private func runChunks(thread: Int) {
        let count = job.pointee.count
        let chunk = job.pointee.chunk
        guard let body = job.pointee.body else { return }
        while true {
            let start = nextChunk.add(chunk, ordering: .relaxed).oldValue
            if start >= count { break }
            body(start..<min(count, start &+ chunk), thread)
        }
    }

    private func workerLoop(index: Int) {
        var seen = 0
        while true {
            var spins = 0
            var current = generation.load(ordering: .acquiring)
            while current == seen {
                spins &+= 1
                if spins < spinLimit {
                    current = generation.load(ordering: .acquiring)
                    continue
                }
                pthread_mutex_lock(mutex)
                sleepers.add(1, ordering: .sequentiallyConsistent)
                current = generation.load(ordering: .sequentiallyConsistent)
                while current == seen {
                    pthread_cond_wait(condition, mutex)
                    current = generation.load(ordering: .sequentiallyConsistent)
                }
                sleepers.subtract(1, ordering: .sequentiallyConsistent)
                pthread_mutex_unlock(mutex)
            }
            seen = current
            if shuttingDown.load(ordering: .acquiring) {
                exited.add(1, ordering: .releasing)
                return
            }
            runChunks(thread: index)
            finished.add(1, ordering: .releasing)
        }
    }
}
