import RefineryCore
/// Drafts several answers at once (one batch on an engine that batches; parallel requests on a
/// remote one) and keeps the best: by external checks when the agent has them, then by
/// agreement between the candidates when configured, otherwise by a judge the model answers in
/// constrained JSON. Candidate `i` samples with seed `base + i`.
public struct BestOfN: Sendable {
    /// The most candidates the planner may choose (it picks N from what fits the deadline).
    public var maxCandidates: Int
    /// Sampling for the candidates (diverse by default).
    public var sampling: SamplingParameters
    /// Seed of the first candidate.
    public var baseSeed: UInt64
    /// The first candidate is sampled as a single draft would be (the draft's sampling), the
    /// others with ``sampling``: best-of-N then holds the answer a single draft would give, and
    /// picks it on a tie.
    public var firstAsDraft: Bool
    /// How candidates the verifiers score alike are told apart (nil: the first of them wins, or
    /// without verifiers a judge picks).
    public var agreement: Agreement?

    /// Up to `maxCandidates` candidates sampled with `sampling`, seeds from `baseSeed` up.
    public init(
        maxCandidates: Int = 4, sampling: SamplingParameters = SamplingParameters(temperature: 0.8),
        baseSeed: UInt64 = 1, firstAsDraft: Bool = false, agreement: Agreement? = nil
    ) {
        self.maxCandidates = max(1, maxCandidates)
        self.sampling = sampling
        self.baseSeed = baseSeed
        self.firstAsDraft = firstAsDraft
        self.agreement = agreement
    }

    /// Self-consistency between candidates: each candidate gets a signature of how it behaves
    /// (for code, its outputs on the same inputs), and the largest group with equal signatures
    /// wins, since independently sampled wrong answers seldom agree with each other. Where the
    /// probe also yields checks (tests the model wrote, with expected results), a group counts
    /// its size times one more than the checks it passes — dual agreement, as in CodeT: neither
    /// the candidates nor the model's own tests are trusted alone.
    public struct Agreement: Sendable {
        /// How one candidate behaved: equal signatures behave alike; `passedChecks` counts the
        /// probe's checks it passed (0 when the probe has none).
        public struct Behaviour: Sendable, Hashable {
            public var signature: String
            public var passedChecks: Int

            public init(signature: String, passedChecks: Int = 0) {
                self.signature = signature
                self.passedChecks = max(0, passedChecks)
            }
        }

        /// Builds a request decoded with the candidates, in the same batch, from the agent's
        /// input; its text goes to ``behaviours`` (e.g. tests the model writes). Nil: no probe.
        public var probe: (@Sendable (_ input: String) -> GenerationRequest)?
        /// One behaviour per candidate, in order (nil: this candidate cannot be compared — it
        /// did not run, say). `probe` is the probe's text, nil when there is none or it failed.
        public var behaviours: @Sendable (_ candidates: [String], _ probe: String?) async -> [Behaviour?]

        /// Agreement by `behaviours`, with an optional `probe` decoded alongside the candidates.
        public init(
            probe: (@Sendable (_ input: String) -> GenerationRequest)? = nil,
            behaviours: @escaping @Sendable (_ candidates: [String], _ probe: String?) async -> [Behaviour?]
        ) {
            self.probe = probe
            self.behaviours = behaviours
        }

        /// Which of `behaviours` (candidates in order of preference) to keep, and how many
        /// agree with it: the first member of the group with equal signatures whose size times
        /// (1 + checks passed) is largest, equal weights ranked by their first member.
        /// Candidates without a behaviour join no group. Nil when none has one.
        public static func pick(_ behaviours: [Behaviour?]) -> (index: Int, agreeing: Int)? {
            var groups: [String: (first: Int, size: Int, passed: Int)] = [:]
            for (index, behaviour) in behaviours.enumerated() {
                guard let behaviour else { continue }
                let group = groups[behaviour.signature] ?? (first: index, size: 0, passed: behaviour.passedChecks)
                groups[behaviour.signature] = (group.first, group.size + 1, group.passed)
            }
            let weight = { (group: (first: Int, size: Int, passed: Int)) in group.size * (1 + group.passed) }
            let best = groups.values.max { weight($0) < weight($1) || (weight($0) == weight($1) && $0.first > $1.first) }
            return best.map { (index: $0.first, agreeing: $0.size) }
        }
    }

    /// The schema of the judge's answer: `{"best": 1...n}`.
    public static func judgeSchema(candidates n: Int) -> JSONValue {
        [
            "type": "object",
            "properties": ["best": ["type": "integer", "minimum": 1, "maximum": .int(Int64(n))]],
            "required": ["best"],
            "additionalProperties": false,
        ]
    }

    /// What the step produced: every candidate, the index picked, and what the verifiers said
    /// of each candidate they checked.
    public struct Outcome: Sendable {
        public var candidates: [StepGeneration]
        public var picked: Int?
        public var verifications: [VerificationResult?]

        /// The verifiers' score of each candidate (nil where unchecked).
        public var scores: [Double?] { verifications.map { $0?.score } }
    }

