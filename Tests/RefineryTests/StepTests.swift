import RefineryCore
import Refinery
import RefineryTesting
import Synchronization
import Testing

@Suite("Verdicts")
struct StepVerdictTests {
    @Test("a verdict decodes from JSON, with prose or code fences around it")
    func parses() throws {
        let plain = try Verdict(parsing: #"{"score": 7, "issues": ["too long", "no title"], "acceptable": false}"#)
        #expect(plain == Verdict(score: 7, issues: ["too long", "no title"], acceptable: false))
        let fenced = try Verdict(
            parsing: "Here you go:\n```json\n{\"score\":9.5,\"issues\":[],\"acceptable\":true}\n```")
        #expect(fenced == Verdict(score: 9.5, issues: [], acceptable: true))
    }

    @Test("malformed verdicts are typed errors, not crashes")
    func malformed() {
        #expect(throws: VerdictError.noObject) { try Verdict(parsing: "looks fine to me") }
        #expect(throws: VerdictError.invalidJSON) { try Verdict(parsing: "{score: 7}") }
        #expect(throws: VerdictError.badField) {
            try Verdict(parsing: #"{"score": "high", "issues": [], "acceptable": true}"#)
        }
        #expect(throws: VerdictError.badField) {
            try Verdict(parsing: #"{"score": 11, "issues": [], "acceptable": true}"#)
        }
        #expect(throws: VerdictError.badField) {
            try Verdict(parsing: #"{"score": 5, "issues": [1], "acceptable": true}"#)
        }
        #expect(throws: VerdictError.badField) { try Verdict(parsing: #"{"score": 5, "issues": []}"#) }
    }

    @Test("the verdict schema asks for score, issues and acceptable, in that order")
    func schema() {
        guard case .object(let properties)? = Verdict.schema["properties"] else {
            Issue.record("no properties")
            return
        }
        #expect(properties.map(\.key) == ["score", "issues", "acceptable"])
    }
}

@Suite("Step generation under sub-deadlines", .timeLimit(.minutes(1)))
struct StepGeneratorTests {
    @Test("when the sub-deadline passes the stream is cancelled and the partial text kept")
    func cutOffKeepsPartial() async {
        let clock = ManualClock()
        let model = ScriptedModel(
            name: "m", replies: [AgentTesting.slow("w", chunks: 5, delay: .milliseconds(100))], clock: clock)
        let context = AgentTesting.context([model], clock: clock, costs: CostBook([AgentTesting.cost("m")]))
        let deadline = Deadline.after(.milliseconds(250), on: clock)
        let task = Task {
            await StepGenerator.generate(.chat([.user("go")], maxTokens: 10), in: context, deadline: deadline)
        }
        await clock.advance(by: .milliseconds(100), afterSleepers: 2)  // timer + chunk 1
        await clock.advance(by: .milliseconds(100), afterSleepers: 2)
        await clock.advance(by: .milliseconds(50), afterSleepers: 2)  // only the timer is due
        let result = await task.value
        #expect(result.status == .cutOff)
        #expect(result.text == "w0 w1 ")
        #expect(result.pieces == 2)
        #expect(clock.sleeperCount == 0)  // the model's pending chunk was cancelled too
    }

    @Test("a failing model falls back to the next one")
    func failureFallsBack() async {
        let clock = ManualClock()
        let remote = ScriptedModel(
            name: "remote", replies: [.failure(ScriptedModelError(message: "HTTP 503"))], clock: clock)
        let local = ScriptedModel(name: "local", texts: ["from local"])
        let context = AgentTesting.context(
            [remote, local], clock: clock, costs: CostBook([AgentTesting.cost("remote"), AgentTesting.cost("local")]))
        let result = await StepGenerator.generate(
            .chat([.user("go")], maxTokens: 10), in: context, deadline: .after(.seconds(1), on: clock))
        #expect(result.status == .completed)
        #expect(result.text == "from local")
        #expect(result.model == "local")
        #expect(result.fallbacks.count == 1)
        #expect(result.fallbacks[0].hasPrefix("remote: "))
        #expect(result.fallbacks[0].contains("HTTP 503"))
    }

