import RefineryCore
/// A known OpenAI-compatible provider: where it listens and where its key comes from.
public struct ProviderPreset: Sendable, Hashable {
    /// The name used on the command line and in `REFINERY_REMOTE`.
    public var name: String
    /// The API root, ending in `/v1` (chat completions are at `baseURL + "/chat/completions"`).
    public var baseURL: String
    /// The environment variable holding the API key.
    public var apiKeyEnvironmentVariable: String
    /// Whether requests fail without a key (cloud services) or work without one (local servers).
    public var requiresAPIKey: Bool
    /// Whether the server accepts llama.cpp-style sampling fields (`top_k`, `min_p`, `repeat_penalty`).
    public var acceptsExtendedSampling: Bool
    /// How the server takes a JSON-schema constraint.
    public var schemaStyle: JSONSchemaStyle

    public init(
        name: String, baseURL: String, apiKeyEnvironmentVariable: String, requiresAPIKey: Bool, acceptsExtendedSampling: Bool,
        schemaStyle: JSONSchemaStyle = .openAI
    ) {
        self.name = name
        self.baseURL = baseURL
        self.apiKeyEnvironmentVariable = apiKeyEnvironmentVariable
        self.requiresAPIKey = requiresAPIKey
        self.acceptsExtendedSampling = acceptsExtendedSampling
        self.schemaStyle = schemaStyle
    }

    public static let openai = ProviderPreset(
        name: "openai", baseURL: "https://api.openai.com/v1", apiKeyEnvironmentVariable: "OPENAI_API_KEY",
        requiresAPIKey: true, acceptsExtendedSampling: false)
    public static let cerebras = ProviderPreset(
        name: "cerebras", baseURL: "https://api.cerebras.ai/v1", apiKeyEnvironmentVariable: "CEREBRAS_API_KEY",
        requiresAPIKey: true, acceptsExtendedSampling: false)
    public static let groq = ProviderPreset(
        name: "groq", baseURL: "https://api.groq.com/openai/v1", apiKeyEnvironmentVariable: "GROQ_API_KEY",
        requiresAPIKey: true, acceptsExtendedSampling: false)
    public static let openrouter = ProviderPreset(
        name: "openrouter", baseURL: "https://openrouter.ai/api/v1", apiKeyEnvironmentVariable: "OPENROUTER_API_KEY",
        requiresAPIKey: true, acceptsExtendedSampling: true)
    public static let vllm = ProviderPreset(
        name: "vllm", baseURL: "http://127.0.0.1:8000/v1", apiKeyEnvironmentVariable: "VLLM_API_KEY",
        requiresAPIKey: false, acceptsExtendedSampling: true)
    public static let llamacpp = ProviderPreset(
        name: "llamacpp", baseURL: "http://127.0.0.1:8080/v1", apiKeyEnvironmentVariable: "LLAMA_API_KEY",
        requiresAPIKey: false, acceptsExtendedSampling: true, schemaStyle: .jsonObjectSchema)
    public static let ollama = ProviderPreset(
        name: "ollama", baseURL: "http://127.0.0.1:11434/v1", apiKeyEnvironmentVariable: "OLLAMA_API_KEY",
        requiresAPIKey: false, acceptsExtendedSampling: false)

    /// Every preset, in the order the CLI lists them.
    public static let all: [ProviderPreset] = [.openai, .cerebras, .groq, .openrouter, .vllm, .llamacpp, .ollama]

    /// The preset with this name (case-insensitive; `llama.cpp` and `llama-cpp` name `llamacpp`).
    public static func named(_ name: String) -> ProviderPreset? {
        let key = name.lowercased().filter { $0 != "." && $0 != "-" && $0 != "_" }
        return all.first { $0.name == key }
    }
}

/// How a server takes a JSON-schema constraint on the reply.
public enum JSONSchemaStyle: String, Sendable, Hashable {
    /// OpenAI's `{"type": "json_schema", "json_schema": {"name", "schema", "strict": true}}`.
    case openAI
    /// llama.cpp's `{"type": "json_object", "schema": …}` (its C++ server and llama-cpp-python).
    case jsonObjectSchema
}
