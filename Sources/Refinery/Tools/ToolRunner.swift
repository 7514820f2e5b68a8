import RefineryCore

/// Runs a conversation with tools: generate, run the calls the model made (concurrently), feed
/// their results back, and repeat until the model answers — at most ``ToolSet/maxRounds`` rounds
/// of calls, after which the model is asked once more with tools switched off.
///
/// Calls come from the stream's tool-call deltas (remote models, engines that parse calls
/// themselves) or, when there are none, from the text through ``format``. Calls that do not
/// parse, name unknown tools or carry invalid arguments go back to the model as error results;
/// none of them ends the run.
public struct ToolRunner: Sendable {
    /// The tools, the choice for the first round, and the cap on rounds.
    public var tools: ToolSet
    /// How the calls of a round are run.
    public var invoker: ToolInvoker
    /// Reads calls out of generated text when the stream carries none; `nil` reads only deltas.
    public var format: (any ToolCallFormat)?
    /// Reads text calls with ``ToolCallFormats/parseLeniently(_:format:toolNames:)``.
    public var lenient: Bool

    public init(tools: ToolSet, invoker: ToolInvoker = ToolInvoker(), format: (any ToolCallFormat)? = nil, lenient: Bool = false) {
        self.tools = tools
        self.invoker = invoker
        self.format = format
        self.lenient = lenient
    }

    /// What a run produced.
    public struct Outcome: Sendable {
        /// The final answer's text.
        public var answer: String
        /// The whole conversation, the input messages first.
        public var messages: [ChatMessage]
        /// Rounds in which tools were called.
        public var rounds: Int
        /// Every tool result, in order.
        public var results: [ToolResult]
    }

    /// Runs `messages` on `model` until it answers. `request` supplies sampling, limits and the
    /// deadline (its prompt and tools are replaced); tool calls share the deadline.
    public func run(_ messages: [ChatMessage], on model: any LanguageModel, request: GenerationRequest = .chat([])) async throws -> Outcome {
        var transcript = messages
        var results: [ToolResult] = []
        var rounds = 0
        var choice = tools.choice
        while true {
            let toolsOff = rounds >= tools.maxRounds
            var set = tools
            set.choice = toolsOff ? .none : choice
            var req = request
            req.prompt = .messages(transcript)
            set.apply(to: &req)
            if toolsOff { req.tools = [] }
            let turn = try await generate(req, on: model)
            if turn.calls.isEmpty && turn.malformed.isEmpty {
                transcript.append(.assistant(turn.text))
                return Outcome(answer: turn.text, messages: transcript, rounds: rounds, results: results)
            }
            if toolsOff { throw ToolError.tooManyRounds(tools.maxRounds) }
            rounds += 1
            transcript.append(.assistant(turn.text, toolCalls: turn.calls))
            let runnable = turn.calls.filter { turn.unparsable[$0.id] == nil }
            let ran = await invoker.execute(runnable, in: set, deadline: request.deadline)
            let roundResults = turn.calls.map { call -> ToolResult in
                if let problem = turn.unparsable[call.id] {
                    let error = ToolError.invalidArguments(tool: call.name, "the arguments are not valid JSON (\(problem))", arguments: call.arguments.stringValue ?? "")
                    return ToolResult(call: call, outcome: .failure(error), duration: .zero)
                }
                return ran.first { $0.call.id == call.id }!
            }
            results += roundResults
            transcript += roundResults.map(\.message)
            for fragment in turn.malformed {
                transcript.append(.user("error: this tool call could not be read: \(fragment). Call a tool with a JSON object "
                    + "{\"name\": …, \"arguments\": {…}} in the expected format, or answer without tools."))
            }
            // After the first round the model chooses freely (a required or named call is made).
            if choice == .required || { if case .named = choice { return true } else { return false } }() { choice = .auto }
        }
    }

    private struct Turn {
        var text: String
        var calls: [ToolCall]
        var malformed: [String]
        /// Calls whose streamed arguments are not JSON, with the parser's complaint, by call id.
        var unparsable: [String: String] = [:]
    }

    private func generate(_ request: GenerationRequest, on model: any LanguageModel) async throws -> Turn {
        var text = ""
        var assembler = ToolCallAssembler()
        for try await event in model.generate(request) {
            switch event {
            case .text(let piece, _): text += piece
            case .toolCallDelta(let d): assembler.add(d)
            case .finished: break
            }
        }
        if !assembler.isEmpty {
            // Calls whose arguments do not parse keep their text, so the transcript shows what
            // the model sent; they are answered with an error.
            var turn = Turn(text: text, calls: [], malformed: [])
            for assembled in assembler.assembled() {
                turn.calls.append(assembled.call)
                if let problem = assembled.problem { turn.unparsable[assembled.call.id] = problem }
            }
            return turn
        }
        guard let format, request.toolChoice != .none || !request.tools.isEmpty else { return Turn(text: text, calls: [], malformed: []) }
        let parsed = lenient
            ? ToolCallFormats.parseLeniently(text, format: format, toolNames: Set(tools.tools.map(\.name)))
            : format.parse(text)
        return Turn(text: parsed.content, calls: parsed.calls, malformed: parsed.malformed)
    }
}
