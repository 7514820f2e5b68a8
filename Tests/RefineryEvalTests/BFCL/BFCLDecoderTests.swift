import RefineryCore
import RefineryInference
import Testing

@testable import RefineryEval

@Suite("BFCL output decoding")
struct BFCLDecoderTests {
    let hermes = HermesToolCallFormat()

    func decode(_ text: String) -> BFCLDecodedOutput { BFCLOutputDecoder.decode(text: text, format: hermes) }

    @Test("reads the template's tags, several calls in order")
    func tagged() {
        let out = decode(
            "<tool_call>\n{\"name\": \"spotify.play\", \"arguments\": {\"artist\": \"Taylor Swift\", \"duration\": 20}}\n</tool_call>\n"
                + "<tool_call>\n{\"name\": \"spotify.play\", \"arguments\": {\"artist\": \"Maroon 5\", \"duration\": 15}}\n</tool_call>")
        #expect(out.calls.map(\.name) == ["spotify.play", "spotify.play"])
        #expect(out.calls[1].arguments["duration"] == .int(15))
        #expect(!out.unparseable)
    }

    @Test("reads fenced JSON, bare JSON and a JSON list of calls")
    func lenient() {
        let fenced = decode("Sure:\n```json\n{\"name\": \"f\", \"arguments\": {\"x\": 1.5}}\n```")
        #expect(fenced.calls.map(\.name) == ["f"])
        #expect(fenced.calls.first?.arguments["x"] == .double(1.5))
        let bare = decode("{\"name\": \"f\", \"parameters\": {\"x\": 1}}")
        #expect(bare.calls.map(\.name) == ["f"])
        let list = decode("[{\"name\": \"f\", \"arguments\": {}}, {\"name\": \"g\", \"arguments\": {\"y\": \"z\"}}]")
        #expect(list.calls.map(\.name) == ["f", "g"])
        #expect(!fenced.unparseable && !bare.unparseable && !list.unparseable)
    }

    @Test("a call that opens but does not parse is unparseable; a plain answer is no call")
    func unparseable() {
        #expect(decode("<tool_call>\n{\"name\": \"f\", \"arguments\": {\"x\": }\n</tool_call>").unparseable)
        #expect(decode("<tool_call>\n{\"name\": \"f\", \"arguments\": {\"x\": 1").unparseable)
        #expect(decode("{'name': 'f', 'arguments': {'x': 1}}").unparseable)
        #expect(decode("```json\n{\"x\": 1,}\n```").unparseable)
        let answer = decode("The area is 25 square units.")
        #expect(answer.calls.isEmpty && !answer.unparseable)
        let code = decode("```python\narea = 0.5 * 10 * 5\n```")
        #expect(code.calls.isEmpty && !code.unparseable)
    }

    @Test("calls streamed as deltas are assembled; broken arguments are unparseable")
    func deltas() {
        let ok = BFCLOutputDecoder.decode(
            text: "",
            deltas: [
                ToolCallDelta(index: 0, id: "a", name: "f", argumentsFragment: "{\"x\":"),
                ToolCallDelta(index: 0, argumentsFragment: " 2}"),
                ToolCallDelta(index: 1, id: "b", name: "g"),
            ], format: hermes)
        #expect(ok.calls.map(\.name) == ["f", "g"])
        #expect(ok.calls[0].arguments["x"] == .int(2))
        #expect(!ok.unparseable)
        let broken = BFCLOutputDecoder.decode(
            text: "", deltas: [ToolCallDelta(index: 0, name: "f", argumentsFragment: "{\"x\": ")], format: hermes)
        #expect(broken.calls.isEmpty && broken.unparseable)
    }
}
