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
/// token) and the time slept as decode time. Every request is recorded.
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
        return AsyncThrowingStream { continuation in
            let task = Task {
                guard let reply else {
                    continuation.finish(throwing: ScriptedModelError(message: "the script has no replies"))
                    return
                }
                if let error = reply.error {
                    continuation.finish(throwing: error)
                    return
                }
                let chunks = reply.chunks.isEmpty ? [reply.text] : reply.chunks
                var generated = 0
                let limit = request.maxTokens ?? Int.max
                var reason = FinishReason.stop
                var slept = Duration.zero
                for chunk in chunks {
                    if generated >= limit { reason = .length; break }
                    if reply.delayPerChunk > .zero {
                        do {
                            try await clock.sleep(for: reply.delayPerChunk, tolerance: nil)
                            slept += reply.delayPerChunk
                        } catch {
                            continuation.finish(throwing: CancellationError())
                            return
                        }
                    }
                    if Task.isCancelled { continuation.finish(throwing: CancellationError()); return }
                    if !chunk.isEmpty {
                        continuation.yield(.text(chunk, tokens: []))
                        generated += 1
                    }
                }
                for (i, call) in reply.toolCalls.enumerated() {
                    continuation.yield(.toolCallDelta(ToolCallDelta(index: i, id: call.id, name: call.name, argumentsFragment: call.arguments.serialized())))
                }
                if !reply.toolCalls.isEmpty { reason = .toolCalls }
                continuation.yield(.finished(GenerationStats(
                    finishReason: reason, promptTokens: Self.promptTokens(request), generatedTokens: generated,
                    prefillTime: .zero, decodeTime: slept)))
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
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
