import RefineryCore
import Foundation

/// Where and how ``OpenAICompatibleModel`` reaches its endpoint.
///
/// The API key is read from an environment variable and kept in an ``APIKey``, which prints
/// as `[REDACTED]`; so does this configuration's description.
public struct RemoteModelConfiguration: Sendable, CustomStringConvertible, CustomReflectable {
    /// The API root, ending in `/v1`.
    public var baseURL: String
    /// The model id sent in each request.
    public var model: String
    /// Sent as `Authorization: Bearer …` when present.
    public var apiKey: APIKey?
    /// More headers for every request (for example OpenRouter's `HTTP-Referer`).
    public var extraHeaders: [(name: String, value: String)]
    /// Stream replies as server-sent events (text arrives as it is generated).
    public var streaming: Bool
    /// Ask for a final usage chunk when streaming (`stream_options.include_usage`).
    public var includeUsageInStream: Bool
    /// Send llama.cpp-style sampling fields (`top_k`, `min_p`, `repeat_penalty`).
    public var extendedSampling: Bool
    /// How a JSON-schema constraint is sent.
    public var schemaStyle: JSONSchemaStyle
    public var retryPolicy: RetryPolicy
    /// The time limit of a request that has no deadline of its own.
    public var defaultTimeout: Duration
    /// The time limit for connecting (capped by the deadline).
    public var connectTimeout: Duration
    /// The model's context window, reported in ``OpenAICompatibleModel/capabilities``.
    public var contextLength: Int
    /// The largest non-streaming reply accepted.
    public var maxResponseBytes: Int
    /// Received bytes held for a slow consumer before the transfer pauses.
    public var streamBufferBytes: Int

