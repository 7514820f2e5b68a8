import RefineryCore
/// What one step of an agent run did: its prompt, its output, its verdict, its cost.
public struct StepRecord: Sendable {
    /// What the step did.
    public var kind: StepKind
    /// The refinement round it belongs to (0 for the draft).
    public var round: Int
    /// The model that produced the output (nil for steps that generate nothing, like `verify`).
    public var model: String?
    /// The prompt as sent, rendered as `role: content` lines.
    public var prompt: String
    /// What the step produced (for a critique, the raw verdict text).
    public var output: String
    /// The verdict of a critique (nil when malformed or not a critique).
    public var verdict: Verdict?
    /// The result of a verify step.
    public var verification: VerificationResult?
    /// How the step ended.
    public var status: StepStatus
    /// Prompt tokens of its generations (as reported by the model).
    public var promptTokens: Int
    /// Tokens it generated.
    public var generatedTokens: Int
    /// When it started, measured from the start of the run.
    public var startOffset: Duration
    /// How long it ran.
    public var elapsed: Duration
    /// How long it was allowed to run (its sub-deadline from its start).
    public var allotted: Duration
    /// Models tried before the one that answered, with why each was left.
    public var fallbacks: [String]
    /// Notes for the timeline (a malformed verdict, a candidate picked...).
    public var note: String?
    /// The steps this one ran inside it: a composition's children, a sub-agent's steps (used
    /// as a tool or handed over to), in order.
    public var steps: [StepRecord] = []
    /// The tool calls the step ran, in order (a ``ToolLoop``'s), each with its result.
    public var toolCalls: [ToolCallRecord] = []

    /// A record; steps build it.
    public init(
        kind: StepKind, round: Int, model: String? = nil, prompt: String = "", output: String = "",
        verdict: Verdict? = nil, verification: VerificationResult? = nil, status: StepStatus = .completed,
        promptTokens: Int = 0, generatedTokens: Int = 0, startOffset: Duration = .zero, elapsed: Duration = .zero,
        allotted: Duration = .zero, fallbacks: [String] = [], note: String? = nil
    ) {
        self.kind = kind
        self.round = round
        self.model = model
        self.prompt = prompt
        self.output = output
        self.verdict = verdict
        self.verification = verification
        self.status = status
        self.promptTokens = promptTokens
        self.generatedTokens = generatedTokens
        self.startOffset = startOffset
        self.elapsed = elapsed
        self.allotted = allotted
        self.fallbacks = fallbacks
        self.note = note
    }
}

/// One tool call a step ran: which tool, with what arguments, what it returned and how long it took.
public struct ToolCallRecord: Sendable, Hashable {
    /// The tool's name.
    public var name: String
    /// The arguments the model gave.
    public var arguments: JSONValue
    /// What the tool returned (the text the model read: an error message when it failed).
    public var result: String
    /// How long the call took.
    public var elapsed: Duration

    /// A record of a call to `name`.
    public init(name: String, arguments: JSONValue, result: String, elapsed: Duration) {
        self.name = name
        self.arguments = arguments
        self.result = result
        self.elapsed = elapsed
    }
}

extension ToolCallRecord {
    /// The calls as a note for later steps: "Tool results:" then one `name(arguments) = result` line each.
    public static func notes(_ calls: [ToolCallRecord]) -> String {
        "Tool results:\n" + calls.map { "- \($0.name)(\($0.arguments.serialized())) = \($0.result)" }.joined(separator: "\n")
    }
}
