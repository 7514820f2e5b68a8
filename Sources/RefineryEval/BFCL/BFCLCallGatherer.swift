import Foundation
import RefineryCore
import Refinery
import RefineryInference

/// BFCL's agent mode: instead of one call, ask the model for every call the question needs,
/// a turn at a time, and vote on the calls of several such runs.
///
/// One *candidate* is a short tool loop over the entry's functions. Its first turn is the
/// single call's request (the model may answer in text — the way it declines when no function
/// fits). After a turn with calls, the calls are put in the conversation with a result that
/// says they were recorded (BFCL executes nothing), and the model is asked how many calls the
/// question needs in all (``countPrompt``, answered as a number under a schema). When it counts
/// more than it made, it writes all of them as a JSON list of exactly that many calls, each
/// under the tools' call schema (``listPrompt(_:)``), and the list, repeats dropped (same
/// function, no argument changed), replaces the first calls when it holds more. Measured
/// first and dropped: asking "more calls, or done?" after each call (the model answered
/// "done" after the first call of every parallel question it was shown), and asking for "call
/// k of n" as a required call (it repeated the first call).
///
/// Several candidates run at once (the engine batches them and shares their prompt prefix):
/// the first decodes greedily, the others sample. The answer is what they agree on
/// (``agreed(_:)``): no call when at most half of them made one, else the calls most callers made.
public struct BFCLCallGatherer: Sendable {
    /// How the calls are gathered.
    public struct Options: Sendable, Hashable {
        /// Candidate runs whose calls are voted on (the first greedy, the rest sampled).
        public var candidates: Int
        /// Most calls one candidate gathers (the most it may count).
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
        return BFCLGathering(calls: Self.agreed(candidates), candidates: candidates)
    }

    /// One candidate (see the type's discussion): the first turn, the count, then the list.
    func candidate(_ entry: BFCLEntry, sampling: SamplingParameters, deadline: Deadline) async -> BFCLCandidate {
        var result = BFCLCandidate()
        let turn = await evaluator.generate(entry.messages, tools: entry.tools, sampling: sampling, deadline: deadline)
        result.outputs.append(Self.described(turn.text, turn.decoded.calls))
        result.malformed = turn.decoded.malformed
        if let error = turn.error {
            result.error = error
            return result
        }
        result.calls = Self.distinct(turn.decoded.calls, limit: options.maxCalls)
        result.firstTurnCalls = result.calls
        guard !result.calls.isEmpty, ContinuousClock.now < deadline.instant, !Task.isCancelled else { return result }
        var transcript = entry.messages + [.assistant("", toolCalls: result.calls)]
        for call in result.calls { transcript.append(.tool(Self.recordedResult, callID: call.id, name: call.name)) }
        let needed = await count(transcript, entry: entry, sampling: sampling, deadline: deadline, into: &result)
        guard needed > result.calls.count, ContinuousClock.now < deadline.instant, !Task.isCancelled else { return result }
        let schema: JSONValue = [
            "type": "array", "items": ToolCallSchema.call(for: entry.tools), "minItems": .int(Int64(needed)),
            "maxItems": .int(Int64(needed)),
        ]
        let list = await evaluator.generate(
            transcript + [.user(Self.listPrompt(needed))], tools: entry.tools, sampling: sampling, deadline: deadline,
            constraint: .jsonSchema(schema))
        let listed = Self.distinct(Self.calls(inList: list.text), limit: options.maxCalls)
        result.outputs.append(Self.described(list.text, listed))
        let question = entry.messages.filter { $0.role == .user }.map(\.content).joined(separator: "\n")
        let kept = Self.distinct(Self.newItems(listed, first: result.calls, question: question), limit: options.maxCalls)
        if kept.count > result.calls.count { result.calls = kept }
        return result
    }

    /// The listed calls that are the first turn's calls, or calls about an item of the question
    /// the first calls did not cover. A call added to the first ones is dropped when it applies
    /// another function to values the first calls already used (a second reading of the same
    /// item: the area of the triangle, then of a circle with one of its sides as radius), or
    /// when a value it brings that the first calls did not use is not in the question (made up:
    /// coordinates for a city the question named).
    static func newItems(_ listed: [ToolCall], first: [ToolCall], question: String) -> [ToolCall] {
        let used = Set(first.flatMap { leaves($0.arguments) })
        let names = Set(first.map(\.name))
        let text = question.lowercased()
        return listed.filter { call in
            if first.contains(where: { repeats(call, $0) }) { return true }
            let values = leaves(call.arguments)
            let fresh = values.filter { !used.contains($0) }
            if !names.contains(call.name) && fresh.isEmpty { return false }
            return fresh.allSatisfy { grounded($0, in: text) }
        }
    }

