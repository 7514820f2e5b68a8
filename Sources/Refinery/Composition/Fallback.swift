import RefineryCore

/// Alternatives in order of preference — a better model, then a cheaper strategy: the first
/// that fits the time left and produces an output wins.
///
/// An alternative whose estimate is longer than the time left is skipped (unless it is the
/// last); one that fails or produces nothing gives way to the next.
public struct Fallback<Input: Sendable, Output: Sendable>: Step {
    public let name: String
    /// The alternatives, preferred first.
    public let alternatives: [any Step<Input, Output>]

    /// `alternatives`, preferred first.
    public init(_ alternatives: [any Step<Input, Output>], name: String = "fallback") {
        self.name = name
        self.alternatives = alternatives
    }

    /// The estimate of the first alternative (the plan expects it to run).
    public func estimate(in context: StepContext) -> Duration { alternatives.first?.estimate(in: context) ?? .zero }

    public func run(_ input: Input, in context: StepContext) async -> StepResult<Output> {
        let recording = StepRecording(kind: StepKind(name), in: context)
        let inner = recording.childContext(context)
        var records: [StepRecord] = []
        var notes: [String] = []
        var last = StepResult<Output>.failed("no alternative ran")
        for (index, alternative) in alternatives.enumerated() {
            let isLast = index == alternatives.count - 1
            if !isLast, alternative.estimate(in: inner) > inner.remaining {
                notes.append("\(alternative.name): skipped, its estimate exceeds the time left")
                continue
            }
            let result = await alternative.run(input, in: inner)
            records += result.records
            last = result
            if result.output != nil, !isFailure(result.status) { break }
            notes.append("\(alternative.name): \(result.status.name)")
            if Task.isCancelled { break }
        }
        let note = notes.isEmpty ? nil : notes.joined(separator: "; ")
        let record = recording.finish(status: last.status, children: records, note: note)
        return StepResult(output: last.output, status: last.status, records: [record])
    }

    private func isFailure(_ status: StepStatus) -> Bool {
        if case .failed = status { return true }
        return false
    }
}
