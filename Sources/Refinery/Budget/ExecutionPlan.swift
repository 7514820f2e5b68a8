import RefineryCore
/// What the planner decided for the rest of a run, given the time left. Part of the trace: an
/// agent plans at the start and re-plans after every step.
public struct ExecutionPlan: Sendable, Hashable {
    /// How answers are checked between refinements.
    public enum Check: String, Sendable, Hashable, Codable {
        /// The model critiques its answer (typed verdict).
        case critique
        /// External checks replace the critique.
        case verifier
        /// Nothing checks; refinement rounds rely on "no change" and the round cap.
        case none
    }

    /// One step the plan expects to run.
    public struct Step: Sendable, Hashable {
        public var kind: StepKind
        /// Refinement round (0: the draft).
        public var round: Int
        /// The model picked for it (nil for verify).
        public var model: String?
        /// Its token cap (0 for verify).
        public var maxTokens: Int
        /// The cost model's estimate of its duration.
        public var estimate: Duration
        /// The time it is allowed: its estimate plus its share of the spare time.
        public var allotted: Duration

        public init(kind: StepKind, round: Int, model: String?, maxTokens: Int, estimate: Duration, allotted: Duration)
        {
            self.kind = kind
            self.round = round
            self.model = model
            self.maxTokens = maxTokens
            self.estimate = estimate
            self.allotted = allotted
        }
    }

    /// When the plan was made ("start", "after draft", "after critique 1"...).
    public var reason: String
    /// Working time left when it was made.
    public var remaining: Duration
    /// Candidates for the first answer (1: a plain draft).
    public var candidates: Int
    /// Refinement rounds planned from here.
    public var rounds: Int
    /// How answers are checked.
    public var check: Check
    /// The steps expected, in order.
    public var steps: [Step]

    /// A plan; the ``LatencyPlanner`` makes them.
    public init(reason: String, remaining: Duration, candidates: Int, rounds: Int, check: Check, steps: [Step]) {
        self.reason = reason
        self.remaining = remaining
        self.candidates = candidates
        self.rounds = rounds
        self.check = check
        self.steps = steps
    }

    /// The sum of the steps' estimates.
    public var estimatedTotal: Duration { steps.reduce(.zero) { $0 + $1.estimate } }

    /// One line: `start: 1200ms left → draft(smol,256) critique refine critique; 1 round, critique`.
    public var summary: String {
        let ms = { (d: Duration) in StepSpan.milliseconds(d) }
        let list = steps.map { step -> String in
            var s = step.kind.rawValue
            if let model = step.model {
                s += "(\(model),\(step.maxTokens),~\(ms(step.estimate))ms)"
            } else {
                s += "(~\(ms(step.estimate))ms)"
            }
            return s
        }.joined(separator: " ")
        let n = candidates > 1 ? ", N=\(candidates)" : ""
        return
            "\(reason): \(ms(remaining))ms left → \(list.isEmpty ? "stop" : list); \(rounds) round\(rounds == 1 ? "" : "s"), \(check.rawValue)\(n)"
    }
}