    public init(
        baseURL: String, model: String, apiKey: APIKey? = nil, extraHeaders: [(name: String, value: String)] = [],
        streaming: Bool = true, includeUsageInStream: Bool = true, extendedSampling: Bool = false,
        schemaStyle: JSONSchemaStyle = .openAI, retryPolicy: RetryPolicy = .standard, defaultTimeout: Duration = .seconds(600), connectTimeout: Duration = .seconds(10),
        contextLength: Int = 8192, maxResponseBytes: Int = 32 << 20, streamBufferBytes: Int = 256 << 10
    ) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.model = model
        self.apiKey = apiKey
        self.extraHeaders = extraHeaders
        self.streaming = streaming
        self.includeUsageInStream = includeUsageInStream
        self.extendedSampling = extendedSampling
        self.schemaStyle = schemaStyle
        self.retryPolicy = retryPolicy
        self.defaultTimeout = defaultTimeout
        self.connectTimeout = connectTimeout
        self.contextLength = contextLength
        self.maxResponseBytes = maxResponseBytes
        self.streamBufferBytes = streamBufferBytes
    }

    /// A provider preset with its key read from `environment` (the preset's variable, or
    /// `apiKeyVariable`). A preset that requires a key fails with `missingAPIKey` when it is unset.
    public init(
        preset: ProviderPreset, model: String, apiKeyVariable: String? = nil, baseURL: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(RemoteModelError) {
        let variable = apiKeyVariable ?? preset.apiKeyEnvironmentVariable
        let key = environment[variable].flatMap { $0.isEmpty ? nil : APIKey($0) }
        if key == nil && preset.requiresAPIKey {
            throw RemoteModelError(.missingAPIKey, "\(preset.name) needs an API key in the environment variable \(variable)")
        }
        self.init(
            baseURL: baseURL ?? preset.baseURL, model: model, apiKey: key, extendedSampling: preset.acceptsExtendedSampling,
            schemaStyle: preset.schemaStyle)
    }

    /// A configuration from the CLI's `--remote PRESET|URL --remote-model NAME`: a preset name,
    /// or a URL (its key, if any, from `apiKeyVariable`).
    public static func resolve(
        _ remote: String, model: String, apiKeyVariable: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(RemoteModelError) -> RemoteModelConfiguration {
        if let preset = ProviderPreset.named(remote) {
            return try RemoteModelConfiguration(preset: preset, model: model, apiKeyVariable: apiKeyVariable, environment: environment)
        }
        guard remote.hasPrefix("http://") || remote.hasPrefix("https://") else {
            let names = ProviderPreset.all.map(\.name).joined(separator: ", ")
            throw RemoteModelError(.invalidConfiguration, "\"\(remote)\" is neither a preset (\(names)) nor an http(s) URL")
        }
        var key: APIKey?
        if let apiKeyVariable {
            guard let value = environment[apiKeyVariable], !value.isEmpty else {
                throw RemoteModelError(.missingAPIKey, "the environment variable \(apiKeyVariable) is not set")
            }
            key = APIKey(value)
        }
        return RemoteModelConfiguration(baseURL: remote, model: model, apiKey: key)
    }

    /// A configuration from environment variables:
    /// - `REFINERY_REMOTE`: a preset name or a base URL (required);
    /// - `REFINERY_REMOTE_MODEL`: the model id (required);
    /// - `REFINERY_REMOTE_API_KEY_ENV`: the variable holding the key (default: the preset's);
    /// - `REFINERY_REMOTE_BASE_URL`: overrides a preset's base URL;
    /// - `REFINERY_REMOTE_HEADERS`: extra headers, `Name: value` separated by newlines or `;`;
    /// - `REFINERY_REMOTE_STREAM`: `0` for non-streaming requests;
    /// - `REFINERY_REMOTE_SCHEMA_STYLE`: `openAI` or `jsonObjectSchema` (default: the preset's).
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(RemoteModelError) -> RemoteModelConfiguration {
        guard let remote = environment["REFINERY_REMOTE"], !remote.isEmpty else {
            throw RemoteModelError(.invalidConfiguration, "REFINERY_REMOTE is not set (a preset name or a base URL)")
        }
        guard let model = environment["REFINERY_REMOTE_MODEL"], !model.isEmpty else {
            throw RemoteModelError(.invalidConfiguration, "REFINERY_REMOTE_MODEL is not set")
        }
        let keyVariable = environment["REFINERY_REMOTE_API_KEY_ENV"].flatMap { $0.isEmpty ? nil : $0 }
        var config: RemoteModelConfiguration
        if let preset = ProviderPreset.named(remote) {
            config = try RemoteModelConfiguration(
                preset: preset, model: model, apiKeyVariable: keyVariable, baseURL: environment["REFINERY_REMOTE_BASE_URL"],
                environment: environment)
        } else {
            config = try resolve(remote, model: model, apiKeyVariable: keyVariable, environment: environment)
        }
        if let headers = environment["REFINERY_REMOTE_HEADERS"] {
            for line in headers.split(whereSeparator: { $0 == "\n" || $0 == ";" }) {
                guard let colon = line.firstIndex(of: ":") else {
                    throw RemoteModelError(.invalidConfiguration, "REFINERY_REMOTE_HEADERS: \"\(line.prefix(40))\" is not `Name: value`")
                }
                config.extraHeaders.append(
                    (name: line[..<colon].trimmingCharacters(in: .whitespaces),
                     value: line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
            }
        }
        if environment["REFINERY_REMOTE_STREAM"] == "0" { config.streaming = false }
        if let style = environment["REFINERY_REMOTE_SCHEMA_STYLE"], !style.isEmpty {
            guard let parsed = JSONSchemaStyle(rawValue: style) else {
                throw RemoteModelError(.invalidConfiguration, "REFINERY_REMOTE_SCHEMA_STYLE must be openAI or jsonObjectSchema")
            }
            config.schemaStyle = parsed
        }
        return config
    }

    /// The chat completions endpoint.
    public var chatCompletionsURL: String { baseURL + "/chat/completions" }

    public var description: String {
        let headers = extraHeaders.map { "\($0.name): [REDACTED]" }.joined(separator: ", ")
        return "RemoteModelConfiguration(baseURL: \(baseURL), model: \(model), apiKey: \(apiKey == nil ? "none" : "[REDACTED]")"
            + (headers.isEmpty ? "" : ", headers: \(headers)") + ", streaming: \(streaming))"
    }

    /// Reflection (`dump`) shows no header values and a redacted key.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "baseURL": baseURL, "model": model, "apiKey": apiKey.map { _ in "[REDACTED]" } ?? "none",
                "extraHeaders": extraHeaders.map(\.name), "streaming": streaming,
            ], displayStyle: .struct)
    }
}
