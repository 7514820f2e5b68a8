import RefineryCore

/// Token counts of one completion (`usage`).
public struct ChatCompletionUsage: Sendable, Hashable {
    public var promptTokens: Int
    public var completionTokens: Int
    public var totalTokens: Int
    /// `prompt_tokens_details.cached_tokens`: prompt tokens served from the provider's cache.
    public var cachedTokens: Int?

    public init(promptTokens: Int, completionTokens: Int, totalTokens: Int? = nil, cachedTokens: Int? = nil) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.totalTokens = totalTokens ?? promptTokens + completionTokens
        self.cachedTokens = cachedTokens
    }

    public init(json: JSONValue, path: String = "usage") throws(WireDecodingError) {
        let r = try ObjectReader(json, path: path)
        promptTokens = try r.int("prompt_tokens") ?? 0
        completionTokens = try r.int("completion_tokens") ?? 0
        totalTokens = try r.int("total_tokens") ?? promptTokens + completionTokens
        if let details = r.value("prompt_tokens_details") {
            cachedTokens = try ObjectReader(details, path: r.field("prompt_tokens_details")).int("cached_tokens")
        } else {
            cachedTokens = nil
        }
    }

    public var json: JSONValue {
        var b = ObjectBuilder()
        b.add("prompt_tokens", promptTokens)
        b.add("completion_tokens", completionTokens)
        b.add("total_tokens", totalTokens)
        if let cachedTokens { b.add("prompt_tokens_details", ["cached_tokens": .int(Int64(cachedTokens))]) }
        return b.value
    }
}
