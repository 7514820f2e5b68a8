import RefineryCore

/// A step with its types erased, so a composition can hold steps of different types in one
/// list. The builders that make compositions check the types when they chain them, so the
/// casts here cannot fail.
struct ErasedStep: Sendable {
    let name: String
    let estimate: @Sendable (StepContext) -> Duration
    let run: @Sendable (any Sendable, StepContext) async -> StepResult<any Sendable>

    init<S: Step>(_ step: S) {
        name = step.name
        estimate = { step.estimate(in: $0) }
        run = { input, context in
            // Input types are matched when the composition is built.
            let result = await step.run(input as! S.Input, in: context)
            return StepResult(output: result.output.map { $0 as any Sendable }, status: result.status, records: result.records)
        }
    }
}

/// How the statuses of several steps combine: the worst wins (failed, then cut off).
extension StepStatus {
    func combined(with other: StepStatus) -> StepStatus {
        switch (self, other) {
        case (.failed, _): self
        case (_, .failed): other
        case (.cutOff, _), (_, .cutOff): .cutOff
        default: .completed
        }
    }
}
