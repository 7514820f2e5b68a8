import RefineryCore

/// A ``LanguageModel`` served by any OpenAI-compatible chat completions endpoint: OpenAI,
/// Cerebras, Groq, OpenRouter, vLLM, llama.cpp's server, Ollama — or Refinery's own server.
///
/// Requests go through libcurl's multi interface on a dedicated thread. The stream it returns
/// is pull-driven: bytes are read from the network only as fast as the consumer takes events
/// (a lagging consumer pauses the transfer), and cancelling the consuming task aborts the
/// transfer within milliseconds. The request's deadline bounds the whole exchange, retries
/// included: when it passes before anything was generated the stream throws
/// ``RemoteModelError/Code/deadlineExceeded``; when text had already arrived, the stream ends
/// normally with finish reason `.deadline`, keeping what was generated.
///
/// Nothing is sent until the stream is first iterated. Text deltas carry no token ids (the
/// API does not return them); the final stats take token counts from the reply's `usage`
/// (streamed replies ask for it with `stream_options.include_usage`) and count deltas when a
/// server sends none. `prefillTime` is the time to the first delta, network included.
/// Every failure is a ``RemoteModelError``; cancellation is a `CancellationError`. A reply to a
/// request with an output constraint is validated on receipt: one that finishes normally but
/// breaks the schema ends with ``StructuredOutputError/nonConforming(_:problems:)`` (raw text inside).
public struct OpenAICompatibleModel: LanguageModel {
    public let configuration: RemoteModelConfiguration

    public init(configuration: RemoteModelConfiguration) {
        self.configuration = configuration
    }

    /// A model from ``RemoteModelConfiguration/fromEnvironment(_:)``.
    public static func fromEnvironment() throws(RemoteModelError) -> OpenAICompatibleModel {
        OpenAICompatibleModel(configuration: try .fromEnvironment())
    }

    public var name: String { configuration.model }

    public var capabilities: ModelCapabilities {
        ModelCapabilities(
            constrainedDecoding: true, prefixCache: false, batching: true, toolCalls: true,
            contextLength: configuration.contextLength)
    }

    public func generate(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationEvent, any Error> {
        let generation = RemoteGeneration(configuration: configuration, request: request)
        if let constraint = request.constraint {
            // Validated on receipt (see StructuredReplyCheck).
            let check = StructuredReplyCheck(constraint)
            return AsyncThrowingStream(unfolding: { try check.check(try await generation.next()) })
        }
        return AsyncThrowingStream(unfolding: { try await generation.next() })
    }

    /// Figures about the shared transport (active and cancelled transfers, cancel latency).
    public static var transportStatistics: RemoteTransportStatistics { CurlMultiDriver.shared.statistics }
}
