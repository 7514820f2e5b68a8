import RefineryCore
import Synchronization

/// A bounded number of requests generating at once, and a bounded queue of requests waiting
/// for one of them; a request that finds the queue full is refused at once (429).
///
/// Admission has two steps so the refusal can be answered as a status before a streaming
/// response starts: ``reserve()`` decides at once (a slot, a place in the queue, or refused),
/// and ``AdmissionTicket/wait()`` waits for the slot. Waiting requests are admitted in arrival
/// order; one whose task is cancelled (its client disconnected) leaves the queue at once.
final class AdmissionControl: Sendable {
    fileprivate struct Entry {
        let id: UInt64
        var continuation: CheckedContinuation<Void, any Error>?
    }

    fileprivate struct State {
        var active = 0
        var queue: [Entry] = []
        /// Queued tickets given a slot before they started waiting.
        var granted: Set<UInt64> = []
        var nextID: UInt64 = 0
    }

    /// The queue is full.
    struct QueueFull: Error {}

    let maxActive: Int
    let maxQueued: Int
    fileprivate let state = Mutex(State())
    private let onChange: @Sendable (_ active: Int, _ queued: Int) -> Void

    init(maxActive: Int, maxQueued: Int, onChange: @escaping @Sendable (_ active: Int, _ queued: Int) -> Void = { _, _ in }) {
        self.maxActive = max(1, maxActive)
        self.maxQueued = max(0, maxQueued)
        self.onChange = onChange
    }

    /// Requests holding a slot and requests waiting for one.
    var load: (active: Int, queued: Int) { state.withLock { ($0.active, $0.queue.count) } }

    /// A slot now or a place in the queue; throws ``QueueFull`` when the queue is full.
    func reserve() throws(QueueFull) -> AdmissionTicket {
        let id: UInt64? = try state.withLock { (s) throws(QueueFull) -> UInt64? in
            if s.active < maxActive && s.queue.isEmpty {
                s.active += 1
                changed(s)
                return nil
            }
            guard s.queue.count < maxQueued else { throw QueueFull() }
            s.nextID &+= 1
            s.queue.append(Entry(id: s.nextID))
            changed(s)
            return s.nextID
        }
        return AdmissionTicket(control: self, queued: id)
    }

    fileprivate func changed(_ s: State) { onChange(s.active, s.queue.count) }

    /// Waits until the queued ticket `id` has a slot.
    fileprivate func wait(_ id: UInt64) async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome: Result<Void, any Error>? = state.withLock { s in
                    if s.granted.remove(id) != nil { return .success(()) }
                    guard let index = s.queue.firstIndex(where: { $0.id == id }) else { return .failure(CancellationError()) }
                    if Task.isCancelled {
                        s.queue.remove(at: index)
                        changed(s)
                        return .failure(CancellationError())
                    }
                    s.queue[index].continuation = continuation
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let continuation: CheckedContinuation<Void, any Error>? = state.withLock { s in
                guard let index = s.queue.firstIndex(where: { $0.id == id }), let c = s.queue[index].continuation else { return nil }
                s.queue.remove(at: index)
                changed(s)
                return c
            }
            continuation?.resume(throwing: CancellationError())
        }
    }

    /// Gives a slot back: to the first queued request, or to the pool.
    fileprivate func release() {
        let next: CheckedContinuation<Void, any Error>? = state.withLock { s in
            guard !s.queue.isEmpty else {
                s.active -= 1
                changed(s)
                return nil
            }
            let entry = s.queue.removeFirst()
            changed(s)
            if let c = entry.continuation { return c }
            s.granted.insert(entry.id)
            return nil
        }
        next?.resume()
    }

    /// A ticket dropped before it got its slot: leave the queue, or give back a slot granted to it.
    fileprivate func abandon(_ id: UInt64) {
        let hadSlot: Bool = state.withLock { s in
            if s.granted.remove(id) != nil { return true }
            if let index = s.queue.firstIndex(where: { $0.id == id }) {
                s.queue.remove(at: index)
                changed(s)
            }
            return false
        }
        if hadSlot { release() }
    }
}

/// A reservation: a slot already held, or a place in the queue. ``wait()`` turns it into an
/// ``AdmissionPermit``; a ticket dropped unused gives its place or slot back.
final class AdmissionTicket: Sendable {
    private let control: AdmissionControl
    /// The queue entry; `nil` when the slot was free at once.
    private let queued: UInt64?
    private let used = Atomic(false)

    fileprivate init(control: AdmissionControl, queued: UInt64?) {
        self.control = control
        self.queued = queued
    }

    /// Whether the request had to queue.
    var isQueued: Bool { queued != nil }

    /// The slot, once it is this request's turn; `CancellationError` if cancelled first.
    func wait() async throws -> AdmissionPermit {
        precondition(used.exchange(true, ordering: .acquiringAndReleasing) == false, "an admission ticket is used once")
        if let id = queued {
            do { try await control.wait(id) } catch {
                control.abandon(id)
                throw error
            }
        }
        return AdmissionPermit(control)
    }

    deinit {
        guard used.load(ordering: .acquiring) == false else { return }
        if let id = queued { control.abandon(id) } else { control.release() }
    }
}

/// One admitted request's slot, given back by ``release()`` or when the permit is dropped.
final class AdmissionPermit: Sendable {
    private let control: AdmissionControl
    private let released = Atomic(false)

    fileprivate init(_ control: AdmissionControl) { self.control = control }

    /// Gives the slot back (once; later calls do nothing).
    func release() {
        if released.exchange(true, ordering: .acquiringAndReleasing) == false { control.release() }
    }

    deinit { release() }
}
