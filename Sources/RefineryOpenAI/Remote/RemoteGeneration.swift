import RefineryCore

/// One ``OpenAICompatibleModel/generate(_:)`` call: sends the request (retrying while the
/// policy and the deadline allow), then turns the reply into ``GenerationEvent``s one pull at
/// a time. Dropping it (the stream released) cancels the transfer.
actor RemoteGeneration {
    private enum Phase { case idle, streaming, finished }

    private let configuration: RemoteModelConfiguration
    private let request: GenerationRequest
    private var phase = Phase.idle
    private var pending: [GenerationEvent] = []
    private var pendingIndex = 0
    private var transfer: CurlTransfer?
    private var body: [UInt8]?
    private var attempts = 0
    /// Whether any event went to the consumer; after that a failure cannot be retried.
    private var emitted = false
    /// An error found after events that the consumer has not taken yet; thrown once they are.
    private var deferredError: (any Error)?
    private var random = SystemRandomNumberGenerator()

    // State of the current reply.
    private var parser = ServerSentEventParser()
    private var httpStatus: Int?
    private var attemptStart = ContinuousClock.now
    private var firstOutput: ContinuousClock.Instant?
    private var finishReason: String?
    private var usage: ChatCompletionUsage?
    private var outputDeltas = 0
    private var sawDone = false

    init(configuration: RemoteModelConfiguration, request: GenerationRequest) {
        self.configuration = configuration
        self.request = request
    }

    deinit {
        transfer?.cancel()
    }

    /// The next event; `nil` after `.finished`.
    func next() async throws -> GenerationEvent? {
        do {
            while true {
                if pendingIndex < pending.count {
                    let event = pending[pendingIndex]
                    pendingIndex += 1
                    if pendingIndex == pending.count {
                        pending.removeAll(keepingCapacity: true)
                        pendingIndex = 0
                    }
                    emitted = true
                    return event
                }
                if let error = deferredError {
                    deferredError = nil
                    throw error
                }
                switch phase {
                case .finished: return nil
                case .idle: try await attempt()
                case .streaming: try await pump()
                }
            }
        } catch {
            phase = .finished
            transfer?.cancel()
            transfer = nil
            throw error
        }
    }

    // MARK: Sending

    private var key: APIKey? { configuration.apiKey }

    private func headers() -> [(name: String, value: String)] {
        var h: [(name: String, value: String)] = [
            (name: "Content-Type", value: "application/json"),
            (name: "Accept", value: configuration.streaming ? "text/event-stream" : "application/json"),
            (name: "User-Agent", value: "Refinery/\(RefineryCore.version)"),
        ]
        if let key { h.append((name: "Authorization", value: "Bearer \(key.value)")) }
        h += configuration.extraHeaders
        return h
    }

    /// Makes attempts until one yields a usable reply head (or the whole reply), or fails for good.
    private func attempt() async throws {
        if body == nil {
            body = try ChatCompletionRequest(request, configuration: configuration, stream: configuration.streaming).json.serializedBytes()
        }
        while true {
            try Task.checkCancellation()
            attempts += 1
            let timeout: Duration
            if let deadline = request.deadline {
                let left = deadline.remaining()
                guard left > .zero else { throw deadlineError() }
                timeout = left
            } else {
                timeout = configuration.defaultTimeout
            }
            let http = HTTPRequest(
                url: configuration.chatCompletionsURL, headers: headers(), body: body ?? [], timeout: timeout,
                connectTimeout: configuration.connectTimeout)
            let t = CurlTransfer(request: http, bufferLimit: configuration.streamBufferBytes, driver: .shared)
            transfer = t
            resetReplyState()
            t.start()
            let failure: RemoteModelError
            let retryable: Bool
            do {
                let head = try await t.head()
                httpStatus = head.status
                if (200..<300).contains(head.status) {
                    let contentType = head.value(for: "Content-Type")?.lowercased() ?? ""
                    if configuration.streaming && !contentType.contains("application/json") && !contentType.contains("text/html") {
                        phase = .streaming
                        return
                    }
                    let (bytes, truncated) = try await t.readAll(limit: configuration.maxResponseBytes)
                    transfer = nil
                    if truncated {
                        throw RemoteModelError(
                            .responseTooLarge, "the reply is larger than \(configuration.maxResponseBytes) bytes",
                            httpStatus: head.status, excerpt: RemoteModelError.excerpt(of: bytes, redacting: key), attempts: attempts)
                    }
                    try complete(bytes, head: head)
                    return
                }
                let (bytes, _) = try await t.readAll(limit: 64 << 10)
                transfer = nil
                failure = httpError(head, bytes)
                retryable = RetryPolicy.isRetryable(status: head.status)
            } catch let f as TransportFailure {
                transfer = nil
                if f.isTimeout { throw deadlineError() }
                failure = transportError(f)
                retryable = f.isConnectionError
            }
            try await retryOrThrow(failure, retryable: retryable)
        }
    }

    /// Sleeps before the next attempt, or throws `failure` when no attempt is left or the
    /// deadline would pass first.
    private func retryOrThrow(_ failure: RemoteModelError, retryable: Bool) async throws {
        var failure = failure
        failure.attempts = attempts
        let policy = configuration.retryPolicy
        guard retryable, attempts < policy.maxAttempts else { throw failure }
        if let asked = failure.retryAfter, asked > policy.maxRetryAfter { throw failure }
        let delay = policy.delay(afterAttempt: attempts, retryAfter: failure.retryAfter, using: &random)
        if let deadline = request.deadline, deadline.remaining() <= delay + .milliseconds(10) { throw failure }
        try await Task.sleep(for: delay)
    }

    private func resetReplyState() {
        parser = ServerSentEventParser()
        httpStatus = nil
        attemptStart = .now
        firstOutput = nil
        finishReason = nil
        usage = nil
        outputDeltas = 0
        sawDone = false
    }

    // MARK: Errors

    private func deadlineError() -> RemoteModelError {
        let message = request.deadline != nil
            ? "the deadline passed before the model answered"
            : "the request took longer than the configured timeout of \(configuration.defaultTimeout)"
        return RemoteModelError(.deadlineExceeded, message, httpStatus: httpStatus, attempts: attempts)
    }

    private func transportError(_ f: TransportFailure) -> RemoteModelError {
        let code: RemoteModelError.Code = (f.curlCode == 1 || f.curlCode == 3) ? .invalidConfiguration : .connectionFailed
        return RemoteModelError(
            code, "\(RemoteModelError.redact(f.message, key)) (curl error \(f.curlCode))", httpStatus: httpStatus, attempts: attempts)
    }

    private func isHTML(_ head: HTTPResponseHead?, _ bytes: [UInt8]) -> Bool {
        if head?.value(for: "Content-Type")?.lowercased().contains("text/html") == true { return true }
        let start = bytes.drop(while: { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 })
        return start.first == UInt8(ascii: "<")
    }

    private func httpError(_ head: HTTPResponseHead, _ bytes: [UInt8]) -> RemoteModelError {
        let status = head.status
        let code: RemoteModelError.Code
        switch status {
        case 401, 403: code = .authenticationFailed
        case 429: code = .rateLimited
        case 500...599: code = .serverError
        default: code = .requestRejected
        }
        let retryAfter = RetryPolicy.retryAfter(seconds: head.value(for: "Retry-After"), milliseconds: head.value(for: "retry-after-ms"))
        let excerpt = RemoteModelError.excerpt(of: bytes, redacting: key)
        if let json = try? JSONValue(parsing: bytes), let body = OpenAIErrorBody(json: json) {
            return RemoteModelError(
                code, RemoteModelError.redact(body.message, key), httpStatus: status, excerpt: excerpt, providerType: body.type,
                providerCode: body.code, param: body.param, retryAfter: retryAfter, attempts: attempts)
        }
        let message = isHTML(head, bytes)
            ? "the server answered HTTP \(status) with an HTML page instead of OpenAI's error JSON"
            : "the server answered HTTP \(status)"
        return RemoteModelError(code, message, httpStatus: status, excerpt: excerpt, retryAfter: retryAfter, attempts: attempts)
    }

    private func invalidResponse(_ message: String, _ bytes: [UInt8]) -> RemoteModelError {
        RemoteModelError(
            .invalidResponse, message, httpStatus: httpStatus, excerpt: RemoteModelError.excerpt(of: bytes, redacting: key),
            attempts: attempts)
    }

    private func providerError(_ body: OpenAIErrorBody, _ bytes: [UInt8]) -> RemoteModelError {
        RemoteModelError(
            .providerError, RemoteModelError.redact(body.message, key), httpStatus: httpStatus,
            excerpt: RemoteModelError.excerpt(of: bytes, redacting: key), providerType: body.type, providerCode: body.code,
            param: body.param, attempts: attempts)
    }

    // MARK: A whole (non-streaming) reply

    private func complete(_ bytes: [UInt8], head: HTTPResponseHead) throws {
        let json: JSONValue
        do {
            json = try JSONValue(parsing: bytes)
        } catch {
            throw invalidResponse(
                isHTML(head, bytes) ? "the server sent an HTML page instead of JSON" : "the reply is not valid JSON: \(error)", bytes)
        }
        if json["error"] != nil, let body = OpenAIErrorBody(json: json) { throw providerError(body, bytes) }
        let response: ChatCompletionResponse
        do {
            response = try ChatCompletionResponse(json: json)
        } catch {
            throw invalidResponse("the reply is not a chat completion: \(error)", bytes)
        }
        guard let choice = response.choices.first else { throw invalidResponse("the reply has no choices", bytes) }
        let now = ContinuousClock.now
        firstOutput = now
        if let content = choice.message.content, !content.isEmpty {
            pending.append(.text(content, tokens: []))
            outputDeltas += 1
        }
        for (i, call) in (choice.message.toolCalls ?? []).enumerated() {
            pending.append(.toolCallDelta(ToolCallDelta(index: i, id: call.id, name: call.name, argumentsFragment: call.arguments)))
            outputDeltas += 1
        }
        finishReason = choice.finishReason
        usage = response.usage
        pending.append(.finished(stats(end: now)))
        phase = .finished
    }

    private func stats(end: ContinuousClock.Instant, reason: FinishReason? = nil) -> GenerationStats {
        let first = firstOutput ?? end
        return GenerationStats(
            finishReason: reason ?? FinishReason(openAI: finishReason), promptTokens: usage?.promptTokens ?? 0,
            cachedTokens: usage?.cachedTokens ?? 0, generatedTokens: usage?.completionTokens ?? outputDeltas,
            prefillTime: attemptStart.duration(to: first), decodeTime: first.duration(to: end))
    }

    // MARK: A streamed reply

    /// Reads the next bytes of the event stream and queues the events they complete.
    private func pump() async throws {
        guard let t = transfer else {
            phase = .finished
            return
        }
        let chunk: [UInt8]?
        do {
            chunk = try await t.nextChunk()
        } catch let f as TransportFailure {
            transfer = nil
            let nothingYet = !emitted && pending.isEmpty && outputDeltas == 0
            if f.isTimeout {
                guard !nothingYet, request.deadline != nil else { throw deadlineError() }
                finish(reason: .deadline)
                return
            }
            var failure = transportError(f)
            failure.message = "the connection broke during the event stream: " + failure.message
            guard nothingYet else {
                failure.attempts = attempts
                throw failure
            }
            try await retryOrThrow(failure, retryable: f.isConnectionError)
            phase = .idle
            return
        }
        guard let chunk else {
            try endOfStream()
            return
        }
        do {
            for event in try parser.feed(chunk) { try handle(event) }
            if sawDone {
                // The reply is complete: finish now, without waiting for the server to end the body.
                if let t = transfer { Self.release(t) }
                finish(reason: nil)
            }
        } catch {
            let failure = error is ServerSentEventError ? invalidResponse("the event stream is malformed: \(error)", chunk) : error
            // Events before the failure still reach the consumer, then the error does.
            guard !pending.isEmpty else { throw failure }
            deferredError = failure
            phase = .finished
            transfer?.cancel()
            transfer = nil
        }
    }

    private func handle(_ event: ServerSentEvent) throws {
        if sawDone { return }
        let data = event.data
        if data.utf8.elementsEqual("[DONE]".utf8) {
            sawDone = true
            return
        }
        let bytes = Array(data.utf8)
        let json: JSONValue
        do {
            json = try JSONValue(parsing: bytes)
        } catch {
            throw invalidResponse("an event of the stream is not valid JSON: \(error)", bytes)
        }
        if event.event == "error" || json["error"] != nil {
            throw providerError(OpenAIErrorBody(json: json) ?? OpenAIErrorBody(message: "the stream reported an error"), bytes)
        }
        let chunk: ChatCompletionChunk
        do {
            chunk = try ChatCompletionChunk(json: json)
        } catch {
            throw invalidResponse("an event of the stream is not a chat completion chunk: \(error)", bytes)
        }
        if let u = chunk.usage { usage = u }
        for choice in chunk.choices where choice.index == 0 {
            if let text = choice.delta.content, !text.isEmpty {
                if firstOutput == nil { firstOutput = .now }
                pending.append(.text(text, tokens: []))
                outputDeltas += 1
            }
            for d in choice.delta.toolCalls ?? [] {
                if firstOutput == nil { firstOutput = .now }
                pending.append(.toolCallDelta(ToolCallDelta(index: d.index, id: d.id, name: d.name, argumentsFragment: d.arguments ?? "")))
                outputDeltas += 1
            }
            if let reason = choice.finishReason { finishReason = reason }
        }
    }

    /// Lets a transfer whose reply is complete end by itself (so its connection can be
    /// reused), cancelling it if the server keeps it open.
    private static func release(_ t: CurlTransfer) {
        Task.detached { _ = try? await t.readAll(limit: 1 << 20) }
        Task.detached {
            try? await Task.sleep(for: .milliseconds(250))
            t.cancel()
        }
    }

    private func endOfStream() throws {
        transfer = nil
        guard sawDone || (finishReason != nil && !parser.hasIncompleteEvent) else {
            let what = parser.hasIncompleteEvent ? "in the middle of an event" : "without its end marker (data: [DONE])"
            throw RemoteModelError(
                .truncatedStream, "the event stream ended \(what) after \(outputDeltas) deltas", httpStatus: httpStatus,
                attempts: attempts)
        }
        finish(reason: nil)
    }

    private func finish(reason: FinishReason?) {
        transfer = nil
        pending.append(.finished(stats(end: .now, reason: reason)))
        phase = .finished
    }
}