    @Test("a slow model is cut off early enough for the fallback to answer inside the deadline")
    func slowFallsBack() async {
        let clock = ManualClock()
        let start = clock.now
        let remote = ScriptedModel(name: "remote", replies: [.init("late", delayPerChunk: .seconds(5))], clock: clock)
        let local = ScriptedModel(
            name: "local", replies: [AgentTesting.slow("l", chunks: 2, delay: .milliseconds(40))], clock: clock)
        // The local model needs 10 tokens at 100/s: 100 ms, so the remote gets until 900 ms.
        let costs = CostBook([AgentTesting.cost("remote"), AgentTesting.cost("local", tokensPerSecond: 100)])
        let context = AgentTesting.context([remote, local], clock: clock, costs: costs)
        let task = Task {
            await StepGenerator.generate(
                .chat([.user("go")], maxTokens: 10), in: context, deadline: .after(.seconds(1), on: clock))
        }
        await clock.advance(by: .milliseconds(900), afterSleepers: 2)
        await clock.advance(by: .milliseconds(40), afterSleepers: 2)
        await clock.advance(by: .milliseconds(40), afterSleepers: 2)
        let result = await task.value
        #expect(result.status == .completed)
        #expect(result.text == "l0 l1 ")
        #expect(result.fallbacks == ["remote: cut off at its sub-deadline"])
        #expect(start.duration(to: clock.now) == .milliseconds(980))
    }

    @Test("finished generations teach the cost book")
    func learnsCosts() async {
        let clock = ManualClock()
        let model = ScriptedModel(
            name: "m", replies: [AgentTesting.slow("w", chunks: 4, delay: .milliseconds(100))], clock: clock)
        let costs = CostBook([AgentTesting.cost("m", tokensPerSecond: 100, smoothing: 0.5)])
        let context = AgentTesting.context([model], clock: clock, costs: costs)
        let task = Task {
            await StepGenerator.generate(
                .chat([.user("go")], maxTokens: 10), in: context, deadline: .after(.seconds(1), on: clock))
        }
        for _ in 0..<4 { await clock.advance(by: .milliseconds(100), afterSleepers: 2) }
        _ = await task.value
        #expect(abs(costs.cost(for: "m").decodeTokensPerSecond - 55) < 1e-6)  // 100 + 0.5 * (10 - 100)
    }
}

@Suite("Steps", .timeLimit(.minutes(1)))
struct StepTests {
    @Test("a critique is asked for in constrained JSON and decoded into a verdict")
    func critique() async {
        let clock = ManualClock()
        let model = ScriptedModel(name: "m", texts: [AgentTesting.verdict(6, acceptable: false, issues: ["say why"])])
        let context = AgentTesting.context([model], clock: clock, costs: CostBook())
        let (record, verdict) = await Critique(rubric: "be specific").run(
            input: "q", answer: "a", round: 0, maxTokens: 100, deadline: .after(.seconds(1), on: clock), in: context)
        #expect(verdict == Verdict(score: 6, issues: ["say why"], acceptable: false))
        #expect(record.verdict == verdict)
        #expect(record.kind == .critique)
        #expect(model.requests.first?.constraint == .jsonSchema(Verdict.schema))
        #expect(model.requests.first?.maxTokens == 100)
        #expect(record.prompt.contains("be specific"))
    }

    @Test("a malformed verdict is recorded with a note and no verdict")
    func malformedCritique() async {
        let clock = ManualClock()
        let model = ScriptedModel(name: "m", texts: ["It's pretty good!"])
        let context = AgentTesting.context([model], clock: clock, costs: CostBook())
        let (record, verdict) = await Critique().run(
            input: "q", answer: "a", round: 1, maxTokens: 100, deadline: .after(.seconds(1), on: clock), in: context)
        #expect(verdict == nil)
        #expect(record.status == .completed)
        #expect(record.note?.hasPrefix("malformed verdict") == true)
    }

