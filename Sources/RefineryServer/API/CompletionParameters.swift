import RefineryCore
import Refinery
import RefineryOpenAI

/// A chat completion request checked and translated for a ``LanguageModel``: every field the
/// server honours, validated, with errors naming the field.
struct CompletionParameters: Sendable {
    var generation: GenerationRequest
    /// How many choices to generate (`n`).
    var choices: Int
    var stream: Bool
    var includeUsage: Bool
    /// From `refinery.trace`: the agent's trace goes in the reply.
    var includeTrace: Bool
    /// From the deadline header or `refinery.deadline_ms`, when given.
    var deadline: Deadline?

    /// Reads `request`; `deadlineHeader` is the `X-Refinery-Deadline-Ms` value, `arrival`
    /// the instant the deadline is measured from.
    init(_ request: ChatCompletionRequest, deadlineHeader: String?, arrival: ContinuousClock.Instant,
         configuration: ServerConfiguration) throws(APIError) {
        guard !request.messages.isEmpty else { throw APIError(.invalidRequest, "must contain at least one message", param: "messages") }
        var messages: [ChatMessage] = []
        for (i, message) in request.messages.enumerated() {
            messages.append(try Self.message(message, path: "messages[\(i)]"))
        }

        var sampling = SamplingParameters()
        if let t = request.temperature {
            guard (0...2).contains(t) else { throw APIError(.invalidRequest, "must be between 0 and 2", param: "temperature") }
            sampling.temperature = Float(t)
        }
        if let p = request.topP {
            guard p > 0 && p <= 1 else { throw APIError(.invalidRequest, "must be in (0, 1]", param: "top_p") }
            sampling.topP = Float(p)
        }
        if let f = request.frequencyPenalty {
            guard (-2...2).contains(f) else { throw APIError(.invalidRequest, "must be between -2 and 2", param: "frequency_penalty") }
            sampling.frequencyPenalty = Float(f)
        }
        if let p = request.presencePenalty {
            guard (-2...2).contains(p) else { throw APIError(.invalidRequest, "must be between -2 and 2", param: "presence_penalty") }
            sampling.presencePenalty = Float(p)
        }
        if let seed = request.seed { sampling.seed = UInt64(bitPattern: Int64(seed)) }

        var refinery: JSONValue?
        for (key, value) in request.extra {
            switch key {
            case "top_k":
                guard case .int(let k) = value, k >= 0 else { throw APIError(.invalidRequest, "must be a non-negative integer", param: "top_k") }
                sampling.topK = Int(k)
            case "min_p":
                guard let p = value.number, (0...1).contains(p) else { throw APIError(.invalidRequest, "must be between 0 and 1", param: "min_p") }
                sampling.minP = Float(p)
            case "repeat_penalty", "repetition_penalty":
                guard let r = value.number, r > 0 else { throw APIError(.invalidRequest, "must be a positive number", param: key) }
                sampling.repetitionPenalty = Float(r)
            case "logit_bias":
                guard case .object(let pairs) = value else { throw APIError(.invalidRequest, "must be an object", param: key) }
                for (token, bias) in pairs {
                    guard let id = Int32(token), id >= 0 else { throw APIError(.invalidRequest, "keys must be token ids", param: "logit_bias.\(token)") }
                    guard let b = bias.number, (-100...100).contains(b) else {
                        throw APIError(.invalidRequest, "must be a number between -100 and 100", param: "logit_bias.\(token)")
                    }
                    sampling.logitBias[id] = b <= -100 ? -.infinity : Float(b)
                }
            case "refinery":
                guard case .object = value else { throw APIError(.invalidRequest, "must be an object", param: "refinery") }
                refinery = value
            default:
                continue  // Unknown fields are ignored, as OpenAI-compatible servers do.
            }
        }

        let n = request.n ?? 1
        guard (1...configuration.maxChoices).contains(n) else {
            throw APIError(.invalidRequest, "must be between 1 and \(configuration.maxChoices)", param: "n")
        }
        // Several choices from one seed would be identical: choice i uses seed + i.
        choices = n

        let maxTokens = request.maxCompletionTokens ?? request.maxTokens
        if let m = maxTokens, m < 1 {
            throw APIError(.invalidRequest, "must be at least 1", param: request.maxCompletionTokens != nil ? "max_completion_tokens" : "max_tokens")
        }

        let stop = request.stop ?? []
        guard stop.count <= 4 else { throw APIError(.invalidRequest, "at most 4 stop strings", param: "stop") }
        if let i = stop.firstIndex(where: \.isEmpty) { throw APIError(.invalidRequest, "must not be empty", param: "stop[\(i)]") }

        var tools: [ToolDefinition] = []
        for (i, tool) in (request.tools ?? []).enumerated() {
            guard !tool.name.isEmpty else { throw APIError(.invalidRequest, "must not be empty", param: "tools[\(i)].function.name") }
            tools.append(ToolDefinition(name: tool.name, description: tool.description ?? "",
                                        parameters: tool.parameters ?? ["type": "object", "properties": [:]]))
        }
        var toolChoice = GenerationRequest.ToolChoice.auto
        switch request.toolChoice {
        case nil, .auto?: toolChoice = .auto
        case .none?: toolChoice = .none
        case .required?:
            guard !tools.isEmpty else { throw APIError(.invalidRequest, "\"required\" needs tools", param: "tool_choice") }
            toolChoice = .required
        case .function(let name)?:
            guard tools.contains(where: { $0.name == name }) else {
                throw APIError(.invalidRequest, "names no tool in tools: \(name)", param: "tool_choice.function.name")
            }
            toolChoice = .named(name)
        }

        var constraint: GenerationRequest.OutputConstraint?
        switch request.responseFormat {
        case nil, .text?: constraint = nil
        case .jsonObject?: constraint = .anyJSON
        case .jsonSchema(_, let schema, _, _)?: constraint = .jsonSchema(schema)
        case .jsonObjectSchema(let schema)?: constraint = .jsonSchema(schema)
        }

        var deadlineMs: Int?
        if let header = deadlineHeader {
            guard let ms = Int(header.filter { $0 != " " }), ms > 0 else {
                throw APIError(.invalidRequest, "\(RefineryServer.deadlineHeader) must be a positive integer of milliseconds",
                               param: RefineryServer.deadlineHeader)
            }
            deadlineMs = ms
        }
        includeTrace = false
        if let refinery {
            switch refinery["deadline_ms"] {
            case nil, .null?: break
            case .int(let ms)? where ms > 0: if deadlineMs == nil { deadlineMs = Int(ms) }
            default: throw APIError(.invalidRequest, "must be a positive integer", param: "refinery.deadline_ms")
            }
            switch refinery["trace"] {
            case nil, .null?: break
            case .bool(let b)?: includeTrace = b
            default: throw APIError(.invalidRequest, "must be a boolean", param: "refinery.trace")
            }
        }
        if let ms = deadlineMs {
            let duration = Duration.milliseconds(ms)
            guard duration <= configuration.maxDeadline else {
                throw APIError(.invalidRequest, "must be at most \(configuration.maxDeadline.components.seconds * 1000) ms",
                               param: deadlineHeader != nil ? RefineryServer.deadlineHeader : "refinery.deadline_ms")
            }
            deadline = Deadline(arrival.advanced(by: duration))
        } else {
            deadline = nil
        }

        stream = request.stream ?? false
        includeUsage = request.streamIncludeUsage ?? false
        generation = GenerationRequest(
            prompt: .messages(messages), tools: toolChoice == .none ? [] : tools, toolChoice: toolChoice, constraint: constraint,
            sampling: sampling, stop: stop, maxTokens: maxTokens, deadline: deadline, sessionKey: request.user)
    }

