import RefineryCore
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
            if step.delay > .zero { try await clock.sleep(for: step.delay, tolerance: nil) }
            try Task.checkCancellation()
            return step.event
        }
    }

    /// What one generation streams, taken step by step by the consumer: each event with the
    /// wait before it, the final stats last.
    private final class Script: Sendable {
        struct Step {
            var delay: Duration
            var event: GenerationEvent
        }

        private let steps: [Step]
        private let failure: (any Error)?
        private let taken = Mutex(0)

        init(reply: Reply?, request: GenerationRequest) {
            var steps: [Step] = []
            var generated = 0
            var reason = FinishReason.stop
            // The wait of an empty chunk, which sends nothing, goes before the next event.
            var waiting = Duration.zero
            func add(_ event: GenerationEvent) {
                steps.append(Step(delay: waiting, event: event))
                waiting = .zero
            }
            let limit = request.maxTokens ?? Int.max
            if let reply, reply.error == nil {
                for chunk in reply.chunks.isEmpty ? [reply.text] : reply.chunks {
                    if generated >= limit { reason = .length; break }
                    waiting += reply.delayPerChunk
                    if chunk.isEmpty { continue }
                    add(.text(chunk, tokens: []))
                    generated += 1
                }
                for (i, call) in reply.toolCalls.enumerated() {
                    add(.toolCallDelta(ToolCallDelta(
                        index: i, id: call.id, name: call.name, argumentsFragment: call.arguments.serialized())))
                }
                if !reply.toolCalls.isEmpty { reason = .toolCalls }
                // The stats come only after every wait: the time slept is their decode time.
                let slept = steps.reduce(waiting) { $0 + $1.delay }
                add(.finished(GenerationStats(
                    finishReason: reason, promptTokens: ScriptedModel.promptTokens(request), generatedTokens: generated,
                    prefillTime: .zero, decodeTime: slept)))
            }
            self.steps = steps
            self.failure = reply == nil ? ScriptedModelError(message: "the script has no replies") : reply?.error
        }

        /// The next step, nil after the last; throws the scripted failure first.
        func next() throws -> Step? {
            if let failure { throw failure }
            return taken.withLock { index in
                guard index < steps.count else { return nil }
                index += 1
                return steps[index - 1]
            }
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
