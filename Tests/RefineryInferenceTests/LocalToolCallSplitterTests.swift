import RefineryCore
import Testing
@testable import RefineryInference

/// A local model's text is split into the text the user sees and the tool calls, which are
/// reported as tool-call events like a remote model's.
@Suite("Local tool calls split from the text")
struct LocalToolCallSplitterTests {
    static func splitter(startsInCall: Bool = false) -> LocalToolCallSplitter {
        LocalToolCallSplitter(openings: ["<tool_call>\n", "{\"name\":"], format: HermesToolCallFormat(), toolNames: ["get_weather"],
                              startsInCall: startsInCall)
    }

    /// Feeds `text` in pieces of `size` characters; returns the streamed text and the final split.
    static func run(_ splitter: inout LocalToolCallSplitter, _ text: String, size: Int)
        -> (streamed: String, rest: String, calls: [ToolCall]) {
        var streamed = ""
        var index = text.startIndex
        while index < text.endIndex {
            let end = text.index(index, offsetBy: size, limitedBy: text.endIndex) ?? text.endIndex
            streamed += splitter.feed(String(text[index..<end]), tokens: [1]).text
            index = end
        }
        let rest = splitter.finish()
        return (streamed, rest.text, rest.calls)
    }

    @Test("plain text streams through whole, in any piece size", arguments: [1, 3, 50])
    func plainText(size: Int) {
        var splitter = Self.splitter()
        let text = "It is sunny <tool> and <tool_cal no call here, {\"nam\" either."
        let out = Self.run(&splitter, text, size: size)
        #expect(out.streamed + out.rest == text)
        #expect(out.calls.isEmpty)
    }

    @Test("text before a tagged call streams; the call becomes a tool call, not text", arguments: [1, 4, 200])
    func taggedCall(size: Int) {
        var splitter = Self.splitter()
        let text = "Let me check.<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>"
        let out = Self.run(&splitter, text, size: size)
        #expect(out.streamed == "Let me check.")
        #expect(out.rest.isEmpty)
        #expect(out.calls.map(\.name) == ["get_weather"])
        #expect(out.calls.first?.arguments == ["city": "Paris"])
    }

    @Test("a bare JSON call (as small models write it) is a call too, and two calls are both found")
    func bareCalls() {
        var splitter = Self.splitter()
        let text = "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Rome\"}}"
        let out = Self.run(&splitter, text, size: 5)
        #expect(out.streamed.isEmpty)
        #expect(out.calls.map { $0.arguments["city"]?.stringValue } == ["Oslo", "Rome"])
    }

    @Test("a required call holds everything from the start; text that holds no call is given back")
    func requiredCall() {
        var splitter = Self.splitter(startsInCall: true)
        let out = Self.run(&splitter, "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Lima\"}}\n</tool_call>", size: 7)
        #expect(out.streamed.isEmpty && out.calls.count == 1)
        var unknown = Self.splitter()
        let other = Self.run(&unknown, "Try {\"name\": \"delete_everything\", \"arguments\": {}} instead", size: 7)
        #expect(other.calls.isEmpty, "names outside the offered tools are not calls")
        #expect(other.streamed + other.rest == "Try {\"name\": \"delete_everything\", \"arguments\": {}} instead")
    }
}