    @Test("refine shows the answer and the issues to fix")
    func refine() async {
        let clock = ManualClock()
        let model = ScriptedModel(name: "m", texts: ["better"])
        let context = AgentTesting.context([model], clock: clock, costs: CostBook())
        let (record, generation) = await Refine().run(
            instructions: "sys", input: "q", answer: "draft", issues: ["too short"], round: 1,
            maxTokens: 64, deadline: .after(.seconds(1), on: clock), in: context)
        #expect(generation.text == "better")
        #expect(record.round == 1)
        guard case .messages(let messages)? = model.requests.first?.prompt else {
            Issue.record("no messages")
            return
        }
        #expect(messages.map(\.role) == [.system, .user, .assistant, .user])
        #expect(messages[2].content == "draft")
        #expect(messages[3].content.contains("- too short"))
        // A rewrite copies much of its prompt: prompt-lookup speculation on a local model.
        #expect(model.requests.first?.speculation == .promptLookup())
    }

    @Test("verify runs every check and merges their failures")
    func verify() async {
        let clock = ManualClock()
        let context = AgentTesting.context([ScriptedModel(texts: [""])], clock: clock, costs: CostBook())
        let checks = [
            Verify("length") { answer, _ in answer.count <= 5 ? .pass : .fail("\(answer.count) characters, at most 5")
            },
            Verify("word") { answer, _ in answer.contains("sea") ? .pass : .fail("missing \"sea\"") },
        ]
        let (record, result) = await Verify.run(
            checks, answer: "the land", round: 0, deadline: .after(.seconds(1), on: clock), in: context)
        #expect(result?.passed == false)
        #expect(result?.failures == ["length: 8 characters, at most 5", "word: missing \"sea\""])
        #expect(result?.score == 0)
        #expect(record.kind == .verify)
        let (_, passing) = await Verify.run(
            checks, answer: "sea", round: 0, deadline: .after(.seconds(1), on: clock), in: context)
        #expect(passing?.passed == true)
    }

    @Test("a check that overruns its sub-deadline is abandoned")
    func verifyCutOff() async {
        let clock = ManualClock()
        let context = AgentTesting.context([ScriptedModel(texts: [""])], clock: clock, costs: CostBook())
        let slow = Verify("tests") { _, _ in
            do { try await clock.sleep(for: .seconds(10)) } catch { return .fail("cancelled") }
            return .pass
        }
        let task = Task {
            await Verify.run(
                [slow], answer: "x", round: 0, deadline: .after(.milliseconds(100), on: clock), in: context)
        }
        await clock.advance(by: .milliseconds(100), afterSleepers: 2)
        let (record, result) = await task.value
        #expect(result == nil)
        #expect(record.status == .cutOff)
    }

    @Test("best-of-N drafts N candidates with distinct seeds and lets the verifiers pick")
    func bestOfNByVerifier() async {
        let clock = ManualClock()
        let model = ScriptedModel(name: "m", clock: clock) { request, _ in
            .init(["short", "a long enough answer", "mid size"][Int(request.sampling.seed ?? 0) - 1])
        }
        let context = AgentTesting.context([model], clock: clock, costs: CostBook())
        let longEnough = Verify("length") { answer, _ in answer.count >= 10 ? .pass : .fail("too short") }
        let (record, outcome) = await BestOfN(maxCandidates: 3).run(
            3, draft: Draft(), instructions: "", input: "q", maxTokens: 20,
            verifiers: [longEnough], deadline: .after(.seconds(1), on: clock), in: context)
        #expect(outcome.candidates.map(\.text) == ["short", "a long enough answer", "mid size"])
        #expect(outcome.picked == 1)
        #expect(record.output == "a long enough answer")
        #expect(Set(model.requests.compactMap(\.sampling.seed)) == [1, 2, 3])
        #expect(record.note?.contains("picked by verifiers") == true)
    }

