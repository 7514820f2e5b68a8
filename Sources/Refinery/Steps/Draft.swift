import RefineryCore
/// Writes a first answer to the task.
public struct Draft: Sendable {
    /// Builds the draft's messages from the agent's instructions and the user's input.
    public typealias Prompt = @Sendable (_ instructions: String, _ input: String) -> [ChatMessage]

    /// Token cap the agent asks for (the planner may lower it to fit the deadline).
    public var maxTokens: Int
    /// Sampling for the draft.
    public var sampling: SamplingParameters
    /// Stop strings.
    public var stop: [String]
    /// The prompt builder.
    public var prompt: Prompt
    /// The shape the answer must have — a JSON schema (``GenerationRequest/OutputConstraint/
    /// jsonSchema(_:)``, or a typed result's through ``GenerationRequest/OutputConstraint/
    /// schema(of:)``) or any JSON. A local model decodes under it, so the answer is a valid
    /// document by construction; a remote one is asked for it. Nil: free text. ``BestOfN``
    /// candidates drafted from this draft share it.
    public var responseFormat: GenerationRequest.OutputConstraint?
    /// Words the answer must not contain (``GenerationRequest/avoidWords``): a local model
    /// cannot write them. ``BestOfN`` candidates share them.
    public var avoidWords: [String]

    /// A draft capped at `maxTokens`, prompted by `prompt`, shaped by `responseFormat` when given.
    public init(
        maxTokens: Int = 256, sampling: SamplingParameters = SamplingParameters(temperature: 0.3),
        stop: [String] = [], responseFormat: GenerationRequest.OutputConstraint? = nil, avoidWords: [String] = [],
        prompt: @escaping Prompt = Draft.defaultPrompt
    ) {
        self.avoidWords = avoidWords
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.stop = stop
        self.responseFormat = responseFormat
        self.prompt = prompt
    }

    /// The instructions as the system turn, the input as the user turn.
    public static let defaultPrompt: Prompt = { instructions, input in
        (instructions.isEmpty ? [] : [.system(instructions)]) + [.user(input)]
    }

    /// The request for `input` with a token cap of `maxTokens`.
    public func request(instructions: String, input: String, maxTokens: Int, seed: UInt64? = nil) -> GenerationRequest {
        var sampling = self.sampling
        if let seed { sampling.seed = seed }
        var request = GenerationRequest(
            prompt: .messages(prompt(instructions, input)), constraint: responseFormat, sampling: sampling, stop: stop,
            maxTokens: maxTokens)
        request.avoidWords = avoidWords
        return request
    }

    /// Drafts an answer by `deadline`. A draft cut off by its deadline or by its token cap is
    /// marked `cutOff`.
    public func run(
        instructions: String, input: String, maxTokens: Int, deadline: Deadline, in context: StepContext
    ) async -> (StepRecord, StepGeneration) {
        let span = StepSpan.start(.draft, round: 0, in: context)
        let start = context.offset
        let request = request(instructions: instructions, input: input, maxTokens: maxTokens)
        let generation = await StepGenerator.generate(request, in: context, deadline: deadline).cutAtTokenCap()
        let record = StepRecord(
            kind: .draft, round: 0, model: generation.model, prompt: PromptText.render(prompt(instructions, input)),
            output: generation.text, status: generation.status, promptTokens: generation.stats?.promptTokens ?? 0,
            generatedTokens: generation.generatedTokens, startOffset: start, elapsed: context.offset - start,
            allotted: start.duration(to: deadline, from: context), fallbacks: generation.fallbacks)
        StepSpan.finish(span, with: record)
        return (record, generation)
    }
}

extension Duration {
    /// From this run offset to `deadline`, in the run's timeline.
    func duration(to deadline: Deadline, from context: StepContext) -> Duration {
        context.runStart.advanced(by: self).duration(to: deadline.instant)
    }
}
