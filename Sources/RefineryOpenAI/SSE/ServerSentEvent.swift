import RefineryCore
/// One event of a `text/event-stream` (the WHATWG server-sent events format).
public struct ServerSentEvent: Sendable, Hashable {
    /// The `event:` field; `nil` means the default type, `message`.
    public var event: String?
    /// The `data:` lines joined with newlines.
    public var data: String
    /// The `id:` field, when the event had one.
    public var id: String?
    /// The `retry:` field in milliseconds, when the event had one.
    public var retry: Int?

    public init(event: String? = nil, data: String, id: String? = nil, retry: Int? = nil) {
        self.event = event
        self.data = data
        self.id = id
        self.retry = retry
    }

    /// The event in wire form, ending with the blank line that dispatches it.
    public var encoded: String {
        var out = ""
        if let event { out += "event: \(event)\n" }
        if let id { out += "id: \(id)\n" }
        if let retry { out += "retry: \(retry)\n" }
        for line in data.split(separator: "\n", omittingEmptySubsequences: false) { out += "data: \(line)\n" }
        return out + "\n"
    }
}

/// A stream that breaks the event-stream format's limits.
public struct ServerSentEventError: Error, Sendable, Hashable, CustomStringConvertible {
    fileprivate enum Kind: String, Sendable, Hashable { case eventTooLarge }

    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate let kind: Kind
        /// One event (or one line) is larger than the parser's limit.
        public static let eventTooLarge = Code(kind: .eventTooLarge)
        public var description: String { kind.rawValue }
    }

    public let code: Code
    public let message: String
    /// Bytes of the stream consumed before the error.
    public let offset: Int

    public var description: String { "\(message) (at byte \(offset) of the event stream)" }
}

/// Turns bytes of a `text/event-stream` into events as they arrive, in any chunking.
///
/// Lines may end in `\n`, `\r\n` or `\r`; comments (`:` lines) are skipped; an event is
/// dispatched by a blank line, so bytes after the last blank line are an incomplete event
/// (``hasIncompleteEvent``) that a stream cut short leaves behind.
public struct ServerSentEventParser: Sendable {
    /// The largest event (and line) accepted, in bytes.
    public var maxEventBytes: Int

    private var buffer: [UInt8] = []
    /// Where to resume the search for a line end in `buffer`.
    private var scanFrom = 0
    private var data: [UInt8] = []
    private var hasDataField = false
    private var eventType: String?
    private var eventID: String?
    private var retry: Int?
    private var sawFieldSinceDispatch = false
    private var skipLineFeed = false
    private var atStart = true
    private var consumed = 0

    public init(maxEventBytes: Int = 16 << 20) {
        self.maxEventBytes = maxEventBytes
    }

    /// Whether bytes of an event arrived that no blank line has dispatched yet.
    public var hasIncompleteEvent: Bool { sawFieldSinceDispatch || !buffer.isEmpty }

    /// Feeds the next bytes and returns the events they complete.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) throws(ServerSentEventError) -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        var input = bytes[...]
        if atStart {
            // Skip a UTF-8 byte order mark at the start of the stream.
            if buffer.isEmpty && input.count >= 3 && input.starts(with: [0xEF, 0xBB, 0xBF]) { input = input.dropFirst(3) }
            if !input.isEmpty { atStart = false }
        }
        if skipLineFeed, let first = input.first {
            skipLineFeed = false
            if first == 0x0A { input = input.dropFirst() }
        }
        buffer.append(contentsOf: input)
        consumed &+= bytes.count
        var lineStart = 0
        var k = scanFrom
        let n = buffer.count
        while k < n {
            let c = buffer[k]
            if c == 0x0A || c == 0x0D {
                try processLine(lineStart, k, into: &events)
                if c == 0x0D {
                    if k &+ 1 < n {
                        if buffer[k &+ 1] == 0x0A { k &+= 1 }
                    } else {
                        skipLineFeed = true
                    }
                }
                lineStart = k &+ 1
            }
            k &+= 1
        }
        if lineStart > 0 { buffer.removeSubrange(0..<lineStart) }
        scanFrom = buffer.count
        if buffer.count > maxEventBytes {
            throw ServerSentEventError(code: .eventTooLarge, message: "a line longer than \(maxEventBytes) bytes", offset: consumed)
        }
        return events
    }

    /// Feeds the next bytes.
    public mutating func feed(_ bytes: [UInt8]) throws(ServerSentEventError) -> [ServerSentEvent] {
        let result: Result<[ServerSentEvent], ServerSentEventError> = bytes.withUnsafeBytes { raw in
            do throws(ServerSentEventError) { return .success(try feed(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    private mutating func processLine(_ start: Int, _ end: Int, into events: inout [ServerSentEvent]) throws(ServerSentEventError) {
        if start == end {
            dispatch(into: &events)
            return
        }
        sawFieldSinceDispatch = true
        if buffer[start] == 0x3A { return }  // a comment
        var colon = start
        while colon < end && buffer[colon] != 0x3A { colon &+= 1 }
        var valueStart = colon < end ? colon &+ 1 : end
        if valueStart < end && buffer[valueStart] == 0x20 { valueStart &+= 1 }
        let name = buffer[start..<colon]
        let value = buffer[valueStart..<end]
        if name.elementsEqual("data".utf8) {
            if hasDataField { data.append(0x0A) }
            hasDataField = true
            data.append(contentsOf: value)
            if data.count > maxEventBytes {
                throw ServerSentEventError(code: .eventTooLarge, message: "an event larger than \(maxEventBytes) bytes", offset: consumed)
            }
        } else if name.elementsEqual("event".utf8) {
            eventType = String(decoding: value, as: UTF8.self)
        } else if name.elementsEqual("id".utf8) {
            if !value.contains(0) { eventID = String(decoding: value, as: UTF8.self) }
        } else if name.elementsEqual("retry".utf8) {
            if let ms = Int(String(decoding: value, as: UTF8.self)), ms >= 0 { retry = ms }
        }
    }

    private mutating func dispatch(into events: inout [ServerSentEvent]) {
        defer {
            data.removeAll(keepingCapacity: true)
            hasDataField = false
            eventType = nil
            retry = nil
            sawFieldSinceDispatch = false
        }
        guard hasDataField else { return }
        events.append(ServerSentEvent(event: eventType, data: String(decoding: data, as: UTF8.self), id: eventID, retry: retry))
    }
}
