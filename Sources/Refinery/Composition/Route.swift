import Foundation
import RefineryCore

/// One branch picked for the input — by a classifier step (a model that labels the request) or
/// a closure (the time left, the input's length) — and run with the time that is left.
///
/// ```swift
/// let route = Route<String, String>(branches: ["careful": careful, "quick": quick], default: "quick") { _, context in
///     context.remaining > .seconds(2) ? "careful" : "quick"
/// }
/// ```
public struct Route<Input: Sendable, Output: Sendable>: Step {
    public let name: String
    /// Labels the input; the label names a branch.
    public let classifier: any Step<Input, String>
    /// The branches by label.
    public let branches: [String: any Step<Input, Output>]
    /// The branch used when the label names none.
    public let defaultBranch: String

    /// Branches picked by a `classifier` step.
    public init(
        _ name: String = "route", classifier: any Step<Input, String>, branches: [String: any Step<Input, Output>],
        default defaultBranch: String
    ) {
        precondition(branches[defaultBranch] != nil, "the default branch must be one of the branches")
        self.name = name
        self.classifier = classifier
        self.branches = branches
        self.defaultBranch = defaultBranch
    }

    /// Branches picked by a closure (it takes no measurable time).
    public init(
        _ name: String = "route", branches: [String: any Step<Input, Output>], default defaultBranch: String,
        choose: @escaping @Sendable (Input, StepContext) -> String
    ) {
        self.init(
            name,
            classifier: StepFunction<Input, String>("classify", estimate: .zero) { input, context in
                .completed(choose(input, context))
            }, branches: branches, default: defaultBranch)
    }

    /// The classifier's estimate plus the longest branch's.
    public func estimate(in context: StepContext) -> Duration {
        classifier.estimate(in: context) + (branches.values.map { $0.estimate(in: context) }.max() ?? .zero)
    }

    public func run(_ input: Input, in context: StepContext) async -> StepResult<Output> {
        let recording = StepRecording(kind: StepKind(name), in: context)
        let inner = recording.childContext(context)
        let plan = CompositionPlanner.plan(
            [(name: classifier.name, estimate: classifier.estimate(in: inner)),
             (name: "branch", estimate: branches.values.map { $0.estimate(in: inner) }.max() ?? .zero)],
            reason: "\(name) start", in: inner)
        // A classifier that takes no measurable time (a closure) sees the route's whole time left.
        let classify = plan.steps[0].estimate > .zero ? inner.allotting(plan.steps[0].allotted) : inner
        let label = await classifier.run(input, in: classify)
        let key = label.output.map { $0.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() }
        let chosen = key.flatMap { key in branches.keys.first { $0.lowercased() == key } } ?? defaultBranch
        let branch = branches[chosen]!
        let result = await branch.run(input, in: inner)
        let record = recording.finish(
            status: result.status, children: label.records + result.records, note: "branch: \(chosen)")
        return StepResult(output: result.output, status: result.status, records: [record])
    }
}