    /// The scalar values in `value` (strings lower-cased, numbers as written), recursively.
    static func leaves(_ value: JSONValue) -> [String] {
        switch value {
        case .object(let pairs): return pairs.flatMap { leaves($0.value) }
        case .array(let items): return items.flatMap(leaves)
        case .string(let text): return ["s:" + text.lowercased()]
        case .int(let n): return ["n:\(n)"]
        case .double(let d): return ["n:" + (d == d.rounded() && abs(d) < 1e15 ? "\(Int64(d))" : "\(d)")]
        default: return []
        }
    }

    /// Whether a value from ``leaves(_:)`` appears in `text` (lower-cased): a string as it is
    /// written, a number as a run of digits not inside a longer number.
    static func grounded(_ leaf: String, in text: String) -> Bool {
        let value = String(leaf.dropFirst(2))
        guard leaf.hasPrefix("n:") else { return value.isEmpty || text.contains(value) }
        var searchStart = text.startIndex
        while let range = text.range(of: value, range: searchStart..<text.endIndex) {
            let before = range.lowerBound > text.startIndex ? text[text.index(before: range.lowerBound)] : " "
            let after = range.upperBound < text.endIndex ? text[range.upperBound] : " "
            if !before.isNumber && !after.isNumber { return true }
            searchStart = range.upperBound
        }
        return false
    }

    /// `calls` without repeats (see ``repeats(_:_:)``), at most `limit`, with fresh ids.
    static func distinct(_ calls: [ToolCall], limit: Int) -> [ToolCall] {
        var kept: [ToolCall] = []
        for call in calls where kept.count < limit && !kept.contains(where: { repeats(call, $0) }) {
            kept.append(ToolCall(id: "call_\(kept.count)", name: call.name, arguments: call.arguments))
        }
        return kept
    }

    /// The calls of a JSON list of `{"name", "arguments"}` objects (none when it does not parse).
    static func calls(inList text: String) -> [ToolCall] {
        guard case .array(let items)? = try? JSONValue(parsing: Array(text.utf8)) else { return [] }
        return items.compactMap { item in
            guard case .string(let name)? = item["name"], let arguments = item["arguments"] else { return nil }
            return ToolCall(id: "", name: name, arguments: arguments)
        }
    }

    /// A turn's text followed by the calls read from it, for the details file.
    static func described(_ text: String, _ calls: [ToolCall]) -> String {
        ([text] + calls.map { "\($0.name)(\($0.arguments.serialized()))" }).filter { !$0.isEmpty }.joined(separator: " ")
    }

    /// The model's count of the calls the question needs, asked once the first calls are in
    /// `transcript` and decoded as a whole number from 1 to ``Options/maxCalls`` (1 when the
    /// turn fails or the answer is not a number). Allowing 0 ("none of the functions can answer
    /// it") was tried and dropped: the model said 0 for simple questions it had called right.
    func count(
        _ transcript: [ChatMessage], entry: BFCLEntry, sampling: SamplingParameters, deadline: Deadline,
        into result: inout BFCLCandidate
    ) async -> Int {
        let schema: JSONValue = ["type": "integer", "minimum": 1, "maximum": .int(Int64(options.maxCalls))]
        let turn = await evaluator.generate(
            transcript + [.user(Self.countPrompt)], tools: entry.tools, sampling: sampling, deadline: deadline,
            constraint: .jsonSchema(schema))
        result.outputs.append(turn.text)
        let number = Int(turn.text.trimmingWhitespace()) ?? 1
        return min(options.maxCalls, max(1, number))
    }

    /// What the model is asked after its first calls: how many the question needs in all.
    public static let countPrompt =
        "The calls above are recorded. How many function calls does the question need in total, "
        + "one for each item, value or action it asks about? Answer with a number."

    /// What the model is asked once it has counted `total` calls, more than it made.
    public static func listPrompt(_ total: Int) -> String {
        "Write all \(total) calls the question needs as a JSON list, one call for each item, value or action it asks about: "
            + "[{\"name\": FUNCTION, \"arguments\": {…}}, …]"
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
    /// candidates with calls made, in the order they first appear — or, when no call has such a
    /// majority, the first caller's first-turn calls. Every caller had to make a call before the
    /// list's calls had to be new items of the question (``newItems(_:first:question:)``): two
    /// sampled candidates then often invented the same extra call, and simple questions got two
    /// calls; with that rule, one sampled candidate counting one call no longer takes the second
    /// call of a parallel question away.
    public static func agreed(_ candidates: [BFCLCandidate]) -> [ToolCall] {
        let callers = candidates.filter { !$0.calls.isEmpty }
        guard let first = callers.first, callers.count * 2 > candidates.count else { return [] }
        var votes: [String: Int] = [:]
        for caller in callers {
            for name in Set(caller.calls.map(key)) { votes[name, default: 0] += 1 }
        }
        var seen = Set<String>()
        let kept = callers.flatMap(\.calls).filter { call in
            (votes[key(call)] ?? 0) * 2 > callers.count && seen.insert(key(call)).inserted
        }
        return kept.isEmpty ? first.firstTurnCalls : kept
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
    /// The calls of its first turn (before any count or list).
    public var firstTurnCalls: [ToolCall] = []
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
