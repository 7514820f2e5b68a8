import RefineryCore
import InMemoryTracing
import Refinery
import RefineryTesting
import Synchronization
import Testing
import Tracing

/// What a run shows behind its answer: the timeline, the JSON, the stream and the spans.
@Suite("Agent traces", .timeLimit(.minutes(1)))
struct AgentTraceTests {
    func agent(_ model: ScriptedModel, clock: ManualClock, tracer: (any Tracer)? = nil) -> Agent {
        Agent(
            name: "writer", model: model, draft: Draft(maxTokens: 20), critique: Critique(maxTokens: 20),
            refine: Refine(maxTokens: 20),
            reserve: .zero, costs: CostBook([AgentTesting.cost(model.name)]), clock: clock, tracer: tracer)
    }

    func scripted(_ clock: ManualClock) -> ScriptedModel {
        ScriptedModel(
            name: "m",
            replies: [
                AgentTesting.slow("d", chunks: 2, delay: .milliseconds(10)),
                .init(AgentTesting.verdict(5, acceptable: false, issues: ["too short"])),
                .init("the refined answer"),
                .init(AgentTesting.verdict(9, acceptable: true)),
            ], clock: clock)
    }

    func runScripted(_ agent: Agent, clock: ManualClock) async -> AgentResult {
        let run = Task { await agent.run("Write.", deadline: .after(.seconds(2), on: clock)) }
        for _ in 0..<2 { await clock.advance(by: .milliseconds(10), afterSleepers: 2) }
        return await run.value
    }

    @Test("the JSON has the answer, the outcome, elapsed_ms and every step's kind, elapsed_ms and tokens")
    func json() async throws {
        let clock = ManualClock()
        let result = await runScripted(agent(scripted(clock), clock: clock), clock: clock)
        let json = result.json()
        #expect(json["answer"] == "the refined answer")
        #expect(json["outcome"] == "unverified")
        #expect(json["stop_reason"] == "acceptable")
        #expect(json["elapsed_ms"] == 20)
        #expect(json["deadline_ms"] == 2000)
        let steps = try #require(json["steps"]?.arrayValue)
        #expect(steps.map { $0["kind"] } == ["draft", "critique", "refine", "critique"])
        #expect(steps.map { $0["elapsed_ms"] } == [20, 0, 0, 0])
        #expect(steps.map { $0["generated_tokens"] } == [2, 1, 1, 1])
        #expect(steps[1]["verdict"]?["issues"] == ["too short"])
        #expect(steps[0]["prompt"] == nil)
        #expect(result.json(includeText: true)["steps"]?.arrayValue?[2]["output"] == "the refined answer")
        #expect(json["plans"]?.arrayValue?.count == 4)
        // It is valid JSON text that parses back to the same value.
        #expect(try JSONValue(parsing: json.serialized()) == json)
    }

    @Test("the timeline shows every plan and step in order, then the answer")
    func timeline() async {
        let clock = ManualClock()
        let result = await runScripted(agent(scripted(clock), clock: clock), clock: clock)
        let lines = result.timeline.split(separator: "\n").map(String.init)
        #expect(lines[0] == "unverified (acceptable) in 20 ms of 2000 ms, 4 steps, 5 tokens generated")
        #expect(lines[1].hasPrefix("  plan  start: 2000ms left → draft(m,20,~200ms)"))
        #expect(lines[2].hasPrefix("  +0ms     draft        20/2000ms      m              2 tok  completed"))
        #expect(lines[3].hasPrefix("  plan  after draft: 1980ms left"))
        #expect(lines[4].contains("critique") && lines[4].contains("score 5 not acceptable: too short"))
        #expect(lines.contains { $0.contains("refine 1") })
        #expect(lines[lines.count - 2] == "answer from step 3:")
        #expect(lines.last == "the refined answer")
    }

    @Test("streaming yields progress, then only the final answer, once chosen")
    func streaming() async throws {
        let clock = ManualClock()
        let agent = agent(scripted(clock), clock: clock)
        let events = Task { () -> [AgentEvent] in
            var all: [AgentEvent] = []
            for try await event in agent.stream("Write.", deadline: .after(.seconds(2), on: clock)) {
                all.append(event)
            }
            return all
        }
        for _ in 0..<2 { await clock.advance(by: .milliseconds(10), afterSleepers: 2) }
        let all = try await events.value
        let answers = all.compactMap { if case .answer(let text) = $0 { text } else { nil } }
        #expect(answers == ["the refined answer"])
        let stepCount = all.filter { if case .step = $0 { true } else { false } }.count
        #expect(stepCount == 4)
        guard case .finished(let result)? = all.last else {
            Issue.record("no result last")
            return
        }
        #expect(result.outcome == .unverified)
        // The answer comes after every step.
        let answerIndex = all.firstIndex { if case .answer = $0 { true } else { false } }!
        let lastStep = all.lastIndex { if case .step = $0 { true } else { false } }!
        #expect(answerIndex > lastStep)
    }

    @Test("each step is a span under the run's span, with model, tokens, timings and outcome")
    func spans() async throws {
        let clock = ManualClock()
        let tracer = InMemoryTracer()
        _ = await runScripted(agent(scripted(clock), clock: clock, tracer: tracer), clock: clock)
        let spans = tracer.finishedSpans
        #expect(
            spans.map(\.operationName) == [
                "refinery.step.draft", "refinery.step.critique", "refinery.step.refine", "refinery.step.critique",
                "refinery.agent.run",
            ])
        let run = try #require(spans.last)
        #expect(run.attributes["refinery.outcome"]?.toSpanAttribute() == .string("unverified"))
        #expect(run.attributes["refinery.elapsed_ms"]?.toSpanAttribute() == .int64(20))
        for step in spans.dropLast() {
            #expect(step.parentSpanID == run.spanID)
            #expect(step.traceID == run.traceID)
            #expect(step.attributes["refinery.model"]?.toSpanAttribute() == .string("m"))
            #expect(step.attributes["refinery.status"]?.toSpanAttribute() == .string("completed"))
        }
        #expect(spans[0].attributes["refinery.tokens.generated"]?.toSpanAttribute() == .int64(2))
        #expect(spans[0].attributes["refinery.elapsed_ms"]?.toSpanAttribute() == .int64(20))
        #expect(spans[1].attributes["refinery.verdict.score"]?.toSpanAttribute() == .double(5))
    }
}
