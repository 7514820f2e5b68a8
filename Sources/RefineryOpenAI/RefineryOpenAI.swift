import RefineryCore

/// OpenAI-compatible wire types and the remote ``LanguageModel`` backend, shared with the server.
///
/// - `Wire/`: ``ChatCompletionRequest``, ``ChatCompletionResponse``, ``ChatCompletionChunk``,
///   messages, tools, tool choice, ``ResponseFormat``, usage and ``OpenAIErrorBody``, each read
///   from and written to ``JSONValue`` (key order kept; decoding errors name the field).
/// - `SSE/`: ``ServerSentEventParser`` (incremental) and ``ServerSentEvent``.
/// - `Transport/`: libcurl's multi interface on a dedicated thread, with bounded buffering.
/// - `Remote/`: ``OpenAICompatibleModel``, ``RemoteModelConfiguration``, ``ProviderPreset``,
///   ``RetryPolicy``, and ``RemoteModelError``.
public enum RefineryOpenAI {}
