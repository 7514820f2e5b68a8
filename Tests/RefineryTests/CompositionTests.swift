import InMemoryTracing
import Refinery
import RefineryCore
import RefineryTesting
import Synchronization
import Testing
import Tracing

/// Compositions on the manual clock: how they plan, stop, fall back and nest.
@Suite("Compositions", .timeLimit(.minutes(1)))
struct CompositionTests {
    /// A context with a plan log, `deadline` from now on `clock`.
    func context(_ clock: ManualClock, deadline: Duration, models: [any LanguageModel] = []) -> StepContext {
        let budget = LatencyBudget(timeout: deadline, clock: clock)
        return StepContext(
            models: models, costs: CostBook(), clock: clock, budget: budget, runStart: clock.now, sessionKey: "test",
            tracer: NoOpTracerBox.tracer, traceContext: .topLevel, plans: PlanLog())
    }

    /// A step that estimates `estimate`, notes the time it was given, and takes `takes`.
    func timed(
        _ name: String, estimate: Duration, takes: Duration, clock: ManualClock, given: Recorded<Duration>
    ) -> StepFunction<Int, Int> {
        StepFunction(name, estimate: estimate) { value, context in
            given.append(context.remaining)
            clock.advance(by: takes)
            return .completed(value + 1)
        }
    }

    @Test("a five-step pipeline gives each step time in proportion to its estimate, re-planned after every step")
    func proportionalPlan() async throws {
        let clock = ManualClock()
        let given = Recorded<Duration>()
        let estimates: [Duration] = [100, 200, 300, 400, 500].map { .milliseconds($0) }
        let steps = estimates.enumerated().map { index, estimate in
            timed("s\(index)", estimate: estimate, takes: estimate / 2, clock: clock, given: given)
        }
        let pipeline = Pipeline<Int, Int>("five") { steps[0]; steps[1]; steps[2]; steps[3]; steps[4] }
        let ctx = context(clock, deadline: .milliseconds(1500))
        let result = await pipeline.run(0, in: ctx)
        #expect(result.output == 5 && result.status == .completed)
        let plans = try #require(ctx.plans?.all)
        #expect(plans.count == 5)
        var remaining = 1500.0
        for index in 0..<5 {
            let left = estimates[index...].map { $0.milliseconds }
            let expected = remaining * estimates[index].milliseconds / left.reduce(0, +)
            #expect(plans[index].steps.count == 5 - index)
            #expect(abs(plans[index].steps[0].allotted.milliseconds - expected) < 0.001)
            #expect(abs(given.all[index].milliseconds - expected) < 0.001)
            #expect(plans[index].reason == (index == 0 ? "five start" : "five after s\(index - 1)"))
            remaining -= estimates[index].milliseconds / 2
        }
        #expect(result.records.first?.steps.map(\.kind.rawValue) == ["s0", "s1", "s2", "s3", "s4"])
    }

    @Test("a custom step's estimate changes the plan")
    func customEstimate() async {
        func firstAllotment(_ estimate: Duration) async -> Duration {
            let clock = ManualClock()
            let given = Recorded<Duration>()
            let mine = StepFunction<Int, Int>("mine", estimate: estimate) { value, context in
                given.append(context.remaining)
                return .completed(value)
            }
            let other = timed("other", estimate: .milliseconds(100), takes: .zero, clock: clock, given: given)
            _ = await Pipeline<Int, Int> { mine; other }.run(0, in: context(clock, deadline: .seconds(1)))
            return given.all[0]
        }
        #expect(await firstAllotment(.milliseconds(100)) == .milliseconds(500))
        #expect(await firstAllotment(.milliseconds(300)) == .milliseconds(750))
    }

    @Test("a loop stops by its rule and keeps the best value")
    func loopRule() async {
        let clock = ManualClock()
        let given = Recorded<Duration>()
        let body = timed("inc", estimate: .milliseconds(10), takes: .milliseconds(10), clock: clock, given: given)
        let loop = Loop(maxIterations: 10, until: { value, _ in value >= 3 }, body: body)
        let result = await loop.run(0, in: context(clock, deadline: .seconds(1)))
        #expect(result.output == 3 && result.status == .completed)
        #expect(result.records.first?.note == "stopped: rule")
        #expect(result.records.first?.steps.count == 3)
    }

