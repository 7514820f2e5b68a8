import RefineryCore

/// Branches run at the same time on the same input, all under the composition's deadline.
///
/// Branches on one local model decode in one engine batch (the engine's scheduler batches the
/// sequences that run at once), so two drafts cost little more than one. Each branch's output
/// keeps its position; a branch that produced nothing leaves nil.
public struct Concurrent<Input: Sendable, BranchOutput: Sendable>: Step {
    public typealias Output = [BranchOutput?]

    public let name: String
    /// The branches, in order.
    public let branches: [any Step<Input, BranchOutput>]
    /// Extra time each branch after the first costs on a batching model, as a fraction of one
    /// branch (a batch of four reads the weights once per step).
    public var batchPenalty: Double

    /// `branches` run at the same time.
    public init(_ branches: [any Step<Input, BranchOutput>], name: String = "concurrent", batchPenalty: Double = 0.25) {
        self.name = name
        self.branches = branches
        self.batchPenalty = batchPenalty
    }

    /// On a batching model the longest branch plus a share per extra branch; elsewhere the branches add up.
    public func estimate(in context: StepContext) -> Duration {
        let estimates = branches.map { $0.estimate(in: context) }
        guard let longest = estimates.max() else { return .zero }
        if context.batches { return longest * (1 + batchPenalty * Double(estimates.count - 1)) }
        return estimates.reduce(.zero, +)
    }

    public func run(_ input: Input, in context: StepContext) async -> StepResult<Output> {
        let recording = StepRecording(kind: StepKind(name), in: context)
        let inner = recording.childContext(context)
        let results = await withTaskGroup(of: (Int, StepResult<BranchOutput>).self) { group in
            for (index, branch) in branches.enumerated() {
                group.addTask { (index, await branch.run(input, in: inner)) }
            }
            var all = [StepResult<BranchOutput>?](repeating: nil, count: branches.count)
            for await (index, result) in group { all[index] = result }
            return all.compactMap { $0 }
        }
        var status = StepStatus.completed
        for result in results { status = status.combined(with: result.status) }
        if results.allSatisfy({ $0.output == nil }), !results.isEmpty {
            status = status.combined(with: .failed("no branch produced an output"))
        }
        let record = recording.finish(status: status, children: results.flatMap(\.records))
        return StepResult(output: results.map(\.output), status: status, records: [record])
    }
}