    @Test("without verifiers a constrained judge picks; a broken judge keeps the first")
    func bestOfNByJudge() async {
        for (judge, expected) in [("{\"best\": 2}", 1), ("the second one", 0)] {
            let clock = ManualClock()
            let model = ScriptedModel(name: "m", clock: clock) { request, _ in
                if request.constraint != nil { return .init(judge) }
                return .init("candidate \(request.sampling.seed ?? 0)")
            }
            let context = AgentTesting.context([model], clock: clock, costs: CostBook())
            let (_, outcome) = await BestOfN(maxCandidates: 2).run(
                2, draft: Draft(), instructions: "", input: "q", maxTokens: 20,
                verifiers: [], deadline: .after(.seconds(1), on: clock), in: context)
            #expect(outcome.picked == expected)
            #expect(model.requests.last?.constraint == .jsonSchema(BestOfN.judgeSchema(candidates: 2)))
        }
    }

    @Test("candidates the verifiers score alike are told apart by agreement; the probe joins the batch")
    func bestOfNByAgreement() async {
        let clock = ManualClock()
        // Seeds 1...4: the draft-like first candidate and three sampled ones; two of them agree.
        let model = ScriptedModel(name: "m", clock: clock) { request, _ in
            if request.maxTokens == 7 { return .init("probe calls") }
            return .init(["odd one", "common A", "common B", "loner"][Int(request.sampling.seed ?? 0) - 1])
        }
        let context = AgentTesting.context([model], clock: clock, costs: CostBook())
        let seen = Mutex<(candidates: [String], probe: String?)>(([], nil))
        let agreement = BestOfN.Agreement(probe: { input in
            GenerationRequest(prompt: .raw("tests for \(input)"), sampling: .greedy, maxTokens: 7)
        }) { candidates, probe in
            seen.withLock { $0 = (candidates, probe) }
            return candidates.map { $0.hasPrefix("common") ? .init(signature: "same") : $0 == "loner" ? nil : .init(signature: $0) }
        }
        let draft = Draft(sampling: SamplingParameters(temperature: 0.2))
        let passing = Verify("not odd") { answer, _ in answer == "odd one" ? .fail("odd") : .pass }
        let (record, outcome) = await BestOfN(maxCandidates: 4, firstAsDraft: true, agreement: agreement).run(
            4, draft: draft, instructions: "", input: "q", maxTokens: 20, verifiers: [passing],
            deadline: .after(.seconds(1), on: clock), in: context)
        #expect(outcome.candidates.map(\.text) == ["odd one", "common A", "common B", "loner"])
        #expect(outcome.picked == 1)  // the first of the two that agree, among those that pass
        #expect(seen.withLock { $0.candidates } == ["common A", "common B", "loner"])
        #expect(seen.withLock { $0.probe } == "probe calls")
        #expect(record.note?.contains("picked by verifiers, then agreement (2 of 3 alike)") == true)
        #expect(record.note?.hasPrefix("4 candidates and a probe") == true)
        let temperatures = model.requests.filter { $0.maxTokens == 20 }.map { ($0.sampling.seed ?? 0, $0.sampling.temperature) }
        #expect(temperatures.sorted { $0.0 < $1.0 }.map(\.1) == [0.2, 0.8, 0.8, 0.8])
    }

    @Test("agreement weighs groups by size times one more than the checks passed; the first of equal weights wins")
    func agreementPick() {
        typealias B = BestOfN.Agreement.Behaviour
        let plain = { (signatures: [String?]) in signatures.map { $0.map { B(signature: $0) } } }
        #expect(BestOfN.Agreement.pick(plain(["a", "b", "b", "a"]))! == (index: 0, agreeing: 2))
        #expect(BestOfN.Agreement.pick(plain([nil, "b", "c", "c"]))! == (index: 2, agreeing: 2))
        #expect(BestOfN.Agreement.pick(plain([nil, "x"]))! == (index: 1, agreeing: 1))
        #expect(BestOfN.Agreement.pick([nil, nil]) == nil)
        #expect(BestOfN.Agreement.pick([]) == nil)
        // Two alike passing none (2 × 1) lose to one passing two checks (1 × 3); 2 × 2 ties 1 × 4.
        let checked = [B(signature: "a"), B(signature: "a"), B(signature: "b", passedChecks: 2)]
        #expect(BestOfN.Agreement.pick(checked)! == (index: 2, agreeing: 1))
        let tie = [B(signature: "a", passedChecks: 1), B(signature: "b", passedChecks: 3), B(signature: "a", passedChecks: 1)]
        #expect(BestOfN.Agreement.pick(tie)! == (index: 0, agreeing: 2))
    }

