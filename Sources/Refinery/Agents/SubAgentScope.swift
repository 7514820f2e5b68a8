import RefineryCore
import Synchronization

/// What a tool call runs inside when a ``ToolLoop`` makes it: the loop's deadline (a sub-agent
/// carves its own from it) and where a sub-agent leaves the records of its steps, so they nest
/// under the loop's record in the parent's trace.
public struct SubAgentScope: Sendable {
    /// The latest instant the call may finish by.
    public var deadline: Deadline
    /// Collects the records of sub-agents run inside the call.
    public var recorder: SubAgentRecorder

    /// The scope of the tool call being made now, if a ``ToolLoop`` is making it.
    @TaskLocal public static var current: SubAgentScope?
}

/// The records sub-agents leave while a tool loop's calls run.
public final class SubAgentRecorder: Sendable {
    private let records = Mutex<[StepRecord]>([])

    public init() {}

    /// Adds a sub-agent's record.
    public func add(_ record: StepRecord) { records.withLock { $0.append(record) } }

    /// Everything recorded, in order.
    public var all: [StepRecord] { records.withLock { $0 } }
}

/// An ``Agent`` offered to another agent's ``ToolLoop`` as a tool: the model calls it with a
/// task, the agent answers it within a sub-deadline carved from the calling loop's, and its
/// steps appear nested under the loop's step in the parent's trace (records and spans).
public struct AgentTool: Tool {
    /// The task the parent hands over.
    public struct Arguments: Decodable, Sendable, JSONSchemaConvertible {
        public var task: String

        public static var jsonSchema: JSONValue {
            JSONSchema.object([.required("task", JSONSchema.string(description: "What to do, in full sentences"))])
        }
    }

    /// The agent answering calls.
    public let agent: Agent
    public let name: String
    public let description: String
    /// The most time one call may take (nil: all the calling loop has left).
    public let maxTime: Duration?

    public func call(_ arguments: Arguments) async throws -> ToolOutput {
        let scope = SubAgentScope.current
        var deadline = scope?.deadline ?? Deadline(agent.clock.now.advanced(by: maxTime ?? .seconds(30)))
        if let maxTime { deadline = min(deadline, Deadline(agent.clock.now.advanced(by: maxTime))) }
        let result = await agent.run(arguments.task, deadline: deadline)
        scope?.recorder.add(result.record(kind: .agent, name: name))
        guard result.outcome != .failed else { throw AgentToolError(agent: name, outcome: result.outcome) }
        return .text(result.answer)
    }
}

/// A sub-agent produced no answer.
public struct AgentToolError: Error, Sendable, CustomStringConvertible {
    /// The sub-agent's tool name.
    public let agent: String
    /// How its run ended.
    public let outcome: AgentOutcome

    public var description: String { "the agent '\(agent)' produced no answer (\(outcome.rawValue))" }
}

extension Agent {
    /// This agent as a tool for another agent's ``ToolLoop``, called by `name` (default: the
    /// agent's name) with a `task`. Each call runs under a sub-deadline carved from the calling
    /// loop's (at most `maxTime`), and its steps nest under the loop's step in the trace.
    public func asTool(name: String? = nil, description: String, maxTime: Duration? = nil) -> AgentTool {
        AgentTool(agent: self, name: name ?? self.name, description: description, maxTime: maxTime)
    }
}

extension AgentResult {
    /// This run as one step record of `kind` (a sub-agent, a handoff), its steps nested under it.
    func record(kind: StepKind, name: String) -> StepRecord {
        var record = StepRecord(
            kind: kind, round: 0, output: answer, status: outcome.stepStatus,
            promptTokens: steps.reduce(0) { $0 + $1.promptTokens }, generatedTokens: generatedTokens,
            startOffset: steps.first?.startOffset ?? .zero, elapsed: elapsed, allotted: deadline,
            note: "\(name): \(outcome.rawValue)")
        record.steps = steps
        return record
    }
}

extension AgentOutcome {
    /// How a step that ran a whole agent ended, in the steps' vocabulary.
    public var stepStatus: StepStatus {
        switch self {
        case .complete, .unverified, .refinedPartially, .draftOnly: .completed
        case .truncated: .cutOff
        case .failed: .failed("no answer")
        }
    }
}
