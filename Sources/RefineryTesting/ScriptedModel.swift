import Refinery
import Synchronization

/// A ``LanguageModel`` that answers from a script, for deterministic tests of agents, steps and
/// budgets without a real model.
///
/// Each call to `generate` takes the next ``Reply`` in order (the last one repeats when the
/// script runs out) — or asks a responder closure, for concurrent callers whose order is not
/// fixed — and streams its text in chunks, waiting `delayPerChunk` on the given clock before
/// each chunk so tests can simulate slow steps. Each chunk counts as one token (so
/// `maxTokens` caps the chunks), and the final stats report the prompt's size (4 bytes a
/// token) and the time slept as decode time. Every request is recorded. The wait for a chunk
/// starts only when the consumer asks for it, so a test that advances its clock once the model
/// sleeps again knows the consumer has seen every earlier chunk.
public final class ScriptedModel: LanguageModel, Sendable {
    /// One scripted answer.
    public struct Reply: Sendable {
        public var text: String
        public var toolCalls: [ToolCall]
        /// Chunks the text is streamed in (the whole text when empty).
        public var chunks: [String]
        /// Time spent before each chunk.
        public var delayPerChunk: Duration
        /// An error thrown instead of answering.
        public var error: (any Error)?

        public init(_ text: String, toolCalls: [ToolCall] = [], chunks: [String] = [], delayPerChunk: Duration = .zero, error: (any Error)? = nil) {
            self.text = text
            self.toolCalls = toolCalls
            self.chunks = chunks
            self.delayPerChunk = delayPerChunk
            self.error = error
        }

        /// A reply that fails with `error`.
        public static func failure(_ error: any Error) -> Reply { Reply("", error: error) }
    }

    public let name: String
    public let capabilities: ModelCapabilities
    private let clock: any Clock<Duration>
    private let state: Mutex<(replies: [Reply], next: Int, requests: [GenerationRequest])>
    private let responder: (@Sendable (GenerationRequest, Int) -> Reply)?

    /// A model that answers with `replies` in order, waiting on `clock` between chunks.
    public init(name: String = "scripted", replies: [Reply], clock: any Clock<Duration> = ContinuousClock(),
                capabilities: ModelCapabilities = ModelCapabilities(constrainedDecoding: false, prefixCache: false, batching: false, toolCalls: true, contextLength: 8192)) {
        self.name = name
        self.capabilities = capabilities
        self.clock = clock
        self.state = Mutex((replies, 0, []))
        self.responder = nil
    }

    /// A model that answers each request with what `respond` returns for it and its call index
    /// (0-based), waiting on `clock` between chunks.
    public init(name: String = "scripted", clock: any Clock<Duration> = ContinuousClock(),
                capabilities: ModelCapabilities = ModelCapabilities(constrainedDecoding: false, prefixCache: false, batching: false, toolCalls: true, contextLength: 8192),
                respond: @escaping @Sendable (GenerationRequest, Int) -> Reply) {
        self.name = name
        self.capabilities = capabilities
        self.clock = clock
        self.state = Mutex(([], 0, []))
        self.responder = respond
    }

    /// Convenience: plain text replies.
    public convenience init(name: String = "scripted", texts: [String]) {
        self.init(name: name, replies: texts.map { Reply($0) })
    }

    /// The requests received so far, in order.
    public var requests: [GenerationRequest] { state.withLock { $0.requests } }

    public func generate(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationEvent, any Error> {
        let responder = self.responder
        let reply: Reply? = state.withLock { s in
            s.requests.append(request)
            if let responder {
                s.next += 1
                return responder(request, s.next - 1)
            }
            guard !s.replies.isEmpty else { return nil }
            let r = s.replies[min(s.next, s.replies.count - 1)]
            s.next += 1
            return r
        }
        let clock = self.clock
        let script = Script(reply: reply, request: request)
        // Pulled, not pushed: each chunk's wait runs inside the consumer's request for it, so a
        // test clock that advances once the model sleeps again knows the consumer has taken
        // (and timed) every chunk before. Cancelling the consumer cancels the wait.
        return AsyncThrowingStream {
            guard let step = try script.next() else { return nil }
            if step.delay > .zero {
                try await clock.sleep(for: step.delay, tolerance: nil)
                script.slept(step.delay)
            }
            try Task.checkCancellation()
            return step.event ?? script.finished()
        }
    }

    /// What one generation still has to stream, taken step by step by the consumer.
    private final class Script: Sendable {
        struct Step {
            var delay: Duration
            /// The event to send, or nil for the final stats (known only once the chunks are out).
            var event: GenerationEvent?
        }

        private let state: Mutex<(steps: [Step], next: Int, slept: Duration)>
        private let failure: (any Error)?
        private let reason: FinishReason
        private let promptTokens: Int
        private let generated: Int

        init(reply: Reply?, request: GenerationRequest) {
            var steps: [Step] = []
            var generated = 0
            var reason = FinishReason.stop
            let limit = request.maxTokens ?? Int.max
            if let reply, reply.error == nil {
                for chunk in reply.chunks.isEmpty ? [reply.text] : reply.chunks {
                    if generated >= limit { reason = .length; break }
                    // An empty chunk still takes its time but sends nothing.
                    steps.append(Step(delay: reply.delayPerChunk, event: chunk.isEmpty ? nil : .text(chunk, tokens: [])))
                    if !chunk.isEmpty { generated += 1 }
                }
                steps.removeAll { $0.event == nil && $0.delay == .zero }
                for (i, call) in reply.toolCalls.enumerated() {
                    steps.append(Step(delay: .zero, event: .toolCallDelta(ToolCallDelta(
                        index: i, id: call.id, name: call.name, argumentsFragment: call.arguments.serialized()))))
                }
                if !reply.toolCalls.isEmpty { reason = .toolCalls }
                steps.append(Step(delay: .zero, event: nil))
            }
            self.failure = reply == nil ? ScriptedModelError(message: "the script has no replies") : reply?.error
            self.state = Mutex((steps, 0, .zero))
            self.reason = reason
            self.promptTokens = ScriptedModel.promptTokens(request)
            self.generated = generated
        }

        /// The next step, nil after the last; throws the scripted failure first.
        func next() throws -> Step? {
            if let failure { throw failure }
            return state.withLock { s in
                guard s.next < s.steps.count else { return nil }
                s.next += 1
                var step = s.steps[s.next - 1]
                // An empty chunk's wait joins the next event's, which is what reaches the consumer.
                while step.event == nil && s.next < s.steps.count {
                    step.delay += s.steps[s.next].delay
                    step.event = s.steps[s.next].event
                    s.next += 1
                }
                return step
            }
        }

        func slept(_ delay: Duration) { state.withLock { $0.slept += delay } }

        func finished() -> GenerationEvent {
            .finished(GenerationStats(
                finishReason: reason, promptTokens: promptTokens, generatedTokens: generated, prefillTime: .zero,
                decodeTime: state.withLock { $0.slept }))
        }
    }
}

extension ScriptedModel {
    /// The prompt's size in tokens as the scripted model counts it: 4 bytes a token.
    public static func promptTokens(_ request: GenerationRequest) -> Int {
        switch request.prompt {
        case .raw(let text): return text.utf8.count / 4
        case .messages(let messages): return messages.reduce(0) { $0 + $1.content.utf8.count / 4 }
        }
    }
}

/// The scripted model was asked for more than its script holds.
public struct ScriptedModelError: Error, Sendable, Hashable {
    public let message: String

    /// An error with `message` (also what scripted failures throw).
    public init(message: String) { self.message = message }
}
