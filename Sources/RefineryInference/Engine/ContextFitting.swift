import RefineryCore
/// A chat prompt rendered to fit the context.
public struct FittedChatPrompt: Sendable, Hashable {
    /// The prompt's token ids.
    public var tokens: [Int32]
    /// How many messages were dropped from the start of the conversation (after its system
    /// messages) to make it fit.
    public var droppedMessages: Int
}

extension InferenceModel {
    /// Renders `messages` through the chat template and tokenizes them, leaving at least
    /// `reserve` tokens of the context for the reply. With ``ContextOverflow/dropOldestTurns``,
    /// whole turns are dropped oldest first until the prompt fits.
    public func fittedChatPrompt(messages: [JSONValue], tools: [JSONValue]? = nil, reserve: Int = 0,
                                 overflow: ContextOverflow = .fail) throws -> FittedChatPrompt {
        let limit = engine.contextLength - max(1, reserve)
        let systemCount = messages.prefix(while: { $0["role"]?.stringValue == "system" }).count
        let turnStarts = Self.turnStarts(messages, from: systemCount)
        var dropped = 0
        var turn = 0
        while true {
            let kept = Array(messages.prefix(systemCount)) + messages.dropFirst(systemCount + dropped)
            let tokens = promptTokens(try chatPrompt(messages: kept, tools: tools))
            if tokens.count <= limit { return FittedChatPrompt(tokens: tokens, droppedMessages: dropped) }
            // Drop up to the start of the next turn; the last turn is never dropped.
            turn += 1
            guard overflow == .dropOldestTurns, turn < turnStarts.count else {
                throw ModelError.promptTooLong(tokens: tokens.count, context: engine.contextLength, reserve: max(1, reserve))
            }
            dropped = turnStarts[turn] - systemCount
        }
    }

    /// Indices where turns begin (each user message) at or after `start`; `start` itself always
    /// begins the first turn, so messages before the first user message form a turn of their own.
    static func turnStarts(_ messages: [JSONValue], from start: Int) -> [Int] {
        guard start < messages.count else { return [] }
        var starts = [start]
        for index in (start + 1)..<messages.count where messages[index]["role"]?.stringValue == "user" {
            starts.append(index)
        }
        return starts
    }
}
