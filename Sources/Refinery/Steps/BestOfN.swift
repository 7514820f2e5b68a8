/// Drafts several answers at once (one batch on an engine that batches; parallel requests on a
/// remote one) and keeps the best: by external checks when the agent has them, otherwise by a
/// judge the model answers in constrained JSON. Candidate `i` samples with seed `base + i`.
public struct BestOfN: Sendable {
    /// The most candidates the planner may choose (it picks N from what fits the deadline).
    public var maxCandidates: Int
    /// Sampling for the candidates (diverse by default).
    public var sampling: SamplingParameters
    /// Seed of the first candidate.
    public var baseSeed: UInt64

    /// Up to `maxCandidates` candidates sampled with `sampling`, seeds from `baseSeed` up.
    public init(
        maxCandidates: Int = 4, sampling: SamplingParameters = SamplingParameters(temperature: 0.8),
        baseSeed: UInt64 = 1
    ) {
        self.maxCandidates = max(1, maxCandidates)
        self.sampling = sampling
        self.baseSeed = baseSeed
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
            template.request(
                instructions: instructions, input: input, maxTokens: maxTokens, seed: baseSeed &+ UInt64($0))
        }
        let candidates: [StepGeneration] = await withTaskGroup(of: (Int, StepGeneration).self) { group in
            for (index, request) in requests.enumerated() {
                group.addTask {
                    (index, await StepGenerator.generate(request, in: context, deadline: deadline, learn: requests.count == 1))
                }
            }
            var all: [(Int, StepGeneration)] = []
            for await result in group { all.append(result) }
            return all.sorted { $0.0 < $1.0 }.map(\.1)
        }
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
        } else if !verifiers.isEmpty {
            for index in finished {
                let (_, result) = await Verify.run(
                    verifiers, answer: candidates[index].text, round: 0, deadline: deadline, in: context)
                verifications[index] = result
            }
            let score = { (i: Int) in verifications[i]?.score ?? -1 }
            picked = finished.max { score($0) < score($1) || (score($0) == score($1) && $0 > $1) }
            note = "picked by verifiers"
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
            promptTokens: candidates.reduce(0) { $0 + ($1.stats?.promptTokens ?? 0) },
            generatedTokens: candidates.reduce(0) { $0 + $1.generatedTokens },
            startOffset: start, elapsed: context.offset - start, allotted: start.duration(to: deadline, from: context),
            fallbacks: candidates.flatMap(\.fallbacks),
            note: "\(candidates.count) candidates, \(note)" + (picked.map { ", #\($0 + 1)" } ?? ""))
        StepSpan.finish(span, with: record)
        return (record, Outcome(candidates: candidates, picked: picked, verifications: verifications))
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
