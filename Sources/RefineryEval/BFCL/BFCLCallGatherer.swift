import RefineryCore
import Refinery
import RefineryInference

/// BFCL's agent mode: instead of one call, ask the model for every call the question needs,
/// a turn at a time, and vote on the calls of several such runs.
///
/// One *candidate* is a short tool loop over the entry's functions. Its first turn is the
/// single call's request (the model may answer in text — the way it declines when no function
/// fits). After each turn with calls, the calls are put in the conversation with a result that
/// says they were recorded (BFCL executes nothing), and the model is asked for the next call
/// the question still needs, or for `done` (``moreCallsPrompt``). The candidate ends when a
/// turn makes no new call (a repeat — same function, no argument changed — is not new), at
/// ``Options/maxCalls``, on an error, or at the deadline. Calls are constrained as the
/// evaluator's are.
///
/// Several candidates run at once (the engine batches them and shares their prompt prefix):
/// the first decodes greedily, the others sample. The answer is what they agree on
/// (``agreed(_:)``): no call when at most half of them made one, else the calls more than half
/// of the callers made.
public struct BFCLCallGatherer: Sendable {
    /// How the calls are gathered.
    public struct Options: Sendable, Hashable {
        /// Candidate runs whose calls are voted on (the first greedy, the rest sampled).
        public var candidates: Int
        /// Most calls one candidate gathers.
        public var maxCalls: Int
        /// Time for one entry, all candidates together, from the moment it starts.
        public var timePerEntry: Duration
        /// Sampling of the candidates after the first (each gets its own seed).
        public var sampling: SamplingParameters

        /// Options: 3 candidates, up to 6 calls each, 10 s an entry, sampling at temperature 0.7.
        public init(
            candidates: Int = 3, maxCalls: Int = 6, timePerEntry: Duration = .seconds(10),
            sampling: SamplingParameters = SamplingParameters(temperature: 0.7)
        ) {
            self.candidates = max(1, candidates)
            self.maxCalls = max(1, maxCalls)
            self.timePerEntry = timePerEntry
            self.sampling = sampling
        }
    }

    /// What a call's result says in the conversation: BFCL runs nothing, so only that it was noted.
    public static let recordedResult = "Recorded."

    /// What the model is asked after each turn with calls.
    public static let moreCallsPrompt =
        "The calls above are recorded. Does the question ask for anything those calls do not cover yet "
        + "(for example the same function for another item or value, or another function)? "
        + "If so, make the next call now. If every call the question needs has been made, reply with the single word: done"

    /// The evaluator whose requests, constraint and call reading the turns use.
    public let evaluator: BFCLEvaluator
    /// How the calls are gathered.
    public let options: Options

    /// A gatherer running turns the way `evaluator` runs its single call.
    public init(evaluator: BFCLEvaluator, options: Options = Options()) {
        self.evaluator = evaluator
        self.options = options
    }

    /// Gathers the calls for `entry`: every candidate's, and the ones they agree on.
    public func gather(_ entry: BFCLEntry) async -> BFCLGathering {
        let deadline = Deadline.after(options.timePerEntry)
        let gatherer = self
        let candidates = await withTaskGroup(of: (Int, BFCLCandidate).self) { group in
            for index in 0..<options.candidates {
                var sampling = index == 0 ? evaluator.options.sampling : options.sampling
                if index > 0 { sampling.seed = UInt64(index) }
                let chosen = sampling
                group.addTask { (index, await gatherer.candidate(entry, sampling: chosen, deadline: deadline)) }
            }
            var all: [(Int, BFCLCandidate)] = []
            for await result in group { all.append(result) }
            return all.sorted { $0.0 < $1.0 }.map(\.1)
        }
        return BFCLGathering(calls: Self.agreed(candidates.map(\.calls)), candidates: candidates)
    }

