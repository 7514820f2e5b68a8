import RefineryCore
import Testing
import RefineryTesting
@testable import RefineryInference

/// A conversation longer than the context fails with a typed error, or — when the caller asks —
/// loses its oldest whole turns.
@Suite("Fitting a conversation to the context", .serialized)
struct ContextFittingTests {
    static func model() throws -> InferenceModel? {
        guard let path = TestModels.path(TestModels.smolLM2) else {
            print("skipping: \(TestModels.missingReason(TestModels.smolLM2))")
            return nil
        }
        return try InferenceModel(path: path, options: .init(contextLength: 160))
    }

    static let system: JSONValue = ["role": "system", "content": "You are brief."]

    /// `count` user/assistant exchanges of about 20 tokens each, then a last question.
    static func conversation(exchanges count: Int) -> [JSONValue] {
        var messages: [JSONValue] = [system]
        for i in 0..<count {
            messages.append(["role": "user", "content": .string("Question number \(i): what is \(i) plus \(i), please?")])
            messages.append(["role": "assistant", "content": .string("The answer to question \(i) is \(2 * i).")])
        }
        messages.append(["role": "user", "content": "And what is the last question?"])
        return messages
    }

    @Test("a conversation that fits is rendered whole, as chatPrompt renders it")
    func fits() throws {
        guard let model = try Self.model() else { return }
        let messages = Self.conversation(exchanges: 1)
        let fitted = try model.fittedChatPrompt(messages: messages, reserve: 16, overflow: .dropOldestTurns)
        #expect(fitted.droppedMessages == 0)
        #expect(fitted.tokens == model.promptTokens(try model.chatPrompt(messages: messages)))
    }

    @Test("without truncation an overlong conversation is a promptTooLong error naming the sizes")
    func failsByDefault() throws {
        guard let model = try Self.model() else { return }
        let error = #expect(throws: ModelError.self) {
            try model.fittedChatPrompt(messages: Self.conversation(exchanges: 12), reserve: 16)
        }
        #expect(error?.message.hasPrefix("the prompt has") == true)
        #expect(error?.message.contains("16 kept for the reply") == true)
    }

    @Test("dropping the oldest turns keeps the system message, whole turns and the last question")
    func dropsOldestTurns() throws {
        guard let model = try Self.model() else { return }
        let messages = Self.conversation(exchanges: 12)
        let fitted = try model.fittedChatPrompt(messages: messages, reserve: 16, overflow: .dropOldestTurns)
        #expect(fitted.droppedMessages > 0)
        #expect(fitted.droppedMessages % 2 == 0, "whole user/assistant exchanges are dropped")
        #expect(fitted.tokens.count <= 160 - 16)
        let kept = [Self.system] + messages.dropFirst(1 + fitted.droppedMessages)
        #expect(fitted.tokens == model.promptTokens(try model.chatPrompt(messages: kept)))
        // Dropping one exchange fewer would not have fit: only as much as needed goes.
        let oneMore = [Self.system] + messages.dropFirst(1 + fitted.droppedMessages - 2)
        #expect(model.promptTokens(try model.chatPrompt(messages: oneMore)).count > 160 - 16)
        let text = String(decoding: fitted.tokens.flatMap { model.tokenizer.piece($0, special: true) }, as: UTF8.self)
        #expect(text.contains("You are brief."))
        #expect(text.contains("And what is the last question?"))
        #expect(text.contains("Question number 11"))
        #expect(!text.contains("Question number 0:"))
    }

    @Test("a tool result is dropped together with the call it answers")
    func toolTurnsStayWhole() throws {
        let messages: [JSONValue] = [
            Self.system,
            ["role": "user", "content": "first"],
            ["role": "assistant", "content": "", "tool_calls": [["id": "1", "type": "function",
                                                                 "function": ["name": "f", "arguments": [:]]]]],
            ["role": "tool", "content": "result", "tool_call_id": "1"],
            ["role": "assistant", "content": "done"],
            ["role": "user", "content": "second"],
        ]
        #expect(InferenceModel.turnStarts(messages, from: 1) == [1, 5])
        #expect(InferenceModel.turnStarts([Self.system], from: 1) == [])
        // Messages before the first user message form a turn of their own.
        #expect(InferenceModel.turnStarts([["role": "assistant", "content": "hi"], ["role": "user", "content": "q"]], from: 0) == [0, 1])
    }

    @Test("when even the last turn does not fit, truncation fails with promptTooLong")
    func lastTurnTooLong() throws {
        guard let model = try Self.model() else { return }
        let huge = String(repeating: "many words here ", count: 80)
        let messages: [JSONValue] = [Self.system, ["role": "user", "content": "hi"], ["role": "assistant", "content": "hello"],
                                     ["role": "user", "content": .string(huge)]]
        let error = #expect(throws: ModelError.self) {
            try model.fittedChatPrompt(messages: messages, reserve: 16, overflow: .dropOldestTurns)
        }
        #expect(error?.message.hasPrefix("the prompt has") == true)
    }
}
