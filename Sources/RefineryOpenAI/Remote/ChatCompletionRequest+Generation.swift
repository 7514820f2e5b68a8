import RefineryCore

extension ChatCompletionRequest {
    /// The wire request for a ``GenerationRequest`` sent to `configuration`'s model.
    ///
    /// Messages, tools and tool choice map one to one; a JSON-schema constraint becomes
    /// `response_format: {type: json_schema, strict: true}` (or llama.cpp's `{type: json_object,
    /// schema}`, per ``RemoteModelConfiguration/schemaStyle``) and `anyJSON` becomes `json_object`.
    /// Sampling sends what the API defines (plus `top_k`, `min_p`, `repeat_penalty` for servers
    /// that accept them). Raw prompts cannot be expressed and fail with `unsupportedRequest`.
    public init(_ request: GenerationRequest, configuration: RemoteModelConfiguration, stream: Bool) throws(RemoteModelError) {
        guard case .messages(let messages) = request.prompt else {
            throw RemoteModelError(.unsupportedRequest, "raw prompts cannot be sent to a chat completions endpoint")
        }
        let s = request.sampling
        var extra: [(key: String, value: JSONValue)] = []
        if configuration.extendedSampling {
            if s.topK > 0 && !s.isGreedy { extra.append((key: "top_k", value: .int(Int64(s.topK)))) }
            if s.minP > 0 && !s.isGreedy { extra.append((key: "min_p", value: .double(Double(s.minP)))) }
            if s.repetitionPenalty != 1 { extra.append((key: "repeat_penalty", value: .double(Double(s.repetitionPenalty)))) }
        }
        var responseFormat: ResponseFormat?
        switch request.constraint {
        case .jsonSchema(let schema)?:
            switch configuration.schemaStyle {
            case .openAI: responseFormat = .jsonSchema(name: "response", schema: schema, strict: true)
            case .jsonObjectSchema: responseFormat = .jsonObjectSchema(schema)
            }
        case .anyJSON?: responseFormat = .jsonObject
        case nil: responseFormat = nil
        }
        var toolChoice: ChatCompletionToolChoice?
        if !request.tools.isEmpty {
            switch request.toolChoice {
            case .auto: toolChoice = .auto
            case .none: toolChoice = ChatCompletionToolChoice.none
            case .required: toolChoice = .required
            case .named(let name): toolChoice = .function(name)
            }
        }
        self.init(
            model: configuration.model,
            messages: messages.map(ChatCompletionMessage.init),
            tools: request.tools.isEmpty ? nil : request.tools.map {
                ChatCompletionTool(name: $0.name, description: $0.description.isEmpty ? nil : $0.description, parameters: $0.parameters)
            },
            toolChoice: toolChoice,
            responseFormat: responseFormat,
            temperature: s.isGreedy ? 0 : Double(s.temperature),
            topP: s.topP < 1 && !s.isGreedy ? Double(s.topP) : nil,
            maxTokens: request.maxTokens,
            stop: request.stop.isEmpty ? nil : request.stop,
            stream: stream ? true : nil,
            streamIncludeUsage: stream && configuration.includeUsageInStream ? true : nil,
            seed: s.seed.map { Int(truncatingIfNeeded: $0 & 0x7FFF_FFFF_FFFF_FFFF) },
            frequencyPenalty: s.frequencyPenalty != 0 ? Double(s.frequencyPenalty) : nil,
            presencePenalty: s.presencePenalty != 0 ? Double(s.presencePenalty) : nil,
            extra: extra)
    }
}

extension ChatCompletionMessage {
    /// The wire form of a conversation turn; tool-call arguments are sent as compact JSON text.
    public init(_ message: ChatMessage) {
        switch message.role {
        case .assistant:
            let calls = message.toolCalls.map { ChatCompletionToolCall(id: $0.id, name: $0.name, arguments: $0.arguments.serialized()) }
            self.init(
                role: "assistant", content: message.content.isEmpty && !calls.isEmpty ? nil : message.content,
                toolCalls: calls.isEmpty ? nil : calls)
        case .tool:
            self.init(role: "tool", content: message.content, toolCallID: message.toolCallID)
        case .system, .user:
            self.init(role: message.role.rawValue, content: message.content, name: message.name)
        }
    }
}

extension FinishReason {
    /// The finish reason for an OpenAI `finish_reason`.
    public init(openAI reason: String?) {
        switch reason {
        case "length": self = .length
        case "tool_calls", "function_call": self = .toolCalls
        default: self = .stop
        }
    }

    /// The OpenAI `finish_reason` for this reason (`deadline` and `cancelled` report `length`
    /// and `stop`: the API has no words for them).
    public var openAIValue: String {
        switch self {
        case .stop, .cancelled: "stop"
        case .length, .deadline: "length"
        case .toolCalls: "tool_calls"
        }
    }
}