    /// One candidate: turns until no new call comes (see the type's discussion).
    func candidate(_ entry: BFCLEntry, sampling: SamplingParameters, deadline: Deadline) async -> BFCLCandidate {
        var result = BFCLCandidate()
        var transcript = entry.messages
        while result.calls.count < options.maxCalls, ContinuousClock.now < deadline.instant, !Task.isCancelled {
            let turn = await evaluator.generate(transcript, tools: entry.tools, sampling: sampling, deadline: deadline)
            result.outputs.append(turn.text)
            if let error = turn.error {
                result.error = error
                break
            }
            if result.outputs.count == 1 { result.malformed = turn.decoded.malformed }
            var fresh: [ToolCall] = []
            for call in turn.decoded.calls where !(result.calls + fresh).contains(where: { Self.repeats(call, $0) }) {
                fresh.append(ToolCall(id: "call_\(result.calls.count + fresh.count)", name: call.name, arguments: call.arguments))
            }
            guard !fresh.isEmpty else { break }
            result.calls += fresh.prefix(options.maxCalls - result.calls.count)
            transcript.append(.assistant("", toolCalls: fresh))
            for call in fresh { transcript.append(.tool(Self.recordedResult, callID: call.id, name: call.name)) }
            transcript.append(.user(Self.moreCallsPrompt))
        }
        return result
    }

    /// Whether `call` repeats `earlier`: the same function, and every argument both give equal.
    static func repeats(_ call: ToolCall, _ earlier: ToolCall) -> Bool {
        guard call.name == earlier.name else { return false }
        guard case .object(let new) = call.arguments, case .object(let old) = earlier.arguments else {
            return canonical(call.arguments) == canonical(earlier.arguments)
        }
        let before = Dictionary(old.map { ($0.key, canonical($0.value)) }, uniquingKeysWith: { first, _ in first })
        return new.allSatisfy { pair in before[pair.key].map { $0 == canonical(pair.value) } ?? true }
    }

    /// The calls the candidates agree on: none when at most half of the candidates made a call;
    /// otherwise each call (by name and arguments, key order aside) that more than half of the
    /// candidates with calls made, in the order they first appear — or, when no call has such
    /// a majority, the first caller's calls.
    public static func agreed(_ candidates: [[ToolCall]]) -> [ToolCall] {
        let callers = candidates.filter { !$0.isEmpty }
        guard callers.count * 2 > candidates.count else { return [] }
        var votes: [String: Int] = [:]
        for calls in callers {
            for identity in Set(calls.map(key)) { votes[identity, default: 0] += 1 }
        }
        var seen = Set<String>()
        var kept: [ToolCall] = []
        for call in callers.joined() where votes[key(call), default: 0] * 2 > callers.count && seen.insert(key(call)).inserted {
            kept.append(call)
        }
        return kept.isEmpty ? callers[0] : kept
    }

    /// A call's identity for voting: its name and canonical arguments.
    static func key(_ call: ToolCall) -> String { call.name + canonical(call.arguments) }

    /// `value` serialized with every object's keys sorted.
    static func canonical(_ value: JSONValue) -> String {
        switch value {
        case .object(let pairs):
            return "{" + pairs.sorted { $0.key < $1.key }.map { "\($0.key):\(canonical($0.value))" }.joined(separator: ",") + "}"
        case .array(let items):
            return "[" + items.map(canonical).joined(separator: ",") + "]"
        default:
            return value.serialized()
        }
    }
}

/// One candidate run of the agent mode: its calls and each turn's output.
public struct BFCLCandidate: Sendable {
    /// The calls it gathered, in order.
    public var calls: [ToolCall] = []
    /// Each turn's text output.
    public var outputs: [String] = []
    /// Call attempts of its first turn that could not be read.
    public var malformed: [String] = []
    /// Why a turn failed, if one did.
    public var error: String?

    /// An empty candidate.
    public init() {}
}

/// What the agent mode gathered for one entry.
public struct BFCLGathering: Sendable {
    /// The calls the candidates agree on: the answer.
    public var calls: [ToolCall]
    /// Every candidate, the greedy one first.
    public var candidates: [BFCLCandidate]

    /// The outputs of every turn of every candidate, labelled, for a details file.
    public var transcript: String {
        candidates.enumerated().flatMap { index, candidate in
            candidate.outputs.enumerated().map { "[candidate \(index + 1), turn \($0.offset + 1)] \($0.element)" }
        }.joined(separator: "\n")
    }
}
