import RefineryCore

/// Typed results: a Swift type that describes its own JSON schema is generated under that
/// schema and decoded.
///
/// Write the type with `@Generable` and `@Guide` (product `RefineryGenerable`), which derive
/// the schema and the decoding from its declaration:
///
/// ```swift
/// @Generable struct Meeting {
///     @Guide(description: "What the meeting is about", .pattern("^.{1,60}$")) var title: String
///     var day: Weekday                   // a @Generable enum
///     @Guide(.maximumCount(10)) var attendees: [String]
/// }
/// let meeting = try await model.respond(to: "Budget review on Tuesday with Ana and Bo.", generating: Meeting.self)
/// ```
///
/// or by hand, for schemas known only at run time: `Decodable` and ``JSONSchemaConvertible``
/// with a schema built with ``JSONSchema``. Either way the schema is the single source of
/// truth the grammar enforces and the validator checks.

extension LanguageModel {
    /// Generates a `T` for `messages`: the output is constrained to `T.jsonSchema` (token by
    /// token on a local model; `response_format` on a remote one), validated, and decoded.
    ///
    /// - Parameters:
    ///   - includeSchemaInPrompt: add the schema to the system prompt, so the model knows what
    ///     the fields mean (the constraint alone only limits the syntax).
    /// - Throws: ``StructuredOutputError/incompleteOutput(_:reason:)`` with the partial text when
    ///   generation stops before the document is complete (token limit, deadline, cancellation) —
    ///   never a truncated value; ``StructuredOutputError/nonConforming(_:problems:)`` when a
    ///   reply breaks the schema; the model's own errors (a schema outside the supported subset
    ///   is a `GrammarError` naming the keyword and path).
    public func respond<T: Decodable & JSONSchemaConvertible>(
        to messages: [ChatMessage], generating type: T.Type = T.self, sampling: SamplingParameters = .greedy,
        maxTokens: Int? = 512, deadline: Deadline? = nil, includeSchemaInPrompt: Bool = true
    ) async throws -> T {
        var final: T?
        for try await snapshot in structuredStream(messages, T.self, sampling, maxTokens, deadline, includeSchemaInPrompt, snapshots: false) {
            final = snapshot.value
        }
        // The stream either yields the value or throws.
        guard let final else { throw StructuredOutputError.incompleteOutput("", reason: nil) }
        return final
    }

    /// ``respond(to:generating:sampling:maxTokens:deadline:includeSchemaInPrompt:)`` with `prompt`
    /// as one user message.
    public func respond<T: Decodable & JSONSchemaConvertible>(
        to prompt: String, generating type: T.Type = T.self, sampling: SamplingParameters = .greedy,
        maxTokens: Int? = 512, deadline: Deadline? = nil, includeSchemaInPrompt: Bool = true
    ) async throws -> T {
        try await respond(to: [.user(prompt)], generating: type, sampling: sampling, maxTokens: maxTokens,
                          deadline: deadline, includeSchemaInPrompt: includeSchemaInPrompt)
    }