    @Test("the tool loop runs the model's calls, feeds back the results and ends with text")
    func toolLoop() async {
        let clock = ManualClock()
        let call = ToolCall(id: "c1", name: "add", arguments: ["a": 2, "b": 3])
        let model = ScriptedModel(name: "m", replies: [.init("", toolCalls: [call]), .init("2 + 3 = 5")])
        let tools = Adder()
        let context = AgentTesting.context([model], clock: clock, costs: CostBook([AgentTesting.cost("m")]))
        let loop = ToolLoop(tools: tools)
        let (record, generation) = await loop.run(
            [.user("what is 2 + 3?")], maxTokens: 50, deadline: .after(.seconds(1), on: clock), in: context)
        #expect(generation.text == "2 + 3 = 5")
        #expect(record.status == .completed)
        #expect(record.note == "1 tool turn")
        #expect(tools.calls == [call])
        #expect(model.requests.first?.tools.map(\.name) == ["add"])
        guard case .messages(let second)? = model.requests.last?.prompt else {
            Issue.record("no messages")
            return
        }
        #expect(second.map(\.role) == [.user, .assistant, .tool])
        #expect(second[2].content == "5")
        #expect(second[2].toolCallID == "c1")
        // The trace shows which tool ran, with what, and what it returned.
        #expect(record.toolCalls == [ToolCallRecord(name: "add", arguments: ["a": 2, "b": 3], result: "5", elapsed: record.toolCalls.first?.elapsed ?? .zero)])
        let json = record.json()
        let first = json["tool_calls"]?.arrayValue?.first
        #expect(first?["name"] == "add")
        #expect(first?["result"] == "5")
        #expect(first?["arguments"] == ["a": 2, "b": 3])
    }

    @Test("after its tool rounds the loop forces an answer without tools")
    func toolLoopCap() async {
        let clock = ManualClock()
        let call = ToolCall(id: "c", name: "add", arguments: ["a": 1, "b": 1])
        let next = ToolCall(id: "d", name: "add", arguments: ["a": 1, "b": 2])
        let model = ScriptedModel(
            name: "m", replies: [.init("", toolCalls: [call]), .init("", toolCalls: [next]), .init("two")])
        let context = AgentTesting.context([model], clock: clock, costs: CostBook([AgentTesting.cost("m")]))
        let (record, generation) = await ToolLoop(tools: Adder(), maxToolRounds: 2).run(
            [.user("1+1")], maxTokens: 50, deadline: .after(.seconds(1), on: clock), in: context)
        #expect(generation.text == "two")
        #expect(model.requests.count == 3)
        #expect(model.requests.last?.tools.isEmpty == true)
        #expect(model.requests.last?.toolChoice == GenerationRequest.ToolChoice.none)
        // The last turn asks for the answer in words.
        guard case .messages(let last)? = model.requests.last?.prompt else { return }
        #expect(last.last?.content == ToolLoop.finalAnswerInstruction)
        #expect(record.toolCalls.count == 2)
    }