    /// Drafts `n` candidates with `draft`'s prompt by `deadline`, then picks one.
    public func run(
        _ n: Int, draft: Draft, instructions: String, input: String, maxTokens: Int, verifiers: [Verify],
        deadline: Deadline, in context: StepContext
    ) async -> (StepRecord, Outcome) {
        let span = StepSpan.start(.bestOfN, round: 0, in: context)
        let start = context.offset
        var template = draft
        template.sampling = sampling
        let requests = (0..<max(1, n)).map {
            ($0 == 0 && firstAsDraft ? draft : template).request(
                instructions: instructions, input: input, maxTokens: maxTokens, seed: baseSeed &+ UInt64($0))
        }
        // The probe (when the agreement has one) joins the candidates' batch as one more sequence.
        let probeRequest = agreement?.probe?(input)
        let all: [StepGeneration] = await withTaskGroup(of: (Int, StepGeneration).self) { group in
            for (index, request) in (requests + (probeRequest.map { [$0] } ?? [])).enumerated() {
                group.addTask {
                    (index, await StepGenerator.generate(request, in: context, deadline: deadline, learn: requests.count == 1 && probeRequest == nil))
                }
            }
            var all: [(Int, StepGeneration)] = []
            for await result in group { all.append(result) }
            return all.sorted { $0.0 < $1.0 }.map(\.1)
        }
        let candidates = all.prefix(requests.count).map { $0.cutAtTokenCap() }
        let probe = probeRequest == nil ? nil : all.last.flatMap { $0.status == .completed ? $0.text : nil }
        let finished = candidates.indices.filter { candidates[$0].status == .completed && !candidates[$0].text.isEmpty }
        var verifications = [VerificationResult?](repeating: nil, count: candidates.count)
        var picked: Int?
        var note: String
        if finished.isEmpty {
            // Nothing finished: keep the longest partial so the agent can return it, marked.
            picked = candidates.indices.filter { !candidates[$0].text.isEmpty }.max {
                candidates[$0].text.count < candidates[$1].text.count
            }
            note = "no candidate finished"
        } else if finished.count == 1 {
            picked = finished[0]
            note = "one candidate finished"
        } else if !verifiers.isEmpty || agreement != nil {
            for index in finished where !verifiers.isEmpty {
                let (_, result) = await Verify.run(
                    verifiers, answer: candidates[index].text, round: 0, deadline: deadline, in: context)
                verifications[index] = result
            }
            let score = { (i: Int) in verifications[i]?.score ?? -1 }
            let top = finished.map(score).max() ?? -1
            let tied = finished.filter { score($0) == top }
            picked = tied.first
            note = verifiers.isEmpty ? "first finished candidate kept" : "picked by verifiers"
            if tied.count > 1, let agreement, deadline.instant > context.clock.now,
                let behaviours = await Self.behaviours(
                    agreement, tied.map { candidates[$0].text }, probe: probe, deadline: deadline, clock: context.clock)
            {
                if behaviours.count == tied.count, let pick = Agreement.pick(behaviours) {
                    picked = tied[pick.index]
                    note = (verifiers.isEmpty ? "picked by agreement" : "picked by verifiers, then agreement")
                        + " (\(pick.agreeing) of \(tied.count) alike)"
                }
            }
        } else {
            picked = await judge(finished.map { candidates[$0].text }, input: input, deadline: deadline, in: context)
                .map { finished[$0] }
            note = picked == nil ? "judge failed; first finished candidate kept" : "picked by the judge"
            if picked == nil { picked = finished.first }
        }
        let chosen = picked.map { candidates[$0] }
        let record = StepRecord(
            kind: .bestOfN, round: 0, model: chosen?.model ?? candidates.first?.model,
            prompt: PromptText.render(draft.prompt(instructions, input)), output: chosen?.text ?? "",
            status: finished.isEmpty ? (chosen == nil ? (candidates.first?.status ?? .cutOff) : .cutOff) : .completed,
            promptTokens: all.reduce(0) { $0 + ($1.stats?.promptTokens ?? 0) },
            generatedTokens: all.reduce(0) { $0 + $1.generatedTokens },
            startOffset: start, elapsed: context.offset - start, allotted: start.duration(to: deadline, from: context),
            fallbacks: all.flatMap(\.fallbacks),
            note: "\(candidates.count) candidates\(probeRequest == nil ? "" : " and a probe"), \(note)" + (picked.map { ", #\($0 + 1)" } ?? ""))
        StepSpan.finish(span, with: record)
        return (record, Outcome(candidates: candidates, picked: picked, verifications: verifications))
    }

    /// The agreement's behaviours of `texts`, or nil when `deadline` passes first (running the
    /// candidates — in a sandbox, say — must not carry the step past its deadline).
    static func behaviours(
        _ agreement: Agreement, _ texts: [String], probe: String?, deadline: Deadline, clock: any DeadlineClock
    ) async -> [Agreement.Behaviour?]? {
        await Deadline.race(deadline, on: clock) { await agreement.behaviours(texts, probe) }
    }

    /// Asks the model which of `texts` answers `input` best; nil when the judge fails.
    func judge(_ texts: [String], input: String, deadline: Deadline, in context: StepContext) async -> Int? {
        let listing = texts.enumerated().map { "Answer \($0.offset + 1):\n\($0.element)" }.joined(separator: "\n\n")
        let messages: [ChatMessage] = [
            .system("Pick the best answer to the task. Reply with JSON only: {\"best\": number}."),
            .user("Task:\n\(input)\n\n\(listing)"),
        ]
        let request = GenerationRequest(
            prompt: .messages(messages), constraint: .jsonSchema(Self.judgeSchema(candidates: texts.count)),
            sampling: .greedy, maxTokens: 16)
        let generation = await StepGenerator.generate(request, in: context, deadline: deadline)
        guard generation.status == .completed,
            let open = generation.text.firstIndex(of: "{"), let close = generation.text.lastIndex(of: "}"),
            open < close,
            let value = try? JSONValue(parsing: String(generation.text[open...close])),
            case .int(let best)? = value["best"], best >= 1, best <= texts.count
        else { return nil }
        return Int(best) - 1
    }
}
