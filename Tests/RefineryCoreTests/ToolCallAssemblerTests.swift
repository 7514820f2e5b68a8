import RefineryCore
import Testing

@Suite("The one tool-call assembler")
struct ToolCallAssemblerTests {
    @Test("deltas assemble into parallel calls in index order; bad arguments are a typed error")
    func parallelCalls() throws {
        var a = ToolCallAssembler()
        a.add(ToolCallDelta(index: 1, id: "b", name: "g", argumentsFragment: "{\"y\""))
        a.add(ToolCallDelta(index: 0, id: "a", name: "f", argumentsFragment: ""))
        a.add(ToolCallDelta(index: 0, argumentsFragment: "{\"x\": 1}"))
        a.add(ToolCallDelta(index: 1, argumentsFragment: ": [2]}"))
        #expect(
            try a.toolCalls() == [
                ToolCall(id: "a", name: "f", arguments: ["x": 1]), ToolCall(id: "b", name: "g", arguments: ["y": [2]]),
            ])
        var bad = ToolCallAssembler()
        bad.add(ToolCallDelta(index: 0, id: "a", name: "f", argumentsFragment: "{\"x\": "))
        #expect { try bad.toolCalls() } throws: { ($0 as? ToolCallAssemblyError)?.name == "f" }
        var notObject = ToolCallAssembler()
        notObject.add(ToolCallDelta(index: 0, id: "a", name: "f", argumentsFragment: "[1]"))
        #expect { try notObject.toolCalls() } throws: { ($0 as? ToolCallAssemblyError)?.index == 0 }
        var empty = ToolCallAssembler()
        empty.add(ToolCallDelta(index: 0, id: "a", name: "now"))
        #expect(try empty.toolCalls().first?.arguments == [:])
    }

    @Test("a repeated name is kept once, a name streamed in pieces is joined, a missing id becomes call_<index>")
    func names() throws {
        var a = ToolCallAssembler()
        a.add(ToolCallDelta(index: 0, name: "get_weather", argumentsFragment: "{"))
        a.add(ToolCallDelta(index: 0, name: "get_weather", argumentsFragment: "}"))
        a.add(ToolCallDelta(index: 1, id: "x", name: "get_", argumentsFragment: ""))
        a.add(ToolCallDelta(index: 1, name: "time"))
        let calls = try a.toolCalls()
        #expect(calls.map(\.name) == ["get_weather", "get_time"])
        #expect(calls.map(\.id) == ["call_0", "x"])
    }

    @Test("lenient assembly keeps unparsable arguments as their text")
    func lenient() {
        var a = ToolCallAssembler()
        a.add(ToolCallDelta(index: 0, id: "a", name: "f", argumentsFragment: "{\"x\": "))
        #expect(a.lenientToolCalls() == [ToolCall(id: "a", name: "f", arguments: .string("{\"x\": "))])
        #expect(ToolCallAssembler().lenientToolCalls().isEmpty && ToolCallAssembler().isEmpty)
    }
}
