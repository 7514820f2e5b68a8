import RefineryCore
/// Judges an answer and returns a typed ``Verdict``, produced under a JSON-schema constraint
/// (``Verdict/schema``) and decoded from the model's JSON. A malformed verdict is recorded and
/// treated as "no judgement" — never a crash.
public struct Critique: Sendable {
    /// Builds the critique's messages from the rubric, the task and the answer.
    public typealias Prompt = @Sendable (_ rubric: String, _ input: String, _ answer: String) -> [ChatMessage]

    /// What a good answer must satisfy.
    public var rubric: String
    /// Token cap for the verdict.
    public var maxTokens: Int
    /// Sampling (greedy by default: a judge should be stable).
    public var sampling: SamplingParameters
    /// The prompt builder.
    public var prompt: Prompt

    /// A critique against `rubric`, capped at `maxTokens`, greedy by default.
    public init(
        rubric: String = "The answer is correct, complete and follows the instructions.", maxTokens: Int = 160,
        sampling: SamplingParameters = .greedy, prompt: @escaping Prompt = Critique.defaultPrompt
    ) {
        self.rubric = rubric
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.prompt = prompt
    }

    /// Asks for a JSON verdict against the rubric.
    public static let defaultPrompt: Prompt = { rubric, input, answer in
        [
            .system(
                """
                You are a strict reviewer. Judge the answer against the criteria. Reply with JSON only: \
                {"score": 0-10, "issues": [concrete problems to fix], "acceptable": true|false}.
                Criteria: \(rubric)
                """),
            .user("Task:\n\(input)\n\nAnswer:\n\(answer)"),
        ]
    }

    /// Critiques `answer` by `deadline`; the verdict is nil when the output is malformed or cut off.
    public func run(
        input: String, answer: String, round: Int, maxTokens: Int, deadline: Deadline, in context: StepContext
    ) async -> (StepRecord, Verdict?) {
        let span = StepSpan.start(.critique, round: round, in: context)
        let start = context.offset
        let messages = prompt(rubric, input, answer)
        let request = GenerationRequest(
            prompt: .messages(messages), constraint: .jsonSchema(Verdict.schema), sampling: sampling,
            maxTokens: maxTokens)
        let generation = await StepGenerator.generate(request, in: context, deadline: deadline)
        var verdict: Verdict?
        var note: String?
        if generation.status == .completed {
            do { verdict = try Verdict(parsing: generation.text) } catch {
                note = "malformed verdict: \(error.message)"
            }
        }
        let record = StepRecord(
            kind: .critique, round: round, model: generation.model, prompt: PromptText.render(messages),
            output: generation.text, verdict: verdict, status: generation.status,
            promptTokens: generation.stats?.promptTokens ?? 0, generatedTokens: generation.generatedTokens,
            startOffset: start, elapsed: context.offset - start, allotted: start.duration(to: deadline, from: context),
            fallbacks: generation.fallbacks, note: note)
        StepSpan.finish(span, with: record)
        return (record, verdict)
    }
}