    @Test("a loop stops at the deadline with the best value so far, marked cut off")
    func loopDeadline() async {
        let clock = ManualClock()
        let given = Recorded<Duration>()
        let body = timed("inc", estimate: .milliseconds(100), takes: .milliseconds(100), clock: clock, given: given)
        // A score that prefers the first iteration's value: the best, not the latest, comes back.
        let loop = Loop(maxIterations: 10, score: { value in value == 1 ? 10 : 0 }, body: body)
        let result = await loop.run(0, in: context(clock, deadline: .milliseconds(250)))
        #expect(result.status == .cutOff)
        #expect(result.output == 1)
        #expect(result.records.first?.note == "stopped: deadline")
        #expect(given.all.count == 2)
    }

    @Test("cancelling a loop stops the iteration in flight and returns what it had")
    func loopCancelled() async {
        let clock = ManualClock()
        let body = StepFunction<Int, Int>("wait", estimate: .milliseconds(10)) { value, context in
            do {
                try await context.clock.sleep(until: context.deadline.instant, tolerance: nil)
                return .completed(value + 1)
            } catch {
                return .cutOff(value)
            }
        }
        let loop = Loop(maxIterations: 5, body: body)
        let ctx = context(clock, deadline: .seconds(10))
        let task = Task { await loop.run(7, in: ctx) }
        await clock.waitForSleepers(1)
        task.cancel()
        let result = await task.value
        #expect(result.output == 7 && result.status == .cutOff)
        #expect(result.records.first?.note == "stopped: cancelled")
    }

    @Test("a fallback skips the primary when the time left is below its estimate, and passes over failures")
    func fallback() async {
        let clock = ManualClock()
        let ran = Recorded<String>()
        func step(_ name: String, estimate: Duration, fails: Bool = false) -> StepFunction<Int, String> {
            StepFunction(name, estimate: estimate) { _, _ in
                ran.append(name)
                if fails { return StepResult<String>.failed("broken") }
                return StepResult<String>.completed(name)
            }
        }
        let chain = Fallback<Int, String>([
            step("careful", estimate: .milliseconds(500)), step("broken", estimate: .milliseconds(10), fails: true),
            step("quick", estimate: .milliseconds(50)),
        ])
        let result = await chain.run(0, in: context(clock, deadline: .milliseconds(200)))
        #expect(result.output == "quick" && result.status == .completed)
        #expect(ran.all == ["broken", "quick"])
        #expect(result.records.first?.note?.contains("careful: skipped") == true)
        let roomy = await chain.run(0, in: context(clock, deadline: .seconds(1)))
        #expect(roomy.output == "careful")
    }

    @Test("map runs every item, reduce combines them; route picks a branch by the time left")
    func mapAndRoute() async {
        let clock = ManualClock()
        let double = StepFunction<Int, Int>("double", estimate: .milliseconds(10)) { value, _ in .completed(value * 2) }
        let sum = StepFunction<[Int], Int>("sum", estimate: .milliseconds(5)) { values, _ in .completed(values.reduce(0, +)) }
        let mapped = await MapReduce(map: double, reduce: sum).run([1, 2, 3], in: context(clock, deadline: .seconds(1)))
        #expect(mapped.output == 12 && mapped.status == .completed)
        let careful = StepFunction<Int, String>("careful", estimate: .milliseconds(800)) { _, _ in .completed("careful") }
        let quick = StepFunction<Int, String>("quick", estimate: .milliseconds(50)) { _, _ in .completed("quick") }
        let route = Route<Int, String>(branches: ["careful": careful, "quick": quick], default: "quick") { _, context in
            context.remaining >= .seconds(1) ? "careful" : "quick"
        }
        #expect(await route.run(0, in: context(clock, deadline: .seconds(2))).output == "careful")
        #expect(await route.run(0, in: context(clock, deadline: .milliseconds(300))).output == "quick")
    }

