import RefineryCore

/// What a step of a run does: one of the built-in kinds, or a name a user's step chooses.
///
/// Open, unlike an enum: a custom ``Step`` names its own kind (`"plan"`, `"search"`) and its
/// records, spans and plans carry it like the built-in ones.
public struct StepKind: RawRepresentable, Sendable, Hashable, Codable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public var description: String { rawValue }

    /// A first answer.
    public static let draft = StepKind("draft")
    /// The model judges an answer and returns a typed ``Verdict``.
    public static let critique = StepKind("critique")
    /// The answer rewritten to address a critique's or a verifier's issues.
    public static let refine = StepKind("refine")
    /// Several drafts at once, one of them picked.
    public static let bestOfN = StepKind("best_of_n")
    /// External checks (tests, schema validation...) on an answer.
    public static let verify = StepKind("verify")
    /// Act with tools, observe their results, repeat, then answer.
    public static let toolLoop = StepKind("tool_loop")
    /// Steps run one after another (``Pipeline``).
    public static let pipeline = StepKind("pipeline")
    /// Branches run at the same time (``Concurrent``).
    public static let concurrent = StepKind("concurrent")
    /// A body repeated until a stop rule (``Loop``).
    public static let loop = StepKind("loop")
    /// The first alternative that can run in time (``Fallback``).
    public static let fallback = StepKind("fallback")
    /// A step over every item, then a reduction (``MapReduce``).
    public static let mapReduce = StepKind("map_reduce")
    /// One branch picked by a classifier (``Route``).
    public static let route = StepKind("route")
    /// A whole agent run as one step (a sub-agent, a handoff).
    public static let agent = StepKind("agent")

    /// The built-in kinds of the "answer, check, improve" pattern.
    public static let allCases: [StepKind] = [.draft, .critique, .refine, .bestOfN, .verify, .toolLoop]
}

/// How a step ended — the one vocabulary for steps, combinators and sub-agents.
public enum StepStatus: Sendable, Hashable {
    /// The step ran to its end.
    case completed
    /// Its sub-deadline passed, its token cap cut it, or the run was cancelled: its output is
    /// partial, or the best it had so far.
    case cutOff
    /// It failed on every model it tried; the message says why.
    case failed(String)

    /// A short name for traces and JSON: `completed`, `cut_off` or `failed`.
    public var name: String {
        switch self {
        case .completed: "completed"
        case .cutOff: "cut_off"
        case .failed: "failed"
        }
    }
}
