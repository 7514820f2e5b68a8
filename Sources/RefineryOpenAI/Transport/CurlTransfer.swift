import RefineryCore
import CCurl
import Synchronization

/// One HTTP exchange driven by ``CurlMultiDriver``: the consumer awaits the response head and
/// then body chunks; the driver thread feeds them in from libcurl's callbacks.
///
/// Buffering is bounded: once `bufferLimit` bytes wait for the consumer, the write callback
/// pauses the transfer (`CURL_WRITEFUNC_PAUSE`), and taking the bytes resumes it. Cancelling
/// (the consumer's task, or ``cancel()``) ends the consumer's wait at once and has the
/// driver remove and close the handle.
final class CurlTransfer: @unchecked Sendable {
    enum Outcome: Sendable {
        case completed
        case failed(TransportFailure)
        case cancelled
    }

    private struct State {
        var status: Int?
        var headerLines: [(name: String, value: String)] = []
        var head: HTTPResponseHead?
        var body: [UInt8] = []
        var paused = false
        var outcome: Outcome?
        var waiter: CheckedContinuation<Void, Never>?
        var signalled = false
        var cancelRequestedAt: ContinuousClock.Instant?
    }

    let request: HTTPRequest
    let bufferLimit: Int
    private let driver: CurlMultiDriver
    private let state = Mutex(State())

    // Touched only on the driver thread.
    var easy: UnsafeMutableRawPointer?
    var headerList: UnsafeMutablePointer<curl_slist>?
    let errorBuffer: UnsafeMutablePointer<CChar>

    init(request: HTTPRequest, bufferLimit: Int, driver: CurlMultiDriver) {
        self.request = request
        self.bufferLimit = bufferLimit
        self.driver = driver
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        if let headerList { curl_slist_free_all(headerList) }
        errorBuffer.deallocate()
    }

    /// Hands the transfer to the driver thread.
    func start() { driver.submit(self) }

    /// Aborts the transfer: the consumer's pending and later waits end with `CancellationError`.
    func cancel() {
        let (changed, w): (Bool, CheckedContinuation<Void, Never>?) = state.withLock { s in
            guard s.outcome == nil else { return (false, nil) }
            s.outcome = .cancelled
            s.cancelRequestedAt = .now
            return (true, signal(&s))
        }
        w?.resume()
        if changed { driver.cancel(self) }
    }

    /// When ``cancel()`` was first called, if it was.
    var cancelRequestedAt: ContinuousClock.Instant? { state.withLock { $0.cancelRequestedAt } }

    // MARK: Consumer side

    /// Waits for the final response head (after any 1xx).
    func head() async throws -> HTTPResponseHead {
        try await wait { s in
            if let h = s.head { return .success(h) }
            switch s.outcome {
            case nil: return nil
            case .completed?: return .failure(TransportFailure(curlCode: 8, message: "the server sent no response head"))
            case .failed(let f)?: return .failure(f)
            case .cancelled?: return .failure(CancellationError())
            }
        }
    }

    /// The next bytes of the body; `nil` once the body ended normally.
    func nextChunk() async throws -> [UInt8]? {
        var resume = false
        let chunk: [UInt8]? = try await wait { s in
            if !s.body.isEmpty {
                let b = s.body
                s.body = []
                if s.paused {
                    s.paused = false
                    resume = true
                }
                return .success(b)
            }
            switch s.outcome {
            case nil: return nil
            case .completed?: return .success(nil)
            case .failed(let f)?: return .failure(f)
            case .cancelled?: return .failure(CancellationError())
            }
        }
        if resume { driver.resume(self) }
        return chunk
    }

    /// The whole remaining body, failing with `tooLarge` past `limit` bytes (the transfer is then cancelled).
    func readAll(limit: Int) async throws -> (bytes: [UInt8], truncated: Bool) {
        var out: [UInt8] = []
        while let chunk = try await nextChunk() {
            out.append(contentsOf: chunk)
            if out.count > limit {
                cancel()
                return (Array(out.prefix(limit)), true)
            }
        }
        return (out, false)
    }

    private func wait<T>(_ check: (inout State) -> Result<T, any Error>?) async throws -> T {
        try await withTaskCancellationHandler {
            while true {
                if let result = state.withLock({ check(&$0) }) { return try result.get() }
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let now: Bool = state.withLock { s in
                        if s.signalled {
                            s.signalled = false
                            return true
                        }
                        s.waiter = c
                        return false
                    }
                    if now { c.resume() }
                }
            }
        } onCancel: {
            self.cancel()
        }
    }

    private func signal(_ s: inout State) -> CheckedContinuation<Void, Never>? {
        if let w = s.waiter {
            s.waiter = nil
            return w
        }
        s.signalled = true
        return nil
    }

    // MARK: Driver side (libcurl callbacks and completion)

    /// Body bytes from libcurl; returns what it consumed, the pause code, or 0 to abort.
    func receive(_ bytes: UnsafeRawBufferPointer) -> Int {
        let (consumed, w): (Int, CheckedContinuation<Void, Never>?) = state.withLock { s in
            if s.outcome != nil { return (0, nil) }
            if s.body.count >= bufferLimit {
                s.paused = true
                driver.notePause()
                return (ccurl_writefunc_pause(), nil)
            }
            s.body.append(contentsOf: bytes)
            return (bytes.count, signal(&s))
        }
        w?.resume()
        return consumed
    }

    /// One header line from libcurl (with its line end).
    func receiveHeader(_ bytes: UnsafeRawBufferPointer) -> Int {
        var line = String(decoding: bytes, as: UTF8.self)
        while line.last == "\n" || line.last == "\r" || line.last == "\r\n" { line.removeLast() }
        let w: CheckedContinuation<Void, Never>? = state.withLock { s in
            if line.hasPrefix("HTTP/") {
                let parts = line.split(separator: " ", maxSplits: 2)
                s.status = parts.count > 1 ? Int(parts[1]) : nil
                s.headerLines = []
                return nil
            }
            if line.isEmpty {
                guard let status = s.status, status >= 200 || status == 101 else { return nil }
                s.head = HTTPResponseHead(status: status, headers: s.headerLines)
                return signal(&s)
            }
            if let colon = line.firstIndex(of: ":") {
                let name = String(line[..<colon]).trimmingSpaces
                let value = String(line[line.index(after: colon)...]).trimmingSpaces
                s.headerLines.append((name: name, value: value))
            }
            return nil
        }
        w?.resume()
        return bytes.count
    }

    /// Called by the driver once libcurl is done with the handle.
    func complete(_ outcome: Outcome) {
        let w: CheckedContinuation<Void, Never>? = state.withLock { s in
            guard s.outcome == nil else { return nil }
            s.outcome = outcome
            return signal(&s)
        }
        w?.resume()
    }

    var isCancelled: Bool {
        state.withLock { s in
            if case .cancelled? = s.outcome { return true }
            return false
        }
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s.removeFirst() }
        while s.last == " " || s.last == "\t" { s.removeLast() }
        return String(s)
    }
}
