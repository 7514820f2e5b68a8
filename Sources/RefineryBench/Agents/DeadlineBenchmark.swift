import RefineryCore
import Refinery
import Foundation
import RefineryInference

/// Measures how well an agent keeps its deadlines, and what more time buys: runs it many times
/// with deadlines spread evenly over a range (in a shuffled order, so the cost model's learning
/// does not line up with the deadline), and reports the overshoot past each deadline (p50, p99,
/// max) and, per deadline bucket, the steps completed, the refinements and how often the answer
/// satisfies its constraints — checked by code, not by the model's own score.
///
/// `refinery bench --scenario deadline` runs it on the `writer` agent.
public struct DeadlineBenchmark: Sendable {
    /// One case: a request and the check its answer must pass.
    public struct Case: Sendable {
        /// The input the agent gets.
        public var input: String
        /// Whether an answer satisfies the request's constraints (checked by code).
        public var satisfied: @Sendable (String) -> Bool

        /// A case asking `input`, whose answers `satisfied` checks.
        public init(input: String, satisfied: @escaping @Sendable (String) -> Bool) {
            self.input = input
            self.satisfied = satisfied
        }
    }

    /// What one run did.
    public struct Run: Sendable, Hashable {
        /// The deadline given, from the run's start.
        public var deadline: Duration
        /// From the run's start to the moment the result was back with the caller.
        public var elapsed: Duration
        /// How it ended.
        public var outcome: AgentOutcome
        /// Steps that ran to completion.
        public var stepsCompleted: Int
        /// Refine steps that ran to completion.
        public var refinements: Int
        /// Whether the answer satisfied the case's constraints.
        public var satisfied: Bool

        /// A run's figures.
        public init(
            deadline: Duration, elapsed: Duration, outcome: AgentOutcome, stepsCompleted: Int, refinements: Int,
            satisfied: Bool
        ) {
            self.deadline = deadline
            self.elapsed = elapsed
            self.outcome = outcome
            self.stepsCompleted = stepsCompleted
            self.refinements = refinements
            self.satisfied = satisfied
        }

        /// How far past its deadline the answer came (negative: early).
        public var overshoot: Duration { elapsed - deadline }
    }

    /// Runs in all.
    public var runs: Int
    /// The shortest deadline.
    public var shortest: Duration
    /// The longest deadline.
    public var longest: Duration
    /// Bucket edges, in ascending order: a run falls in the bucket whose range holds its deadline.
    public var bucketEdges: [Duration]

    /// `runs` runs with deadlines from `shortest` to `longest`, grouped at `bucketEdges`
    /// (default: 250 ms to 3 s in 6 buckets).
    public init(
        runs: Int = 200, shortest: Duration = .milliseconds(250), longest: Duration = .seconds(3),
        bucketEdges: [Duration]? = nil
    ) {
        self.runs = max(1, runs)
        self.shortest = shortest
        self.longest = max(shortest, longest)
        self.bucketEdges =
            bucketEdges ?? [
                .milliseconds(250), .milliseconds(500), .milliseconds(1000), .milliseconds(1500), .milliseconds(2000),
                .milliseconds(2500), .milliseconds(3000),
            ]
    }

    /// The deadlines in the order they run: evenly spread, then shuffled with a fixed seed.
    public var deadlines: [Duration] {
        let span = longest - shortest
        var list = (0..<runs).map { i in
            runs == 1 ? shortest : shortest + span * (Double(i) / Double(runs - 1))
        }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for i in stride(from: list.count - 1, to: 0, by: -1) {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let j = Int((state >> 33) % UInt64(i + 1))
            list.swapAt(i, j)
        }
        return list
    }

    /// Runs the benchmark: run `i` gives `cases[i % cases.count]` to the agent `makeAgent` builds
    /// for it, with the `i`-th deadline measured from just before the agent starts. `progress`
    /// hears one line per run.
    public func run(
        cases: [Case], makeAgent: @Sendable (String) -> Agent, progress: (String) -> Void = { _ in }
    ) async -> [Run] {
        guard !cases.isEmpty else { return [] }
        var results: [Run] = []
        for (index, deadline) in deadlines.enumerated() {
            let task = cases[index % cases.count]
            let agent = makeAgent(task.input)
            let start = ContinuousClock.now
            let result = await agent.run(task.input, deadline: Deadline(start.advanced(by: deadline)), startedAt: start)
            let elapsed = start.duration(to: .now)
            let run = Run(
                deadline: deadline, elapsed: elapsed, outcome: result.outcome,
                stepsCompleted: result.steps.filter { $0.status == .completed }.count,
                refinements: result.steps.filter { $0.kind == .refine && $0.status == .completed }.count,
                satisfied: result.outcome != .failed && task.satisfied(result.answer))
            results.append(run)
            progress(
                "run \(index + 1)/\(runs): deadline \(Self.ms(deadline)) ms, \(Self.ms(elapsed)) ms, "
                    + "\(result.outcome.rawValue), \(run.stepsCompleted) steps, "
                    + (run.satisfied ? "constraints hold" : "constraints broken"))
        }
        return results
    }