    /// The request for choice `index`: its own seed when a seed was given.
    func generation(forChoice index: Int) -> GenerationRequest {
        var g = generation
        if index > 0, let seed = g.sampling.seed { g.sampling.seed = seed &+ UInt64(index) }
        return g
    }

    /// A wire message as a conversation turn.
    static func message(_ m: ChatCompletionMessage, path: String) throws(APIError) -> ChatMessage {
        let text = m.content ?? ""
        switch m.role {
        case "system", "developer": return .system(text)
        case "user": return ChatMessage(role: .user, content: text, name: m.name)
        case "assistant":
            var calls: [ToolCall] = []
            for (j, call) in (m.toolCalls ?? []).enumerated() {
                let arguments: JSONValue
                do { arguments = try JSONValue(parsing: call.arguments) } catch {
                    throw APIError(.invalidRequest, "is not valid JSON: \(error.message)", param: "\(path).tool_calls[\(j)].function.arguments")
                }
                calls.append(ToolCall(id: call.id, name: call.name, arguments: arguments))
            }
            return .assistant(text, toolCalls: calls)
        case "tool":
            guard let id = m.toolCallID else { throw APIError(.invalidRequest, "is required for tool messages", param: "\(path).tool_call_id") }
            return .tool(text, callID: id, name: m.name)
        default:
            throw APIError(.invalidRequest, "\"\(m.role)\" is not one of system, developer, user, assistant, tool", param: "\(path).role")
        }
    }
}

extension JSONValue {
    /// The value as a number, when it is one.
    var number: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }
}
