import RefineryCore
/// Rewrites the answer to fix the issues a critique or a verifier found.
///
/// The request shares the run's session key, so an engine with a prefix cache prefills only the
/// new tokens.
public struct Refine: Sendable {
    /// Builds the refine step's messages from the instructions, the task, the answer and its issues.
    public typealias Prompt =
        @Sendable (_ instructions: String, _ input: String, _ answer: String, _ issues: [String]) -> [ChatMessage]

    /// Token cap the agent asks for.
    public var maxTokens: Int
    /// Sampling for the rewrite.
    public var sampling: SamplingParameters
    /// The prompt builder.
    public var prompt: Prompt
    /// The shape the rewrite must have (see ``Draft/responseFormat``). Nil: free text.
    public var responseFormat: GenerationRequest.OutputConstraint?
    /// Words the rewrite must not contain (see ``Draft/avoidWords``).
    public var avoidWords: [String]

    /// A rewrite capped at `maxTokens`, prompted by `prompt`, shaped by `responseFormat` when given.
    public init(
        maxTokens: Int = 256, sampling: SamplingParameters = SamplingParameters(temperature: 0.3),
        responseFormat: GenerationRequest.OutputConstraint? = nil, avoidWords: [String] = [],
        prompt: @escaping Prompt = Refine.defaultPrompt
    ) {
        self.avoidWords = avoidWords
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.responseFormat = responseFormat
        self.prompt = prompt
    }

    /// The task, the previous answer as the assistant's turn, then the issues to fix.
    public static let defaultPrompt: Prompt = { instructions, input, answer, issues in
        (instructions.isEmpty ? [] : [.system(instructions)]) + [
            .user(input),
            .assistant(answer),
            .user(
                "Rewrite your answer to fix these issues. Reply with the complete new answer only.\n\(PromptText.bullets(issues))"
            ),
        ]
    }

    /// A new answer written without the old one in view: the task, then the problems the old
    /// answer had, to avoid. Used after a rewrite came back unchanged.
    public static let afreshPrompt: Prompt = { instructions, input, _, issues in
        (instructions.isEmpty ? [] : [.system(instructions)]) + [
            .user(
                "\(input)\n\nAn earlier answer to this had these problems; write a new answer that avoids them:\n\(PromptText.bullets(issues))"
            )
        ]
    }

    /// Refines `answer` by `deadline`, sampling with `sampling` when given (else ``sampling``).
    public func run(
        instructions: String, input: String, answer: String, issues: [String], round: Int, maxTokens: Int,
        deadline: Deadline, in context: StepContext, sampling: SamplingParameters? = nil
    ) async -> (StepRecord, StepGeneration) {
        let span = StepSpan.start(.refine, round: round, in: context)
        let start = context.offset
        let messages = prompt(instructions, input, answer, issues)
        var request = GenerationRequest(
            prompt: .messages(messages), constraint: responseFormat, sampling: sampling ?? self.sampling,
            maxTokens: maxTokens)
        // A rewrite copies much of the answer in its prompt: a local model verifies those runs
        // several tokens per forward step.
        request.speculation = .promptLookup()
        request.avoidWords = avoidWords
        // A rewrite is expected at about the answer's length (as the planner expects it).
        let answerTokens = answer.utf8.count / 4 + 1
        let expected = min(maxTokens, max(16, answerTokens + answerTokens / 4))
        let generation = await StepGenerator.generate(
            request, in: context, deadline: deadline, expectedTokens: expected
        ).cutAtTokenCap()
        let record = StepRecord(
            kind: .refine, round: round, model: generation.model, prompt: PromptText.render(messages),
            output: generation.text, status: generation.status, promptTokens: generation.stats?.promptTokens ?? 0,
            generatedTokens: generation.generatedTokens, startOffset: start, elapsed: context.offset - start,
            allotted: start.duration(to: deadline, from: context), fallbacks: generation.fallbacks)
        StepSpan.finish(span, with: record)
        return (record, generation)
    }
}
