import RefineryCore
/// An external check of an answer — run its tests, validate it against a schema, compare with a
/// tool's result. Verifiers are trusted over the model's self-critique: where an agent has them,
/// the planner lets them replace the critique.
public struct Verify: Sendable {
    /// Checks `answer`; should finish by `deadline` (it is abandoned when it does not).
    public typealias Check = @Sendable (_ answer: String, _ deadline: Deadline) async -> VerificationResult
    /// Checks an ``Answer`` — its text together with the task and the notes the run gathered
    /// for it (tool results, sources) — by `deadline`.
    public typealias AnswerCheck = @Sendable (_ answer: Answer, _ deadline: Deadline) async -> VerificationResult

    /// A name for traces ("tests", "schema", "word count").
    public var name: String
    /// How long the check usually takes (the planner's estimate).
    public var estimatedTime: Duration
    /// The check, on the whole answer.
    public var answerCheck: AnswerCheck

    /// The check on a text alone (the task and notes empty).
    public var check: Check {
        let answerCheck = self.answerCheck
        return { text, deadline in await answerCheck(Answer(task: "").rewritten(text), deadline) }
    }

    /// A check of the answer's text named `name` that usually takes `estimatedTime`.
    public init(_ name: String, estimatedTime: Duration = .milliseconds(5), check: @escaping Check) {
        self.name = name
        self.estimatedTime = estimatedTime
        self.answerCheck = { answer, deadline in await check(answer.text, deadline) }
    }

    /// A check named `name` that reads the whole ``Answer`` — a check that the answer restates
    /// the tool results in its notes, say. A result with no applicable check (`checks` 0)
    /// vouches for nothing: the agent's answer stays unverified.
    public static func answer(
        _ name: String, estimatedTime: Duration = .milliseconds(5), check: @escaping AnswerCheck
    ) -> Verify {
        var verify = Verify(name, estimatedTime: estimatedTime) { _, _ in .pass }
        verify.answerCheck = check
        return verify
    }

    /// Runs every check in `verifiers` concurrently on the text `answer` by `deadline`.
    public static func run(
        _ verifiers: [Verify], answer: String, round: Int, deadline: Deadline, in context: StepContext
    ) async -> (StepRecord, VerificationResult?) {
        await run(verifiers, answer: Answer(task: "").rewritten(answer), round: round, deadline: deadline, in: context)
    }

    /// Runs every check in `verifiers` concurrently on `answer` by `deadline`. The result is nil
    /// when the deadline passed before all of them answered.
    public static func run(
        _ verifiers: [Verify], answer: Answer, round: Int, deadline: Deadline, in context: StepContext
    ) async -> (StepRecord, VerificationResult?) {
        let span = StepSpan.start(.verify, round: round, in: context)
        let start = context.offset
        let clock = context.clock
        let results: [(String, VerificationResult)]? = await Deadline.race(deadline, on: clock) {
            await withTaskGroup(of: (Int, String, VerificationResult).self) { checks in
                for (index, verifier) in verifiers.enumerated() {
                    checks.addTask { (index, verifier.name, await verifier.answerCheck(answer, deadline)) }
                }
                var all: [(Int, String, VerificationResult)] = []
                for await result in checks { all.append(result) }
                return all.sorted { $0.0 < $1.0 }.map { ($0.1, $0.2) }
            }
        }
        var combined: VerificationResult?
        if let results {
            let failures = results.flatMap { name, result in result.failures.map { "\(name): \($0)" } }
            let checks = results.reduce(0) { $0 + $1.1.checks }
            let passed = results.reduce(0) { $0 + $1.1.passedChecks }
            combined = VerificationResult(
                passed: results.allSatisfy { $0.1.passed }, failures: failures, checks: checks, passedChecks: passed)
        }
        let record = StepRecord(
            kind: .verify, round: round, prompt: verifiers.map(\.name).joined(separator: ", "),
            output: combined.map { $0.passed ? "passed" : $0.failures.joined(separator: "\n") } ?? "",
            verification: combined, status: combined == nil ? .cutOff : .completed,
            startOffset: start, elapsed: context.offset - start, allotted: start.duration(to: deadline, from: context))
        StepSpan.finish(span, with: record)
        return (record, combined)
    }
}

extension Deadline {
    /// What `work` returns, or nil when `deadline` passes on `clock` first; `work` is then
    /// cancelled (a sandboxed process is killed), so it cannot carry a step past its deadline.
    static func race<T: Sendable>(
        _ deadline: Deadline, on clock: any DeadlineClock, _ work: @escaping @Sendable () async -> T
    ) async -> T? {
        await withTaskGroup(of: T?.self) { group in
            group.addTask { await work() }
            group.addTask {
                try? await clock.sleep(until: deadline)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}
