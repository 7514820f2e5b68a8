import RefineryCore
import CCurl
import Foundation
import Synchronization

/// Figures about the remote transport, for diagnostics and leak checks.
public struct RemoteTransportStatistics: Sendable, Hashable {
    /// Transfers currently held by the transport's thread.
    public var activeTransfers: Int
    /// Transfers started since the process began.
    public var startedTransfers: Int
    /// Transfers removed because their consumer cancelled them.
    public var cancelledTransfers: Int
    /// Times a transfer was paused because its consumer lagged behind.
    public var pauses: Int
    /// The longest time from a cancel request to the handle's removal (its connection closed).
    public var maxCancelLatency: Duration
    /// That time for the most recent cancelled transfer.
    public var lastCancelLatency: Duration
}

/// Owns one libcurl multi handle and the dedicated thread that drives it.
///
/// All libcurl calls for the transfers happen on that thread (not on Swift's cooperative
/// pool, which has only as many threads as cores). Other threads talk to it through a
/// command queue and `curl_multi_wakeup`, which interrupts `curl_multi_poll` at once, so a
/// cancel reaches the socket within a fraction of a millisecond.
final class CurlMultiDriver: @unchecked Sendable {
    /// The process-wide transport.
    static let shared = CurlMultiDriver()

    private enum Command {
        case add(CurlTransfer)
        case cancel(CurlTransfer)
        case resume(CurlTransfer)
    }

    private let multi: UnsafeMutableRawPointer
    private let commands = Mutex<[Command]>([])
    private let stats = Mutex(
        RemoteTransportStatistics(
            activeTransfers: 0, startedTransfers: 0, cancelledTransfers: 0, pauses: 0, maxCancelLatency: .zero,
            lastCancelLatency: .zero))
    /// Transfers by easy handle; touched only on the driver thread.
    private var transfers: [UnsafeMutableRawPointer: CurlTransfer] = [:]

