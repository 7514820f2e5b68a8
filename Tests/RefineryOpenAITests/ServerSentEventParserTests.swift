import RefineryCore
import RefineryOpenAI
import Testing

@Suite("Server-sent event parser")
struct ServerSentEventParserTests {
    static let stream = Array(
        (": comment\n\ndata: {\"a\":1}\n\nevent: update\nid: 7\ndata: line one\ndata: line two\n\n"
            + "data:no-space\r\n\r\nretry: 1500\rdata: cr only\r\rdata: [DONE]\n\n").utf8)

    static let expected = [
        ServerSentEvent(data: "{\"a\":1}"),
        ServerSentEvent(event: "update", data: "line one\nline two", id: "7"),
        ServerSentEvent(data: "no-space", id: "7"),
        ServerSentEvent(data: "cr only", id: "7", retry: 1500),
        ServerSentEvent(data: "[DONE]", id: "7"),
    ]

    @Test("the whole stream at once: fields, comments, multi-line data, CRLF and CR line ends")
    func whole() throws {
        var p = ServerSentEventParser()
        #expect(try p.feed(Self.stream) == Self.expected)
        #expect(!p.hasIncompleteEvent)
    }

    @Test("every split point, and byte by byte, gives the same events")
    func splits() throws {
        for cut in 0...Self.stream.count {
            var p = ServerSentEventParser()
            let events = try p.feed(Array(Self.stream[..<cut])) + p.feed(Array(Self.stream[cut...]))
            #expect(events == Self.expected, "split at \(cut)")
        }
        var p = ServerSentEventParser()
        var events: [ServerSentEvent] = []
        for byte in Self.stream { events += try p.feed([byte]) }
        #expect(events == Self.expected)
    }

    @Test("an event without its blank line is incomplete, not dispatched")
    func incomplete() throws {
        var p = ServerSentEventParser()
        #expect(try p.feed(Array("data: one\n\ndata: tw".utf8)) == [ServerSentEvent(data: "one")])
        #expect(p.hasIncompleteEvent)
        var q = ServerSentEventParser()
        _ = try q.feed(Array("data: x\n".utf8))
        #expect(q.hasIncompleteEvent)
    }

    @Test("a byte order mark at the start is skipped; oversized events are refused")
    func bomAndLimit() throws {
        var p = ServerSentEventParser()
        #expect(try p.feed([0xEF, 0xBB, 0xBF] + Array("data: x\n\n".utf8)) == [ServerSentEvent(data: "x")])
        var small = ServerSentEventParser(maxEventBytes: 64)
        #expect(throws: ServerSentEventError.self) { try small.feed(Array(repeating: UInt8(ascii: "a"), count: 100)) }
        var lines = ServerSentEventParser(maxEventBytes: 64)
        #expect(throws: ServerSentEventError.self) {
            for _ in 0..<10 { _ = try lines.feed(Array("data: 0123456789\n".utf8)) }
        }
    }

    @Test("encoded events parse back")
    func encode() throws {
        var p = ServerSentEventParser()
        let events = [ServerSentEvent(data: "a\nb"), ServerSentEvent(event: "error", data: "{}", id: "1", retry: 5)]
        #expect(try p.feed(Array(events.map(\.encoded).joined().utf8)) == events)
    }
}
