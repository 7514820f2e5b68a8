import RefineryCore
import Foundation

/// A model ready to turn text into text: the engine, the tokenizer and the chat template read
/// from one GGUF file.
///
/// ```swift
/// let model = try InferenceModel(path: "smollm2-135m-instruct.gguf")
/// let prompt = try model.chatPrompt(messages: [["role": "user", "content": "Hi!"]])
/// for try await event in model.generate(prompt: prompt, options: .init(sampling: .greedy, maxTokens: 32)) { … }
/// ```
public final class InferenceModel: Sendable {
    /// The engine running the forward passes.
    public let engine: InferenceEngine
    public let tokenizer: Tokenizer
    /// The model's own chat template, if it has one.
    public let chatTemplate: ChatTemplate?
    /// The file name without extension.
    public let name: String

    /// Loads the GGUF model at `path`.
    public convenience init(path: String, options: InferenceEngine.Options = .init()) throws {
        let file = try GGUFFile.open(path: path)
        try self.init(file: file, path: path, options: options)
    }

    /// Loads a model from an opened GGUF file.
    public init(file: GGUFFile, path: String, options: InferenceEngine.Options = .init()) throws {
        engine = try InferenceEngine(file: file, path: path, options: options)
        tokenizer = try Tokenizer(data: TokenizerData(gguf: file))
        chatTemplate = try file.string("tokenizer.chat_template").map { try ChatTemplate(source: $0) }
        name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
    }

    /// Token ids of `bytes`: special tokens parsed when `parseSpecial`, BOS added when the model
    /// asks for one and `addSpecial` (unless the text already starts with it).
    public func tokenize(_ bytes: [UInt8], addSpecial: Bool, parseSpecial: Bool) -> [Int32] {
        var ids = tokenizer.encode(bytes, addSpecial: false, parseSpecial: parseSpecial)
        if addSpecial, tokenizer.addsBOS, let bos = tokenizer.bosID, ids.first != bos { ids.insert(bos, at: 0) }
        if addSpecial, tokenizer.addsEOS, let eos = tokenizer.eosID { ids.append(eos) }
        return ids
    }

    /// The text of a special token (`bos_token`, `eos_token` in templates).
    func tokenText(_ id: Int32?) -> String? {
        id.map { String(decoding: tokenizer.piece($0, special: true), as: UTF8.self) }
    }

    /// Renders `messages` (and `tools`) through the model's chat template, ending with the
    /// assistant's turn opened.
    public func chatPrompt(messages: [JSONValue], tools: [JSONValue]? = nil, addGenerationPrompt: Bool = true) throws -> String {
        guard let chatTemplate else { throw ModelError.missingMetadata("tokenizer.chat_template") }
        return try chatTemplate.render(messages: messages, tools: tools, addGenerationPrompt: addGenerationPrompt,
                                       bosToken: tokenText(tokenizer.bosID), eosToken: tokenText(tokenizer.eosID))
    }

    /// Token ids of a prompt: text rendered by the chat template or given raw, special tokens
    /// parsed, BOS added when the model wants it.
    public func promptTokens(_ text: String) -> [Int32] {
        tokenize(Array(text.utf8), addSpecial: true, parseSpecial: true)
    }

    /// Generates from `prompt` (token ids). The model's end-of-generation tokens are added to
    /// `options.stopTokens`, and text is decoded with a streaming detokenizer (never broken UTF-8).
    public func generate(prompt: [Int32], options: GenerationOptions) -> AsyncThrowingStream<EngineEvent, any Error> {
        var options = options
        options.stopTokens.formUnion(tokenizer.endOfGenerationIDs)
        if options.decoder == nil { options.decoder = TextDecoder(StreamingDetokenizer(tokenizer: tokenizer)) }
        return engine.generate(prompt: prompt, options: options)
    }

    /// Generates from prompt text (see ``promptTokens(_:)``).
    public func generate(prompt: String, options: GenerationOptions) -> AsyncThrowingStream<EngineEvent, any Error> {
        generate(prompt: promptTokens(prompt), options: options)
    }

    /// The tokenizer's streaming detokenizer as the engine's ``TokenTextDecoder``.
    public struct TextDecoder: TokenTextDecoder {
        var detokenizer: StreamingDetokenizer
        public init(_ detokenizer: StreamingDetokenizer) { self.detokenizer = detokenizer }
        public mutating func decode(_ token: Int32) -> String { detokenizer.append(token) }
        public mutating func finish() -> String { detokenizer.finish() }
    }
}
