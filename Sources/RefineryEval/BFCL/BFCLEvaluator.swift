import RefineryCore
import Refinery
import RefineryInference

/// Runs BFCL entries through a model and checks its calls with BFCL's AST matching.
///
/// Each entry's functions become the request's tools (``BFCLToolConversion``) and its
/// conversation is rendered through the model's chat template, as BFCL's handler for Qwen's
/// function calling does (no extra system prompt). Decoding is greedy by default.
///
/// On a ``LocalModel`` the prompt is rendered here, the same text for both kinds of run, and
/// sent raw: a template that renders tools (Qwen 2.5's) gets them in its own system prompt, any
/// other gets the call format's instructions in the system prompt (``ToolPrompting``).
///
/// - **Constrained** runs put the tools on the request as well, so a model that constrains tool
///   calls (``ModelCapabilities/constrainedDecoding``) holds each call it opens to the offered
///   names and their argument schemas. A model without that capability is refused.
/// - **Unconstrained** runs leave the tools off a local model's request, so nothing constrains
///   the output. Other models get the conversation and the tools in both kinds of run.
///
/// Outputs of both kinds are read by the same lenient ``BFCLOutputDecoder``, and an irrelevance
/// entry counts as correct only when the output neither makes a call nor attempts one (BFCL's
/// decoder would take an attempt that fails to parse for "no call"; here it is a format error
/// and a wrong answer, whichever way decoding runs).
///
/// In agent mode (``Options/agent``) each entry's calls are gathered over several turns and
/// candidates by a ``BFCLCallGatherer`` and checked the same way.
public struct BFCLEvaluator: Sendable {
    /// How the evaluation runs.
    public struct Options: Sendable {
        /// Hold calls to the tools' schemas while they are generated.
        public var constrained: Bool
        /// The most tokens generated per entry.
        public var maxTokens: Int
        /// Entries generated at once (the engine batches them).
        public var concurrency: Int
        /// How tokens are chosen.
        public var sampling: SamplingParameters
        /// The call format to read (and, for templates without tools, to prompt); `nil` picks
        /// the one the model's chat template teaches.
        public var format: (any ToolCallFormat)?
        /// Agent mode: gather every call the question needs with a ``BFCLCallGatherer`` (its
        /// first candidate decodes with ``sampling``); `nil` makes one call per entry.
        public var agent: BFCLCallGatherer.Options?

        /// Options; greedy decoding and one call per entry by default.
        public init(
            constrained: Bool = true, maxTokens: Int = 384, concurrency: Int = 1, sampling: SamplingParameters = .greedy,
            format: (any ToolCallFormat)? = nil, agent: BFCLCallGatherer.Options? = nil
        ) {
            self.constrained = constrained
            self.maxTokens = maxTokens
            self.concurrency = concurrency
            self.sampling = sampling
            self.format = format
            self.agent = agent
        }
    }

    /// The model evaluated.
    public let model: any LanguageModel
    /// How the evaluation runs.
    public var options: Options

    /// An evaluator of `model`.
    public init(model: any LanguageModel, options: Options = Options()) {
        self.model = model
        self.options = options
    }

    /// The call format outputs are read in.
    public var format: any ToolCallFormat {
        if let format = options.format { return format }
        if let local = model as? LocalModel { return ToolCallFormats.detect(templateSource: local.model.chatTemplate?.source) }
        return HermesToolCallFormat()
    }

    /// Runs `entries` and reports their scores, with categories in `order` (the entries' own
    /// order when empty). `progress` sees each result as it is checked, in completion order.
    public func run(
        _ entries: [BFCLEntry], order: [BFCLCategory] = [], progress: (BFCLEntryResult) -> Void = { _ in }
    ) async throws -> BFCLReport {
        if options.constrained && !model.capabilities.constrainedDecoding {
            throw BFCLError(
                code: .unsupportedModel,
                message: "model '\(model.name)' cannot constrain tool calls; run the evaluation unconstrained",
                value: model.name)
        }
        let evaluator = self
        let width = max(1, options.concurrency)
        var results = [BFCLEntryResult?](repeating: nil, count: entries.count)
        try await withThrowingTaskGroup(of: (Int, BFCLEntryResult).self) { group in
            var next = 0
            while next < min(width, entries.count) {
                let (index, entry) = (next, entries[next])
                group.addTask { (index, await evaluator.evaluate(entry)) }
                next += 1
            }
            while let (index, result) = try await group.next() {
                results[index] = result
                progress(result)
                if next < entries.count {
                    let (index, entry) = (next, entries[next])
                    group.addTask { (index, await evaluator.evaluate(entry)) }
                    next += 1
                }
            }
        }
        let categories = order.isEmpty ? entries.map(\.category) : order
        return BFCLReport(results: results.compactMap { $0 }, order: categories)
    }

