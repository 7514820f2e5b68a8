import Refinery
import RefineryOpenAI

/// One choice's generation gathered into a reply message: its text, its tool calls (joined
/// from their deltas) and its final figures.
struct ChoiceAccumulator: Sendable {
    private struct PartialCall: Sendable {
        var id: String
        var name: String
        var arguments: String
    }

    private(set) var text = ""
    private var calls: [Int: PartialCall] = [:]
    private(set) var stats: GenerationStats?

    mutating func add(_ event: GenerationEvent) {
        switch event {
        case .text(let delta, _): text += delta
        case .toolCallDelta(let d):
            var call = calls[d.index] ?? PartialCall(id: "", name: "", arguments: "")
            if let id = d.id { call.id = id }
            if let name = d.name { call.name += name }
            call.arguments += d.argumentsFragment
            calls[d.index] = call
        case .finished(let s): stats = s
        }
    }

    var toolCalls: [ChatCompletionToolCall] {
        calls.sorted { $0.key < $1.key }.map { index, call in
            ChatCompletionToolCall(id: call.id.isEmpty ? "call_\(index)" : call.id, name: call.name, arguments: call.arguments)
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