    /// The figures of `runs`: overshoot percentiles and the per-bucket table, as JSON fields
    /// and text lines. `notes` (model, load…) come first.
    public func report(_ runs: [Run], notes: [(key: String, value: JSONValue)] = []) -> BenchmarkReport {
        var report = BenchmarkReport()
        report.set("scenario", "deadline")
        for note in notes { report.set(note.key, note.value) }
        report.set("runs", .int(Int64(runs.count)))
        let overshoots = runs.map { $0.overshoot.inSeconds * 1000 }.sorted()
        let p50 = Self.percentile(overshoots, 0.5)
        let p99 = Self.percentile(overshoots, 0.99)
        let worst = overshoots.last ?? 0
        let late = overshoots.filter { $0 > 0 }.count
        report.set(
            "overshoot_ms",
            .object([
                ("p50", BenchmarkReport.number(p50)), ("p99", BenchmarkReport.number(p99)),
                ("max", BenchmarkReport.number(worst)),
            ]))
        report.set("late_runs", .int(Int64(late)))
        var rows: [JSONValue] = []
        var lines: [String] = []
        for note in notes { lines.append("\(note.key): \(Self.text(note.value))") }
        lines.append(
            "\(runs.count) runs, deadlines \(Self.ms(shortest))–\(Self.ms(longest)) ms; answer time past the deadline: "
                + "p50 \(Self.fixed(p50)) ms, p99 \(Self.fixed(p99)) ms, max \(Self.fixed(worst)) ms; \(late) late")
        lines.append("")
        lines.append(
            "deadline ms   runs  steps done  refinements  constraints ok  complete  unverified  refined  draft  truncated  failed")
        for (low, high) in zip(bucketEdges, bucketEdges.dropFirst()) {
            let last = high == bucketEdges.last
            let inBucket = runs.filter { $0.deadline >= low && ($0.deadline < high || (last && $0.deadline <= high)) }
            guard !inBucket.isEmpty else { continue }
            let n = Double(inBucket.count)
            let steps = Double(inBucket.reduce(0) { $0 + $1.stepsCompleted }) / n
            let refinements = Double(inBucket.reduce(0) { $0 + $1.refinements }) / n
            let ok = Double(inBucket.filter(\.satisfied).count) / n
            let count = { (o: AgentOutcome) in inBucket.filter { $0.outcome == o }.count }
            rows.append(
                .object([
                    ("from_ms", .int(Int64(Self.ms(low)))), ("to_ms", .int(Int64(Self.ms(high)))),
                    ("runs", .int(Int64(inBucket.count))), ("mean_steps_completed", BenchmarkReport.number(steps)),
                    ("mean_refinements", BenchmarkReport.number(refinements)),
                    ("constraints_satisfied", BenchmarkReport.number(ok, digits: 3)),
                    (
                        "outcomes",
                        .object(AgentOutcome.allCases.map { (key: $0.rawValue, value: JSONValue.int(Int64(count($0)))) })
                    ),
                ]))
            let range = "\(Self.ms(low))–\(Self.ms(high))"
            lines.append(
                Self.pad(range, 13) + Self.pad(String(inBucket.count), 6) + Self.pad(Self.fixed(steps), 12)
                    + Self.pad(Self.fixed(refinements), 13) + Self.pad("\(Int((ok * 100).rounded()))%", 16)
                    + Self.pad(String(count(.complete)), 10) + Self.pad(String(count(.unverified)), 12)
                    + Self.pad(String(count(.refinedPartially)), 9)
                    + Self.pad(String(count(.draftOnly)), 7) + Self.pad(String(count(.truncated)), 11)
                    + String(count(.failed)))
        }
        report.set("buckets", .array(rows))
        report.lines = lines
        return report
    }

    /// The `q` quantile of sorted `values` (nearest rank).
    static func percentile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((q * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(sorted.count - 1, max(0, rank))]
    }

    private static func ms(_ d: Duration) -> Int { Int((d.inSeconds * 1000).rounded()) }
    private static func fixed(_ x: Double) -> String { String(format: "%.1f", x) }
    private static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }
    private static func text(_ value: JSONValue) -> String {
        if case .string(let s) = value { return s }
        return value.serialized()
    }
}
