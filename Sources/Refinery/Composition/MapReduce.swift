import RefineryCore

/// A step over every item of a list at once (document chunks, questions), then a step that
/// reduces the results to one.
///
/// The map and the reduce share the time in proportion to their estimates; the items run
/// concurrently (on a local model, in one engine batch). Items whose map produced nothing are
/// left out of the reduction, which is then cut off rather than complete.
public struct MapReduce<Item: Sendable, Mapped: Sendable, Result: Sendable>: Step {
    public typealias Input = [Item]
    public typealias Output = Result

    public let name: String
    /// What runs on each item.
    public let map: any Step<Item, Mapped>
    /// What combines the mapped results.
    public let reduce: any Step<[Mapped], Result>
    /// Items the estimate assumes (the plan is made before the input is known).
    public var expectedItems: Int

    /// `map` over every item, then `reduce`.
    public init(
        _ name: String = "map_reduce", expectedItems: Int = 4, map: any Step<Item, Mapped>,
        reduce: any Step<[Mapped], Result>
    ) {
        self.name = name
        self.map = map
        self.reduce = reduce
        self.expectedItems = max(1, expectedItems)
    }

    public func estimate(in context: StepContext) -> Duration {
        mapEstimate(items: expectedItems, in: context) + reduce.estimate(in: context)
    }

    private func mapEstimate(items: Int, in context: StepContext) -> Duration {
        Concurrent(Array(repeating: map, count: max(1, items))).estimate(in: context)
    }

    public func run(_ input: [Item], in context: StepContext) async -> StepResult<Result> {
        let recording = StepRecording(kind: StepKind(name), in: context)
        let inner = recording.childContext(context)
        let plan = CompositionPlanner.plan(
            [(name: map.name, estimate: mapEstimate(items: input.count, in: inner)),
             (name: reduce.name, estimate: reduce.estimate(in: inner))],
            reason: "\(name) start", in: inner)
        let mapContext = inner.allotting(plan.steps[0].allotted)
        let mapped = await withTaskGroup(of: (Int, StepResult<Mapped>).self) { group in
            for (index, item) in input.enumerated() {
                group.addTask { (index, await map.run(item, in: mapContext)) }
            }
            var all = [StepResult<Mapped>?](repeating: nil, count: input.count)
            for await (index, result) in group { all[index] = result }
            return all.compactMap { $0 }
        }
        var records = mapped.flatMap(\.records)
        let outputs = mapped.compactMap(\.output)
        let reduced = await reduce.run(outputs, in: inner)
        records += reduced.records
        var status = reduced.status
        if outputs.count < input.count { status = status.combined(with: .cutOff) }
        let record = recording.finish(status: status, children: records, note: "\(outputs.count)/\(input.count) items mapped")
        return StepResult(output: reduced.output, status: status, records: [record])
    }
}
