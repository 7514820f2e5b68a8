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
    /// Calls run from one turn at most; a small model sometimes repeats one call many times
    /// in a turn. Calls past the cap, and calls identical (same tool, same arguments) to one
    /// already run in this loop, are not run; a turn with nothing new to run ends the calling,
    /// and the model is asked for its answer.
    public var maxCallsPerTurn: Int = 4
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

    /// What the model is told on the last turn, once it has used tools: answer now, in words.
    public static let finalAnswerInstruction =
        "Answer the original request now, in plain text, using the tool results above. Do not call any tool."

    /// Runs the loop on `messages` by `deadline`. The record's output is the final answer; its
    /// prompt shows the whole transcript, tool turns included, and its ``StepRecord/toolCalls``
    /// every call with its arguments, result and time.
    ///
    /// The answer is never a tool call: when the rounds run out — or the time left would not
    /// cover another round and an answer — the model is asked for the answer with tools
    /// disabled, and call syntax it writes anyway is taken out of the text (an answer that was
    /// nothing but a call fails the step).
    public func run(
        _ messages: [ChatMessage], maxTokens: Int, deadline: Deadline, in context: StepContext
    ) async -> (StepRecord, StepGeneration) {
        let span = StepSpan.start(.toolLoop, round: 0, in: context)
        let start = context.offset
        var state = LoopState(transcript: messages)
        while true {
            let allowTools = !state.doneCalling && state.turn < maxToolRounds && !mustAnswer(state, maxTokens: maxTokens, deadline: deadline, in: context)
            if !allowTools, state.turn > 0 { state.transcript.append(.user(Self.finalAnswerInstruction)) }
            let request = GenerationRequest(
                prompt: .messages(state.transcript),
                tools: allowTools ? tools.definitions + handoffs.map(\.definition) : [],
                toolChoice: allowTools ? (state.turn == 0 ? firstTurnChoice : .auto) : .none, sampling: sampling,
                maxTokens: maxTokens)
            let generation = await StepGenerator.generate(request, in: context, deadline: deadline)
            state.add(generation)
            guard generation.status == .completed, allowTools, !generation.toolCalls.isEmpty else { break }
            if let handedOver = await handOver(generation, transcript: state.transcript, deadline: deadline, span: span) {
                state.last = handedOver.generation
                state.nested.append(handedOver.record)
                break
            }
            let calls = state.newCalls(generation.toolCalls, cap: maxCallsPerTurn)
            if calls.isEmpty {
                // Only repeats: nothing new will come of another round.
                state.doneCalling = true
                continue
            }
            state.transcript.append(.assistant(generation.text, toolCalls: calls))
            let results = await execute(calls, deadline: deadline, span: span, nested: &state.nested)
            for (call, result) in zip(calls, results) {
                state.transcript.append(.tool(result.text, callID: call.id, name: call.name))
                state.calls.append(
                    ToolCallRecord(name: call.name, arguments: call.arguments, result: result.text, elapsed: result.elapsed))
            }
            state.turn += 1
            if Task.isCancelled || deadline.instant <= context.clock.now { break }
        }
        let final = finalAnswer(state, deadline: deadline, in: context)
        var record = StepRecord(
            kind: .toolLoop, round: 0, model: final.model, prompt: PromptText.render(state.transcript),
            output: final.text, status: final.status, promptTokens: state.promptTokens,
            generatedTokens: state.generated, startOffset: start, elapsed: context.offset - start,
            allotted: start.duration(to: deadline, from: context), fallbacks: state.fallbacks,
            note: state.turn == 0 ? nil : "\(state.turn) tool turn\(state.turn == 1 ? "" : "s")")
        record.steps = state.nested
        record.toolCalls = state.calls
        StepSpan.finish(span, with: record)
        return (record, final)
    }

    /// What one run of the loop has gathered so far.
    private struct LoopState {
        var transcript: [ChatMessage]
        var promptTokens = 0
        var generated = 0
        var fallbacks: [String] = []
        var last: StepGeneration?
        var nested: [StepRecord] = []
        var calls: [ToolCallRecord] = []
        var turn = 0
        /// Set when a turn had nothing new to run: the next turn asks for the answer.
        var doneCalling = false

        /// The calls of a turn worth running: not run before in this loop, not repeated within
        /// the turn, at most `cap` of them.
        func newCalls(_ calls: [ToolCall], cap: Int) -> [ToolCall] {
            var seen = Set(self.calls.map { "\($0.name) \($0.arguments.serialized())" })
            var fresh: [ToolCall] = []
            for call in calls where fresh.count < max(1, cap) {
                if seen.insert("\(call.name) \(call.arguments.serialized())").inserted { fresh.append(call) }
            }
            return fresh
        }

        mutating func add(_ generation: StepGeneration) {
            last = generation
            promptTokens += generation.stats?.promptTokens ?? 0
            generated += generation.generatedTokens
            fallbacks += generation.fallbacks
        }
    }

    /// Whether the time left covers only the answer: after a round of calls, another round and
    /// the answer after it would not both fit (each estimated from the live cost figures).
    private func mustAnswer(_ state: LoopState, maxTokens: Int, deadline: Deadline, in context: StepContext) -> Bool {
        guard state.turn > 0 else { return false }
        let promptTokens = state.transcript.reduce(0) { $0 + $1.content.utf8.count / 4 + 4 }
        let answer = context.estimate(promptTokens: promptTokens, generatedTokens: maxTokens / 2)
        return context.clock.now.duration(to: deadline.instant) < answer * 2
    }

    /// The loop's answer from its last generation: cut off when calls were left unanswered or
    /// nothing came in time; call syntax taken out of an answer that should have been text.
    private func finalAnswer(_ state: LoopState, deadline: Deadline, in context: StepContext) -> StepGeneration {
        var final =
            state.last
            ?? StepGeneration(
                text: "", toolCalls: [], stats: nil, model: context.models.first?.name ?? "none", status: .cutOff,
                pieces: 0, fallbacks: [])
        final = final.cutAtTokenCap()
        // Calls left unanswered: time ran out between turns.
        if final.status == .completed, !final.toolCalls.isEmpty { final.status = .cutOff }
        if final.status == .completed, deadline.instant <= context.clock.now, final.text.isEmpty {
            final.status = .cutOff
        }
        let names = Set(tools.definitions.map(\.name) + handoffs.map(\.toolName))
        let parsed = ToolCallFormats.parseLeniently(final.text, format: HermesToolCallFormat(), toolNames: names)
        if !parsed.calls.isEmpty {
            final.text = parsed.content
            final.toolCalls = []
            if final.text.isEmpty, final.status == .completed {
                final.status = .failed("the model answered with a tool call instead of an answer")
            }
        }
        final.fallbacks = state.fallbacks
        return final
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
    ) async -> [(text: String, elapsed: Duration)] {
        let executor = tools
        let recorder = SubAgentRecorder()
        let scope = SubAgentScope(deadline: deadline, recorder: recorder)
        let results: [(text: String, elapsed: Duration)] = await ServiceContext.withValue(span.context) {
            await SubAgentScope.$current.withValue(scope) {
                await withTaskGroup(of: (Int, (text: String, elapsed: Duration)).self) { group in
                    for (index, call) in calls.enumerated() {
                        group.addTask {
                            let start = ContinuousClock.now
                            let text = await executor.execute(call, deadline: deadline)
                            return (index, (text, start.duration(to: .now)))
                        }
                    }
                    var all: [(Int, (text: String, elapsed: Duration))] = []
                    for await result in group { all.append(result) }
                    return all.sorted { $0.0 < $1.0 }.map(\.1)
                }
            }
        }
        nested += recorder.all
        return results
    }
}