    @Test("calls repeated within a turn or from an earlier turn are not run again; a turn of repeats ends the calling")
    func toolLoopRepeats() async {
        let clock = ManualClock()
        let call = ToolCall(id: "c", name: "add", arguments: ["a": 1, "b": 1])
        let model = ScriptedModel(
            name: "m", replies: [.init("", toolCalls: [call, call, call]), .init("", toolCalls: [call]), .init("two")])
        let tools = Adder()
        let context = AgentTesting.context([model], clock: clock, costs: CostBook([AgentTesting.cost("m")]))
        let (record, generation) = await ToolLoop(tools: tools, maxToolRounds: 4).run(
            [.user("1+1")], maxTokens: 50, deadline: .after(.seconds(1), on: clock), in: context)
        #expect(tools.calls.count == 1)
        #expect(record.toolCalls.count == 1)
        #expect(generation.text == "two")
        #expect(model.requests.count == 3)
        #expect(model.requests.last?.tools.isEmpty == true)
    }

    @Test("the answer is never a tool call: call syntax written after the rounds is taken out; a call alone fails")
    func toolLoopNeverAnswersWithACall() async {
        let clock = ManualClock()
        let call = ToolCall(id: "c", name: "add", arguments: ["a": 1, "b": 1])
        let costs = CostBook([AgentTesting.cost("m")])
        let written = "<tool_call>\n{\"name\": \"add\", \"arguments\": {\"a\": 1, \"b\": 1}}\n</tool_call>"
        let stripped = ScriptedModel(name: "m", replies: [.init("", toolCalls: [call]), .init("It is 2. " + written)])
        let (_, kept) = await ToolLoop(tools: Adder(), maxToolRounds: 1).run(
            [.user("1+1")], maxTokens: 50, deadline: .after(.seconds(1), on: clock),
            in: AgentTesting.context([stripped], clock: clock, costs: costs))
        #expect(kept.text == "It is 2.")
        #expect(kept.status == .completed)
        let onlyCall = ScriptedModel(name: "m", replies: [.init("", toolCalls: [call]), .init(written)])
        let (record, failed) = await ToolLoop(tools: Adder(), maxToolRounds: 1).run(
            [.user("1+1")], maxTokens: 50, deadline: .after(.seconds(1), on: clock),
            in: AgentTesting.context([onlyCall], clock: clock, costs: costs))
        #expect(failed.text.isEmpty)
        #expect(failed.status == .failed("the model answered with a tool call instead of an answer"))
        #expect(record.status == failed.status)
    }

    @Test("when the time left covers only an answer, the loop asks for it instead of another round of calls")
    func toolLoopKeepsTimeForTheAnswer() async {
        let clock = ManualClock()
        let call = ToolCall(id: "c", name: "add", arguments: ["a": 1, "b": 1])
        let model = ScriptedModel(
            name: "m", replies: [.init("", toolCalls: [call]), .init("two")], clock: clock)
        // 10 tokens a second: an answer of 25 tokens takes 2.5 s, more than half of the 4 s left.
        let slow = AgentTesting.cost("m", tokensPerSecond: 10)
        let context = AgentTesting.context([model], clock: clock, costs: CostBook([slow]))
        let (_, generation) = await ToolLoop(tools: Adder(), maxToolRounds: 4).run(
            [.user("1+1")], maxTokens: 50, deadline: .after(.seconds(4), on: clock), in: context)
        #expect(generation.text == "two")
        #expect(model.requests.count == 2)
        #expect(model.requests.last?.tools.isEmpty == true)
    }
}

/// A tool executor that adds `a` and `b`, recording its calls.
final class Adder: ToolExecutor {
    private let log = Mutex<[ToolCall]>([])
    var calls: [ToolCall] { log.withLock { $0 } }
    let definitions = [
        ToolDefinition(
            name: "add", description: "Adds two integers.",
            parameters: [
                "type": "object", "properties": ["a": ["type": "integer"], "b": ["type": "integer"]],
                "required": ["a", "b"],
            ])
    ]
    func execute(_ call: ToolCall, deadline: Deadline) async -> String {
        log.withLock { $0.append(call) }
        guard case .int(let a)? = call.arguments["a"], case .int(let b)? = call.arguments["b"] else {
            return "error: a and b must be integers"
        }
        return String(a + b)
    }
}