    @Test("a sub-agent used as a tool runs within the loop's deadline, and its steps and spans nest under the loop")
    func subAgent() async throws {
        let clock = ManualClock()
        let tracer = InMemoryTracer()
        let childModel = ScriptedModel(name: "child", texts: ["Paris is the capital of France."])
        let child = Agent(
            name: "researcher", model: childModel, reserve: .zero, costs: CostBook([AgentTesting.cost("child")]),
            clock: clock, tracer: tracer)
        let call = ToolCall(id: "c1", name: "researcher", arguments: ["task": "Find the capital of France."])
        let parentModel = ScriptedModel(
            name: "parent", replies: [.init("", toolCalls: [call]), .init("The capital is Paris.")])
        let tools = try ToolSet([child.asTool(description: "Researches a question.", maxTime: .milliseconds(800))])
        let parent = Agent(
            name: "lead", model: parentModel, toolLoop: ToolLoop(tools: tools), reserve: .zero,
            costs: CostBook([AgentTesting.cost("parent")]), clock: clock, tracer: tracer)
        let result = await parent.run("What is the capital of France?", deadline: .after(.seconds(2), on: clock))
        #expect(result.answer == "The capital is Paris.")
        let loop = try #require(result.steps.first)
        #expect(loop.kind == .toolLoop)
        let sub = try #require(loop.steps.first)
        #expect(sub.kind == .agent && sub.output == "Paris is the capital of France.")
        #expect(sub.steps.map(\.kind) == [.draft])
        #expect(sub.allotted <= .milliseconds(800))
        let json = result.json()
        let nested = json["steps"]?.arrayValue?.first?["steps"]?.arrayValue?.first?["steps"]?.arrayValue?.first
        #expect(nested?["kind"] == "draft")
        let spans = tracer.finishedSpans
        let loopSpan = try #require(spans.first { $0.operationName == "refinery.step.tool_loop" })
        let childRun = try #require(spans.first { $0.operationName == "refinery.agent.run" && $0.attributes["refinery.agent"]?.toSpanAttribute() == .string("researcher") })
        #expect(childRun.parentSpanID == loopSpan.spanID && childRun.traceID == loopSpan.traceID)
    }

    @Test("a handoff ends the tool loop: the other agent answers the conversation, its steps nested")
    func handoff() async throws {
        let clock = ManualClock()
        let billingModel = ScriptedModel(name: "billing", texts: ["Your invoice was sent on Monday."])
        let billing = Agent(
            name: "billing", model: billingModel, reserve: .zero, costs: CostBook([AgentTesting.cost("billing")]),
            clock: clock)
        let handoff = Handoff(to: billing, description: "Invoices and payments.")
        let call = ToolCall(id: "h", name: handoff.toolName, arguments: ["note": "asks about an invoice"])
        let triageModel = ScriptedModel(name: "triage", replies: [.init("", toolCalls: [call]), .init("unused")])
        let triage = Agent(
            name: "triage", model: triageModel,
            toolLoop: ToolLoop(tools: try ToolSet([CalculatorTool()]), handoffs: [handoff]), reserve: .zero,
            costs: CostBook([AgentTesting.cost("triage")]), clock: clock)
        let result = await triage.run("Where is my invoice?", deadline: .after(.seconds(2), on: clock))
        #expect(result.answer == "Your invoice was sent on Monday.")
        #expect(triageModel.requests.first?.tools.map(\.name).contains("transfer_to_billing") == true)
        let handedOver = try #require(result.steps.first?.steps.first)
        #expect(handedOver.kind == .agent && handedOver.steps.map(\.kind) == [.draft])
        let asked = try #require(billingModel.requests.first)
        guard case .messages(let messages) = asked.prompt else { Issue.record("not a chat"); return }
        #expect(messages.last?.content.contains("Where is my invoice?") == true)
        #expect(messages.last?.content.contains("asks about an invoice") == true)
    }
}

/// Values appended from steps running on any task.
final class Recorded<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])
    func append(_ value: Value) { values.withLock { $0.append(value) } }
    var all: [Value] { values.withLock { $0 } }
}

extension Duration {
    /// The duration in milliseconds, as a Double.
    fileprivate var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
