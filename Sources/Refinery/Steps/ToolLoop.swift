import RefineryCore
import Tracing
/// Acts with tools, observes their results, and repeats until the model answers in text.
///
/// Each turn the model may call tools; the calls of one turn run concurrently through the
/// ``ToolExecutor`` (which turns errors into text the model reads), their results are appended
/// as `tool` turns, and the model goes on. After ``maxToolRounds`` turns of calls, one last turn
/// without tools forces an answer. The whole loop shares one sub-deadline.
///
/// A ``Handoff`` offered to the loop is a tool too (`transfer_to_<name>`): when the model calls
/// it, the loop ends and the other agent answers the conversation with the loop's time left;
/// its answer is the loop's, and its steps nest under the loop's record.
public struct ToolLoop: Sendable {
    /// Runs the model's calls.
    public var tools: any ToolExecutor
    /// Agents the model may hand the conversation over to.
    public var handoffs: [Handoff] = []
    /// How the first turn may use the tools: `.auto` (the default) lets the model choose;
    /// `.required` or `.named(tool)` makes it call one first (decoded under the call's
    /// constraint on a local model), as a pipeline's research step wants.
    public var firstTurnChoice: GenerationRequest.ToolChoice = .auto
    /// Turns with tool calls allowed before an answer is forced.
    public var maxToolRounds: Int
    /// Token cap of each turn.
    public var maxTokens: Int
    /// Sampling for every turn.
    public var sampling: SamplingParameters

    /// A loop over `tools`, forcing an answer after `maxToolRounds` turns of calls.
    public init(
        tools: any ToolExecutor, handoffs: [Handoff] = [], maxToolRounds: Int = 4, maxTokens: Int = 256,
        sampling: SamplingParameters = SamplingParameters(temperature: 0.2)
    ) {
        self.tools = tools
        self.handoffs = handoffs
        self.maxToolRounds = max(0, maxToolRounds)
        self.maxTokens = maxTokens
        self.sampling = sampling
    }

    /// Runs the loop on `messages` by `deadline`. The record's output is the final answer; its
    /// prompt shows the whole transcript, tool turns included.
    public func run(
        _ messages: [ChatMessage], maxTokens: Int, deadline: Deadline, in context: StepContext
    ) async -> (StepRecord, StepGeneration) {
        let span = StepSpan.start(.toolLoop, round: 0, in: context)
        let start = context.offset
        var transcript = messages
        var promptTokens = 0
        var generated = 0
        var fallbacks: [String] = []
        var last: StepGeneration?
        var nested: [StepRecord] = []
        var turn = 0
        while true {
            let allowTools = turn < maxToolRounds
            let request = GenerationRequest(
                prompt: .messages(transcript), tools: allowTools ? tools.definitions + handoffs.map(\.definition) : [],
                toolChoice: allowTools ? (turn == 0 ? firstTurnChoice : .auto) : .none, sampling: sampling,
                maxTokens: maxTokens)
            let generation = await StepGenerator.generate(request, in: context, deadline: deadline)
            last = generation
            promptTokens += generation.stats?.promptTokens ?? 0
            generated += generation.generatedTokens
            fallbacks += generation.fallbacks
            guard generation.status == .completed, allowTools, !generation.toolCalls.isEmpty else { break }
            if let handedOver = await handOver(generation, transcript: transcript, deadline: deadline, span: span) {
                last = handedOver.generation
                nested.append(handedOver.record)
                break
            }
            transcript.append(.assistant(generation.text, toolCalls: generation.toolCalls))
            let results = await execute(generation.toolCalls, deadline: deadline, span: span, nested: &nested)
            for (call, result) in zip(generation.toolCalls, results) {
                transcript.append(.tool(result, callID: call.id, name: call.name))
            }
            turn += 1
            if Task.isCancelled || deadline.instant <= context.clock.now { break }
        }
        var final =
            last
            ?? StepGeneration(
                text: "", toolCalls: [], stats: nil, model: context.models.first?.name ?? "none", status: .cutOff,
                pieces: 0, fallbacks: [])
        // Calls left unanswered: time ran out between turns.
        if final.status == .completed, !final.toolCalls.isEmpty { final.status = .cutOff }
        if final.status == .completed, deadline.instant <= context.clock.now, final.text.isEmpty {
            final.status = .cutOff
        }
        final.fallbacks = fallbacks
        let record = StepRecord(
            kind: .toolLoop, round: 0, model: final.model, prompt: PromptText.render(transcript), output: final.text,
            status: final.status, promptTokens: promptTokens, generatedTokens: generated, startOffset: start,
            elapsed: context.offset - start, allotted: start.duration(to: deadline, from: context),
            fallbacks: fallbacks,
            note: turn == 0 ? nil : "\(turn) tool turn\(turn == 1 ? "" : "s")")
        var withNested = record
        withNested.steps = nested
        StepSpan.finish(span, with: withNested)
        return (withNested, final)
    }

    /// When the turn calls a handoff, the other agent's answer to the conversation (nil: no handoff).
    private func handOver(
        _ generation: StepGeneration, transcript: [ChatMessage], deadline: Deadline, span: any Span
    ) async -> (generation: StepGeneration, record: StepRecord)? {
        guard let call = generation.toolCalls.first(where: { call in handoffs.contains { $0.toolName == call.name } }),
            let handoff = handoffs.first(where: { $0.toolName == call.name })
        else { return nil }
        let result = await ServiceContext.withValue(span.context) {
            await handoff.agent.run(Handoff.conversation(transcript, note: call.arguments["note"]?.stringValue), deadline: deadline)
        }
        let status: StepStatus = result.outcome == .failed ? .failed("the agent handed over to gave no answer") : .completed
        let answer = StepGeneration(
            text: result.answer, toolCalls: [], stats: nil, model: handoff.agent.models.first?.name ?? "",
            status: status, pieces: result.generatedTokens, fallbacks: [])
        return (answer, result.record(kind: .agent, name: "handoff to \(handoff.agent.name)"))
    }

    /// Runs one turn's calls concurrently, each inside a ``SubAgentScope`` and under the loop's
    /// span, so a sub-agent called as a tool nests its steps and spans under this loop.
    private func execute(
        _ calls: [ToolCall], deadline: Deadline, span: any Span, nested: inout [StepRecord]
    ) async -> [String] {
        let executor = tools
        let recorder = SubAgentRecorder()
        let scope = SubAgentScope(deadline: deadline, recorder: recorder)
        let results: [String] = await ServiceContext.withValue(span.context) {
            await SubAgentScope.$current.withValue(scope) {
                await withTaskGroup(of: (Int, String).self) { group in
                    for (index, call) in calls.enumerated() {
                        group.addTask { (index, await executor.execute(call, deadline: deadline)) }
                    }
                    var all: [(Int, String)] = []
                    for await result in group { all.append(result) }
                    return all.sorted { $0.0 < $1.0 }.map(\.1)
                }
            }
        }
        nested += recorder.all
        return results
    }
}
