import RefineryCore
import RefineryOpenAI

/// The body of `POST /v1/completions`, OpenAI's legacy text completion: a prompt (a string or
/// an array of strings, each completed as is, without a chat template) and the sampling fields
/// chat completions also have.
///
/// The sampling fields (`max_tokens`, `temperature`, `top_p`, `n`, `stop`, `seed`, `stream`,
/// `stream_options`, penalties, `logit_bias`, `top_k`, `min_p`…) mean the same as in a chat
/// completion, so the rest of the body is read as one — with an empty conversation — and checked
/// by the same code, its errors naming the same fields. As OpenAI's API does, `max_tokens`
/// defaults to 16.
struct TextCompletionRequest: Sendable {
    /// The prompts; each gets `n` choices.
    var prompts: [String]
    /// Whether each choice's text starts with its prompt.
    var echo: Bool
    /// Everything else, as a chat completion request.
    var sampling: ChatCompletionRequest

    /// OpenAI's default `max_tokens` for text completions.
    static let defaultMaxTokens = 16

    init(json: JSONValue) throws(APIError) {
        guard case .object(let pairs) = json else { throw APIError(.invalidRequest, "the body must be a JSON object") }
        prompts = try Self.prompts(json["prompt"])
        switch json["echo"] {
        case nil, .null?: echo = false
        case .bool(let b)?: echo = b
        default: throw APIError(.invalidRequest, "must be a boolean", param: "echo")
        }
        switch json["suffix"] {
        case nil, .null?: break
        case .string(let s)? where s.isEmpty: break
        default: throw APIError(.unsupported, "insertion (a suffix) is not supported", param: "suffix")
        }
        switch json["logprobs"] {
        case nil, .null?, .int(0)?: break
        default: throw APIError(.unsupported, "log probabilities are not returned", param: "logprobs")
        }
        switch json["best_of"] {
        case nil, .null?, .int(1)?: break
        default: throw APIError(.unsupported, "best_of is not supported; use n", param: "best_of")
        }
        if json["tools"] != nil { throw APIError(.unsupported, "tools need POST /v1/chat/completions", param: "tools") }
        let own: Set<String> = ["prompt", "echo", "suffix", "logprobs", "best_of", "messages"]
        var rest = pairs.filter { !own.contains($0.key) }
        rest.append((key: "messages", value: [["role": "user", "content": ""]]))
        if json["max_tokens"] == nil || json["max_tokens"] == .null {
            rest.removeAll { $0.key == "max_tokens" }
            rest.append((key: "max_tokens", value: .int(Int64(Self.defaultMaxTokens))))
        }
        do {
            sampling = try ChatCompletionRequest(json: .object(rest))
        } catch {
            throw APIError(.invalidRequest, error.message, param: error.field.isEmpty ? nil : error.field)
        }
    }

    /// `prompt` as a list of texts.
    private static func prompts(_ value: JSONValue?) throws(APIError) -> [String] {
        switch value {
        case nil, .null?: throw APIError(.invalidRequest, "is required", param: "prompt")
        case .string(let s)?: return [s]
        case .array(let items)?:
            guard !items.isEmpty else { throw APIError(.invalidRequest, "must not be empty", param: "prompt") }
            var texts: [String] = []
            for (i, item) in items.enumerated() {
                guard case .string(let s) = item else {
                    throw APIError(.unsupported, "token arrays are not supported; send the prompt as text", param: "prompt[\(i)]")
                }
                texts.append(s)
            }
            return texts
        default: throw APIError(.invalidRequest, "must be a string or an array of strings", param: "prompt")
        }
    }
}