    /// Generates an answer for one entry — one call, or in agent mode the calls a
    /// ``BFCLCallGatherer`` agrees on — and checks it.
    public func evaluate(_ entry: BFCLEntry) async -> BFCLEntryResult {
        let output: String
        let decoded: BFCLDecodedOutput
        let failure: String?
        if let agent = options.agent {
            let gathering = await BFCLCallGatherer(evaluator: self, options: agent).gather(entry)
            output = gathering.transcript
            decoded = BFCLDecodedOutput(calls: gathering.calls, malformed: gathering.candidates.first?.malformed ?? [])
            failure = gathering.candidates.allSatisfy { $0.error != nil } ? gathering.candidates.first?.error : nil
        } else {
            let turn = await generate(entry.messages, tools: entry.tools, sampling: options.sampling)
            output = turn.text
            decoded = turn.decoded
            failure = turn.error
        }
        if let failure {
            return BFCLEntryResult(
                id: entry.id, category: entry.category, output: output, decoded: BFCLDecodedOutput(calls: []),
                check: .failed("generation_error", failure), generationError: failure)
        }
        var check = BFCLASTChecker.check(entry, calls: decoded.calls)
        if entry.category.kind == .irrelevance && decoded.unparseable {
            check = .failed("irrelevance_error:unparseable_call", "The output attempts a call that does not parse.")
        }
        return BFCLEntryResult(id: entry.id, category: entry.category, output: output, decoded: decoded, check: check)
    }

    /// One turn: the model's output for `messages` with `tools` offered (`choice` says whether
    /// it must call one), and the calls read from it (an error ends the turn with what came
    /// before it). With an output `constraint` the tools are only shown, not offered: the
    /// output is one document under the constraint.
    public func generate(
        _ messages: [ChatMessage], tools: [ToolDefinition], sampling: SamplingParameters, deadline: Deadline? = nil,
        choice: GenerationRequest.ToolChoice = .auto, constraint: GenerationRequest.OutputConstraint? = nil
    ) async -> (text: String, decoded: BFCLDecodedOutput, error: String?) {
        var text = ""
        var deltas: [ToolCallDelta] = []
        do {
            var generationRequest = try request(messages: messages, tools: tools, sampling: sampling)
            generationRequest.deadline = deadline
            generationRequest.toolChoice = choice
            if let constraint {
                generationRequest.constraint = constraint
                generationRequest.toolChoice = .none
                if model is LocalModel { generationRequest.tools = [] }
            }
            for try await event in model.generate(generationRequest) {
                switch event {
                case .text(let piece, _): text += piece
                case .toolCallDelta(let delta): deltas.append(delta)
                case .finished: break
                }
            }
        } catch {
            return (text, BFCLDecodedOutput(calls: []), "\(error)")
        }
        return (text, BFCLOutputDecoder.decode(text: text, deltas: deltas, format: format), nil)
    }

    /// The request for one entry (see the type's discussion for the two kinds of run).
    public func request(for entry: BFCLEntry) throws -> GenerationRequest {
        try request(messages: entry.messages, tools: entry.tools, sampling: options.sampling)
    }

    /// The request for a conversation with `tools` offered, decoded with `sampling`.
    func request(messages: [ChatMessage], tools: [ToolDefinition], sampling: SamplingParameters) throws -> GenerationRequest {
        if let local = model as? LocalModel {
            let text = try Self.renderedPrompt(local, messages: messages, tools: tools, format: format)
            return GenerationRequest(
                prompt: .raw(text), tools: options.constrained ? tools : [], toolChoice: .auto, sampling: sampling,
                maxTokens: options.maxTokens)
        }
        return GenerationRequest(
            prompt: .messages(messages), tools: tools, toolChoice: .auto, sampling: sampling, maxTokens: options.maxTokens)
    }

    /// The prompt text `local` renders for a conversation with tools: its template's own, or,
    /// for a template that knows nothing of tools, the conversation with the format's tool
    /// instructions in the system prompt.
    static func renderedPrompt(
        _ local: LocalModel, messages: [ChatMessage], tools: [ToolDefinition], format: any ToolCallFormat
    ) throws -> String {
        let source = local.model.chatTemplate?.source ?? ""
        if ToolCallFormats.templateRendersTools(source) {
            return try local.model.chatPrompt(messages: messages.map(LocalModel.json), tools: tools.map(LocalModel.json))
        }
        let plain = ToolPrompting.plainMessages(messages, tools: tools, format: format)
        return try local.model.chatPrompt(messages: plain.map(LocalModel.json))
    }
}
