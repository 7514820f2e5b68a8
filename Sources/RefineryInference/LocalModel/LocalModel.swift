import RefineryCore
import Foundation
import RefineryInference
import Synchronization

/// A ``LanguageModel`` running in process on Refinery's engine, from a GGUF file.
///
/// Conversations are rendered through the model's own chat template (with the request's
/// tools); raw prompts are fed as is with special tokens parsed. All requests share the
/// model's one scheduler, which batches their sequences into each forward pass.
///
/// **Constrained decoding.** A request's ``GenerationRequest/constraint`` is compiled to a
/// grammar (cached by schema) and enforced token by token: the output is exactly one document
/// valid under the schema, and generation stops as soon as it is complete. A request with tools
/// (and no other constraint) has each tool call constrained: free text until the model opens a
/// call in its format (``toolCallFormat``), then the call's JSON limited to the offered tools and
/// their argument schemas, then the closing tag, then free text again; with tool choice
/// `required` or a named tool the output starts with a call. So every call a local model makes
/// parses and names an offered tool.
///
/// ```swift
/// let model = try LocalModel(path: "/path/to/smollm2-135m-instruct.gguf")
/// for try await event in model.generate(.chat([.user("Hello!")], maxTokens: 64)) { … }
/// ```
public final class LocalModel: LanguageModel {
    /// The loaded model (engine, tokenizer, chat template).
    public let model: InferenceModel
    public let name: String
    /// Whether tool calls of requests with tools are constrained (see the type's discussion).
    public let constrainsToolCalls: Bool
    /// Compiled schemas, shared by this model's requests.
    public let grammars = GrammarCache()
    private let maskBuilder = Mutex<TokenMaskBuilder?>(nil)
    /// The tokens each avoided word bans (``GenerationRequest/avoidWords``), found once per word.
    private let avoidedTokens = Mutex<[String: [Int32]]>([:])

    /// Loads the GGUF model at `path`. Long prompt prefixes are kept on disk for later
    /// processes as `savedPrefixes` says, unless `options` sets its own
    /// ``InferenceEngine/Options/savedPrefixes`` (by default under `$REFINERY_HOME/prefixes`;
    /// nil or `REFINERY_PREFIX_CACHE=off` keeps nothing).
    public convenience init(path: String, options: InferenceEngine.Options = .init(),
                            savedPrefixes: SavedPrefixOptions? = .fromEnvironment()) throws {
        var options = options
        if options.savedPrefixes == nil { options.savedPrefixes = savedPrefixes }
        try self.init(model: InferenceModel(path: path, options: options))
    }

    /// Blocks until the prefixes being saved to disk are written (before the process exits).
    public func waitForSavedPrefixes() { model.engine.waitForSavedPrefixes() }

    /// Wraps an already loaded model.
    public init(model: InferenceModel, name: String? = nil, constrainsToolCalls: Bool = true) {
        self.model = model
        self.name = name ?? model.name
        self.constrainsToolCalls = constrainsToolCalls
    }

    /// How this model writes tool calls (read from its chat template).
    public var toolCallFormat: any ToolCallFormat { ToolCallFormats.detect(templateSource: model.chatTemplate?.source) }

    /// Token masks over this model's vocabulary (each token's bytes as the detokenizer writes
    /// them; control tokens never allowed, end-of-generation tokens only once a document is
    /// complete). Built on first use and shared, with its per-grammar caches, by all requests.
    public var tokenMasks: TokenMaskBuilder {
        maskBuilder.withLock { builder in
            if let builder { return builder }
            let built = model.makeTokenMasks()
            builder = built
            return built
        }
    }

    public var capabilities: ModelCapabilities {
        ModelCapabilities(constrainedDecoding: true, prefixCache: true, batching: true,
                          toolCalls: model.chatTemplate?.source.contains("tools") ?? false,
                          contextLength: model.engine.contextLength)
    }