    /// Like ``respond(to:generating:sampling:maxTokens:deadline:includeSchemaInPrompt:)``, with
    /// snapshots as the document grows: each holds the text so far and the partial document
    /// closed up (``PartialJSON``); the last one holds the decoded value. Errors are the same.
    public func streamResponse<T: Decodable & JSONSchemaConvertible & Sendable>(
        to messages: [ChatMessage], generating type: T.Type = T.self, sampling: SamplingParameters = .greedy,
        maxTokens: Int? = 512, deadline: Deadline? = nil, includeSchemaInPrompt: Bool = true
    ) -> AsyncThrowingStream<StructuredSnapshot<T>, any Error> {
        let (stream, continuation) = AsyncThrowingStream<StructuredSnapshot<T>, any Error>.makeStream()
        let task = Task {
            do {
                for try await snapshot in structuredStream(messages, T.self, sampling, maxTokens, deadline, includeSchemaInPrompt, snapshots: true) {
                    continuation.yield(snapshot)
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// The most characters of schema the typed calls put into the prompt (about 750 tokens).
    public static var schemaPromptLimit: Int { 3000 }

    /// The request behind the typed calls: `T`'s schema as the constraint, and (optionally) a
    /// description of it, at most ``schemaPromptLimit`` characters, in the system prompt.
    public func structuredRequest<T: JSONSchemaConvertible>(
        _ messages: [ChatMessage], generating type: T.Type, sampling: SamplingParameters = .greedy, maxTokens: Int? = 512,
        deadline: Deadline? = nil, includeSchemaInPrompt: Bool = true
    ) -> GenerationRequest {
        var messages = messages
        if includeSchemaInPrompt {
            // The constraint holds the output to the whole schema; the prompt only has to say what
            // to write, so a large schema goes in shortened (``JSONSchemaPromptSummary``) rather
            // than crowding out the request or overflowing a small model's context.
            let summary = JSONSchemaPromptSummary(schema: T.jsonSchema, limit: Self.schemaPromptLimit)
            let instruction = summary.form == .outline
                ? "Reply with one JSON value of this form (the descriptions say what each field means):\n" + summary.text
                : "Reply with one JSON value that matches this JSON schema (the descriptions say what each field means):\n" + summary.text
            if let i = messages.firstIndex(where: { $0.role == .system }) {
                messages[i].content += "\n\n" + instruction
            } else {
                messages.insert(.system(instruction), at: 0)
            }
        }
        return GenerationRequest(prompt: .messages(messages), constraint: .jsonSchema(T.jsonSchema), sampling: sampling,
                                 maxTokens: maxTokens, deadline: deadline)
    }

    private func structuredStream<T: Decodable & JSONSchemaConvertible>(
        _ messages: [ChatMessage], _ type: T.Type, _ sampling: SamplingParameters, _ maxTokens: Int?, _ deadline: Deadline?,
        _ includeSchema: Bool, snapshots: Bool
    ) -> StructuredStream<T> {
        StructuredStream(model: self, request: structuredRequest(messages, generating: T.self, sampling: sampling, maxTokens: maxTokens,
                                                                 deadline: deadline, includeSchemaInPrompt: includeSchema),
                         snapshots: snapshots)
    }
}

/// A partial (or, last, the whole) structured response.
public struct StructuredSnapshot<T> {
    /// The text generated so far.
    public var text: String
    /// The document so far with its open strings, arrays and objects closed (`nil` before it
    /// can be read as JSON); see ``PartialJSON``.
    public var partial: JSONValue?
    /// The decoded value, in the last snapshot only.
    public var value: T?
}

extension StructuredSnapshot: Sendable where T: Sendable {}

extension StructuredSnapshot where T: Generable {
    /// The document so far as `T`'s partially generated form (FoundationModels' snapshot
    /// `content`): for a `@Generable` struct, each property `nil` until it can be read. `nil`
    /// before the document can be read at all; in the last snapshot, the whole value's form.
    public var content: T.PartiallyGenerated? {
        guard let partial else { return nil }
        return try? StructuredOutput.decode(partial, as: T.PartiallyGenerated.self, text: text)
    }
}

/// Runs a structured request and turns its events into snapshots.
struct StructuredStream<T: Decodable & JSONSchemaConvertible>: AsyncSequence {
    typealias Element = StructuredSnapshot<T>
    let model: any LanguageModel
    let request: GenerationRequest
    let snapshots: Bool

    func makeAsyncIterator() -> Iterator { Iterator(events: model.generate(request).makeAsyncIterator(), request: request, snapshots: snapshots) }

    struct Iterator: AsyncIteratorProtocol {
        var events: AsyncThrowingStream<GenerationEvent, any Error>.AsyncIterator
        let request: GenerationRequest
        let snapshots: Bool
        var text = ""
        var done = false

        mutating func next() async throws -> StructuredSnapshot<T>? {
            guard !done else { return nil }
            while true {
                let event: GenerationEvent?
                do {
                    event = try await events.next()
                } catch {
                    done = true
                    // A stream that stops itself (cancellation) leaves a partial document.
                    if GenerationCancellation.isCancellation(error) {
                        throw StructuredOutputError.incompleteOutput(text, reason: .cancelled)
                    }
                    throw error
                }
                switch event {
                case .text(let piece, _)?:
                    text += piece
                    if snapshots && !piece.isEmpty {
                        return StructuredSnapshot(text: text, partial: PartialJSON.close(text), value: nil)
                    }
                case .toolCallDelta?:
                    continue
                case .finished(let stats)?:
                    done = true
                    return try finish(stats.finishReason)
                case nil:
                    done = true
                    return try finish(Task.isCancelled ? .cancelled : nil)
                }
            }
        }

        private func finish(_ reason: FinishReason?) throws -> StructuredSnapshot<T> {
            let schema = T.jsonSchema
            let value = try StructuredOutput.document(text, schema: schema, finishReason: reason)
            let decoded = try StructuredOutput.decode(value, as: T.self, text: text)
            return StructuredSnapshot(text: text, partial: value, value: decoded)
        }
    }
}