    private init() {
        curl_global_init(ccurl_global_default())
        guard let multi = curl_multi_init() else { fatalError("curl_multi_init failed") }
        self.multi = multi
        // Keep a few idle connections for reuse; close the rest.
        _ = ccurl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, 32)
        let thread = Thread { [self] in self.run() }
        thread.name = "refinery-curl"
        thread.start()
    }

    var statistics: RemoteTransportStatistics { stats.withLock { $0 } }

    func submit(_ transfer: CurlTransfer) {
        enqueue(.add(transfer))
    }

    func cancel(_ transfer: CurlTransfer) {
        enqueue(.cancel(transfer))
    }

    func resume(_ transfer: CurlTransfer) {
        enqueue(.resume(transfer))
    }

    func notePause() {
        stats.withLock { $0.pauses += 1 }
    }

    private func enqueue(_ command: Command) {
        commands.withLock { $0.append(command) }
        curl_multi_wakeup(multi)
    }

    // MARK: The driver thread

    private func run() {
        var running: Int32 = 0
        while true {
            let pending = commands.withLock { queue -> [Command] in
                let taken = queue
                queue.removeAll(keepingCapacity: true)
                return taken
            }
            for command in pending {
                switch command {
                case .add(let t): add(t)
                case .cancel(let t):
                    if let easy = t.easy, transfers[easy] != nil { finish(easy, t, .cancelled) }
                case .resume(let t):
                    if let easy = t.easy, transfers[easy] != nil { curl_easy_pause(easy, ccurl_pause_cont()) }
                }
            }
            curl_multi_perform(multi, &running)
            var queued: Int32 = 0
            while let message = curl_multi_info_read(multi, &queued) {
                var easy: UnsafeMutableRawPointer?
                var result = CURLE_OK
                guard ccurl_msg_done(message, &easy, &result) != 0, let easy, let t = transfers[easy] else { continue }
                if result == CURLE_OK {
                    finish(easy, t, .completed)
                } else if t.isCancelled {
                    finish(easy, t, .cancelled)
                } else {
                    var text = String(cString: t.errorBuffer)
                    if text.isEmpty { text = String(cString: curl_easy_strerror(result)) }
                    finish(easy, t, .failed(TransportFailure(curlCode: Int(result.rawValue), message: text)))
                }
            }
            // Sleeps until a socket is ready, a libcurl timer is due, or a command wakes it.
            curl_multi_poll(multi, nil, 0, transfers.isEmpty ? 10_000 : 1_000, nil)
        }
    }

    private func add(_ t: CurlTransfer) {
        if t.isCancelled {
            t.complete(.cancelled)
            return
        }
        guard let easy = curl_easy_init() else {
            t.complete(.failed(TransportFailure(curlCode: 2, message: "curl_easy_init failed")))
            return
        }
        t.easy = easy
        let r = t.request
        let context = Unmanaged.passUnretained(t).toOpaque()
        _ = ccurl_easy_setopt_string(easy, CURLOPT_URL, r.url)
        _ = ccurl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        _ = ccurl_easy_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1)
        _ = ccurl_easy_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 0)
        _ = ccurl_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, t.errorBuffer)
        _ = ccurl_easy_setopt_write_function(easy, CURLOPT_WRITEFUNCTION, curlWriteCallback)
        _ = ccurl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, context)
        _ = ccurl_easy_setopt_write_function(easy, CURLOPT_HEADERFUNCTION, curlHeaderCallback)
        _ = ccurl_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, context)
        if let timeout = r.timeout {
            _ = ccurl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, max(1, milliseconds(timeout)))
        }
        let connect = r.timeout.map { min($0, r.connectTimeout) } ?? r.connectTimeout
        _ = ccurl_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, max(1, milliseconds(connect)))
        if r.method == "POST" {
            _ = ccurl_easy_setopt_long(easy, CURLOPT_POST, 1)
            _ = ccurl_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(r.body.count))
            // libcurl copies the bytes.
            if r.body.isEmpty {
                _ = ccurl_easy_setopt_string(easy, CURLOPT_COPYPOSTFIELDS, "")
            } else {
                r.body.withUnsafeBytes { raw in
                    _ = ccurl_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress!))
                }
            }
        } else if r.method != "GET" {
            _ = ccurl_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, r.method)
        }
        var list: UnsafeMutablePointer<curl_slist>?
        for header in r.headers { list = curl_slist_append(list, "\(header.name): \(header.value)") }
        list = curl_slist_append(list, "Expect:")  // no 100-continue round trip
        t.headerList = list
        _ = ccurl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, list)
        transfers[easy] = t
        stats.withLock {
            $0.startedTransfers += 1
            $0.activeTransfers = transfers.count
        }
        curl_multi_add_handle(multi, easy)
    }

    private func finish(_ easy: UnsafeMutableRawPointer, _ t: CurlTransfer, _ outcome: CurlTransfer.Outcome) {
        curl_multi_remove_handle(multi, easy)
        curl_easy_cleanup(easy)
        transfers[easy] = nil
        t.easy = nil
        t.complete(outcome)
        let cancelledAt = t.cancelRequestedAt
        let now = ContinuousClock.now
        stats.withLock { s in
            s.activeTransfers = transfers.count
            if case .cancelled = outcome, let cancelledAt {
                let latency = cancelledAt.duration(to: now)
                s.cancelledTransfers += 1
                s.lastCancelLatency = latency
                s.maxCancelLatency = max(s.maxCancelLatency, latency)
            }
        }
    }

    private func milliseconds(_ d: Duration) -> Int {
        let (s, atto) = d.components
        if s > Int64(Int.max / 2000) { return Int.max / 2 }
        return Int(s) * 1000 + Int(atto / 1_000_000_000_000_000)
    }
}

private func curlWriteCallback(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let context else { return 0 }
    let t = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    return t.receive(UnsafeRawBufferPointer(start: data, count: size * count))
}

private func curlHeaderCallback(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let context else { return 0 }
    let t = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    return t.receiveHeader(UnsafeRawBufferPointer(start: data, count: size * count))
}