    public func generate(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream<GenerationEvent, any Error>.makeStream()
        let prompt: [Int32]
        let constraint: GrammarConstraint?
        do {
            prompt = try promptTokens(for: request)
            constraint = try self.constraint(for: request)
        } catch {
            continuation.finish(throwing: error)
            return stream
        }
        let options = GenerationOptions(sampling: sampling(for: request), maxTokens: request.maxTokens,
                                         stopStrings: request.stop, deadline: request.deadline?.instant, constraint: constraint,
                                         speculation: request.speculation)
        let events = model.generate(prompt: prompt, options: options)
        let callSplitter = toolCallSplitter(for: request)
        let task = Task {
            var splitter = callSplitter
            do {
                for try await event in events {
                    switch event {
                    case .tokens(let ids, let text):
                        guard splitter != nil else {
                            continuation.yield(.text(text, tokens: ids))
                            continue
                        }
                        let free = splitter!.feed(text, tokens: ids)
                        if !free.text.isEmpty || !free.tokens.isEmpty { continuation.yield(.text(free.text, tokens: free.tokens)) }
                    case .finished(let engineStats):
                        var stats = Self.stats(engineStats)
                        if splitter != nil {
                            let rest = splitter!.finish()
                            if !rest.text.isEmpty || !rest.tokens.isEmpty { continuation.yield(.text(rest.text, tokens: rest.tokens)) }
                            for (index, call) in rest.calls.enumerated() {
                                continuation.yield(.toolCallDelta(ToolCallDelta(index: index, id: "call_\(index)", name: call.name,
                                                                                argumentsFragment: call.arguments.serialized())))
                            }
                            if !rest.calls.isEmpty && stats.finishReason == .stop { stats.finishReason = .toolCalls }
                        }
                        continuation.yield(.finished(stats))
                    }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// The request's sampling, with every token that starts one of its avoided words banned.
    func sampling(for request: GenerationRequest) -> SamplingParameters {
        var sampling = request.sampling
        for word in request.avoidWords {
            let key = word.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
            guard !key.isEmpty else { continue }
            let banned = avoidedTokens.withLock { cache in
                if let known = cache[key] { return known }
                let found = model.tokenizer.tokens(startingWord: key)
                cache[key] = found
                return found
            }
            for token in banned { sampling.logitBias[token] = -.infinity }
        }
        return sampling
    }

    /// The engine constraint for `request`: its output constraint over the whole output, else
    /// its tool calls (when it has tools and ``constrainsToolCalls``), else none. Throws the
    /// ``GrammarError`` of a schema outside the supported subset.
    public func constraint(for request: GenerationRequest) throws(GrammarError) -> GrammarConstraint? {
        if let output = request.constraint {
            let schema: JSONValue
            switch output {
            case .jsonSchema(let s): schema = s
            case .anyJSON: schema = .bool(true)
            }
            let compiled = try grammars.grammar(for: schema)
            return GrammarConstraint(grammar: compiled.grammar, masks: tokenMasks, activation: .whole)
        }
        guard constrainsToolCalls, !request.tools.isEmpty,
              let call = ToolCallConstraint(definitions: request.tools, choice: request.toolChoice, format: toolCallFormat)
        else { return nil }
        let tagged = try grammars.tagged(schema: call.schema, opening: call.opening, closing: call.closing)
        var triggers = [GrammarConstraint.Trigger(opening: tagged.trigger, grammar: tagged.grammar)]
        if let bare = call.bareOpening, !tagged.openingInDocument {
            let document = try grammars.grammar(for: call.schema)
            var probe = document.makeMatcher()
            if probe.accept(bytes: Array(bare.utf8)) {
                triggers.append(GrammarConstraint.Trigger(opening: Array(bare.utf8), grammar: document.grammar))
            }
        }
        if call.bareOpening != nil, !tagged.openingInDocument {
            // Small models often write a call as pretty-printed JSON in a fence instead of their
            // template's tags: constrain that form too (with bounded whitespace), so it parses.
            let fenced = try grammars.tagged(schema: call.schema, opening: Self.fencedCallOpening, closing: "\n```",
                                             options: .init(whitespace: .bounded(maxBytes: 64)))
            triggers.append(GrammarConstraint.Trigger(opening: fenced.trigger, grammar: fenced.grammar))
        }
        return GrammarConstraint(grammar: tagged.grammar, masks: tokenMasks, activation: .triggered(triggers, startsActive: call.mustCall))
    }

    /// The opening of a tool call written as fenced JSON.
    static let fencedCallOpening = "```json\n"

    /// For a request whose tool calls the engine constrains: what splits the calls from the text.
    func toolCallSplitter(for request: GenerationRequest) -> LocalToolCallSplitter? {
        guard request.constraint == nil, constrainsToolCalls, !request.tools.isEmpty, request.toolChoice != .none else { return nil }
        let format = toolCallFormat
        guard let call = ToolCallConstraint(definitions: request.tools, choice: request.toolChoice, format: format) else { return nil }
        let alternatives = call.bareOpening.map { [$0, Self.fencedCallOpening] } ?? []
        return LocalToolCallSplitter(openings: [call.opening] + alternatives, format: format,
                                     toolNames: Set(request.tools.map(\.name)), startsInCall: call.mustCall)
    }

    /// The prompt's token ids: a conversation rendered by the chat template, or raw text.
    func promptTokens(for request: GenerationRequest) throws -> [Int32] {
        switch request.prompt {
        case .raw(let text):
            return model.promptTokens(text)
        case .messages(let messages):
            let tools = request.tools.isEmpty || request.toolChoice == .none ? nil : request.tools.map(Self.json)
            return try model.fittedChatPrompt(messages: messages.map(Self.json), tools: tools, reserve: request.maxTokens ?? 1,
                                              overflow: request.contextOverflow).tokens
        }
    }

    /// A message as chat templates expect it (the OpenAI shape transformers uses).
    package static func json(_ message: ChatMessage) -> JSONValue {
        var pairs: [(key: String, value: JSONValue)] = [("role", .string(message.role.rawValue)), ("content", .string(message.content))]
        if !message.toolCalls.isEmpty {
            pairs.append(("tool_calls", .array(message.toolCalls.map { call in
                .object([("id", .string(call.id)), ("type", "function"),
                         ("function", .object([("name", .string(call.name)), ("arguments", call.arguments)]))])
            })))
        }
        if let id = message.toolCallID { pairs.append(("tool_call_id", .string(id))) }
        if let name = message.name { pairs.append(("name", .string(name))) }
        return .object(pairs)
    }

    /// A tool as chat templates expect it.
    package static func json(_ tool: ToolDefinition) -> JSONValue {
        .object([("type", "function"), ("function", .object([("name", .string(tool.name)), ("description", .string(tool.description)),
                                                              ("parameters", tool.parameters)]))])
    }

    /// The engine's figures as a ``GenerationStats``.
    public static func stats(_ stats: EngineStats) -> GenerationStats {
        GenerationStats(finishReason: stats.finishReason, promptTokens: stats.promptTokens, cachedTokens: stats.cachedTokens,
                               generatedTokens: stats.generatedTokens, prefillTime: stats.prefillTime, decodeTime: stats.decodeTime)
    }
}
