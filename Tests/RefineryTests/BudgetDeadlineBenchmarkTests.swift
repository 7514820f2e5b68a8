import RefineryCore
import RefineryBench
import Refinery
import RefineryInference
import RefineryTesting
import Testing

@Suite("Deadline benchmark", .timeLimit(.minutes(1)))
struct BudgetDeadlineBenchmarkTests {
    @Test("deadlines are spread evenly over the range and shuffled with a fixed seed")
    func deadlines() {
        let bench = DeadlineBenchmark(runs: 12)
        let list = bench.deadlines
        #expect(list.count == 12)
        #expect(list.sorted().first == .milliseconds(250))
        #expect(list.sorted().last == .milliseconds(3000))
        #expect(list != list.sorted())  // shuffled...
        #expect(DeadlineBenchmark(runs: 12).deadlines == list)  // ...the same way every time
        let sorted = list.sorted()
        let gaps = zip(sorted, sorted.dropFirst()).map { ($1 - $0).inSeconds }
        #expect(gaps.allSatisfy { abs($0 - 0.25) < 1e-9 })
    }

    @Test("the report gives overshoot percentiles and per-bucket steps, refinements and constraint satisfaction")
    func report() {
        func run(_ deadline: Int, _ elapsed: Int, _ outcome: AgentOutcome, steps: Int, refinements: Int, ok: Bool)
            -> DeadlineBenchmark.Run
        {
            DeadlineBenchmark.Run(
                deadline: .milliseconds(deadline), elapsed: .milliseconds(elapsed), outcome: outcome,
                stepsCompleted: steps, refinements: refinements, satisfied: ok)
        }
        let runs = [
            run(300, 290, .draftOnly, steps: 1, refinements: 0, ok: false),
            run(400, 405, .truncated, steps: 0, refinements: 0, ok: false),
            run(2600, 1200, .complete, steps: 4, refinements: 1, ok: true),
            run(3000, 2990, .refinedPartially, steps: 5, refinements: 2, ok: false),
        ]
        let report = DeadlineBenchmark(runs: 4).report(runs, notes: [("model", "m")])
        #expect(report["model"] == .string("m"))
        #expect(report["overshoot_ms"]?["p50"] == .double(-10))
        #expect(report["overshoot_ms"]?["p99"] == .double(5))
        #expect(report["overshoot_ms"]?["max"] == .double(5))
        #expect(report["late_runs"] == .int(1))
        guard case .array(let buckets)? = report["buckets"] else {
            Issue.record("no buckets")
            return
        }
        #expect(buckets.count == 2)  // empty buckets are left out
        #expect(buckets[0]["from_ms"] == .int(250))
        #expect(buckets[0]["runs"] == .int(2))
        #expect(buckets[0]["mean_steps_completed"] == .double(0.5))
        #expect(buckets[0]["constraints_satisfied"] == .double(0))
        #expect(buckets[1]["from_ms"] == .int(2500))
        #expect(buckets[1]["runs"] == .int(2))  // 3000 ms falls in the last bucket
        #expect(buckets[1]["mean_refinements"] == .double(1.5))
        #expect(buckets[1]["constraints_satisfied"] == .double(0.5))
        #expect(buckets[1]["outcomes"]?["complete"] == .int(1))
        #expect(report.lines.contains { $0.hasPrefix("2500–3000") && $0.contains("50%") })
    }

    @Test("a run's answer is checked by code and its time is taken from the caller's side")
    func runsAgent() async {
        let model = ScriptedModel(name: "m", texts: ["the sea is blue"])
        let bench = DeadlineBenchmark(runs: 2, shortest: .milliseconds(200), longest: .milliseconds(400))
        let cases = [DeadlineBenchmark.Case(input: "q") { $0.contains("blue") }]
        let runs = await bench.run(cases: cases) { _ in
            Agent(model: model, reserve: .zero, costs: CostBook([AgentTesting.cost("m")]))
        }
        #expect(runs.count == 2)
        #expect(runs.allSatisfy { $0.satisfied && $0.outcome == .unverified && $0.stepsCompleted == 1 })
        #expect(Set(runs.map(\.deadline)) == [.milliseconds(200), .milliseconds(400)])
        #expect(runs.allSatisfy { $0.overshoot < .zero })
    }
}
