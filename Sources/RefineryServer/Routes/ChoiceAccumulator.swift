import RefineryCore
import Refinery
import RefineryOpenAI

/// One choice's generation gathered into a reply message: its text, its tool calls (joined
/// from their deltas) and its final figures.
struct ChoiceAccumulator: Sendable {
    private(set) var text = ""
    private var calls = ToolCallAssembler()
    private var ids = ToolCallIDs()
    private(set) var stats: GenerationStats?

    mutating func add(_ event: GenerationEvent) {
        switch event {
        case .text(let delta, _): text += delta
        case .toolCallDelta(let d):
            calls.add(d)
            _ = ids.assign(forCall: d.index)
        case .finished(let s): stats = s
        }
    }

    var toolCalls: [ChatCompletionToolCall] {
        // The arguments go out as the model wrote them (a client parses them).
        // The ids are the server's own, unique across replies (see ``ToolCallIDs``).
        zip(calls.partialCalls, calls.lenientToolCalls()).map { partial, call in
            ChatCompletionToolCall(id: ids.id(forCall: partial.index) ?? ToolCallIDs.make(), name: call.name, arguments: partial.arguments)
        }
    }

    /// OpenAI's `finish_reason` for this choice.
    var finishReason: String {
        if !calls.isEmpty { return "tool_calls" }
        return (stats?.finishReason ?? .stop).openAIValue
    }

    /// The reply message.
    var message: ChatCompletionMessage {
        let calls = toolCalls
        return ChatCompletionMessage(role: "assistant", content: calls.isEmpty || !text.isEmpty ? text : nil,
                                     toolCalls: calls.isEmpty ? nil : calls)
    }
}
