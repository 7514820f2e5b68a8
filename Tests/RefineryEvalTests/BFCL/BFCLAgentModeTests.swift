import RefineryCore
import Foundation
import RefineryInference
import RefineryTesting
import Testing

@testable import RefineryEval

@Suite("BFCL agent mode")
struct BFCLAgentModeTests {
    static func play(_ artist: String, _ minutes: Int) -> String {
        "<tool_call>\n{\"name\": \"spotify.play\", \"arguments\": {\"artist\": \"\(artist)\", \"duration\": \(minutes)}}\n</tool_call>"
    }

    static func call(_ name: String, _ arguments: JSONValue) -> ToolCall { ToolCall(id: "c", name: name, arguments: arguments) }

    /// A model that answers the question with `first`, then each "more calls?" turn with the
    /// next of `more` (by the number of calls made so far), then "done".
    static func model(first: @escaping @Sendable (SamplingParameters) -> String, more: [String]) -> ScriptedModel {
        ScriptedModel(
            capabilities: ModelCapabilities(
                constrainedDecoding: true, prefixCache: false, batching: true, toolCalls: true, contextLength: 4096)
        ) { request, _ in
            guard case .messages(let messages) = request.prompt, let last = messages.last else { return .init("") }
            guard last.content == BFCLCallGatherer.moreCallsPrompt else { return .init(first(request.sampling)) }
            let made = messages.filter { $0.role == .tool }.count
            return .init(made - 1 < more.count ? more[made - 1] : "done")
        }
    }

    static func entry(_ id: String) throws -> BFCLEntry {
        try #require(try BFCLEvaluatorTests.entries().first { $0.id == id })
    }

    static func evaluator(_ model: ScriptedModel, candidates: Int) -> BFCLEvaluator {
        BFCLEvaluator(model: model, options: .init(agent: .init(candidates: candidates, timePerEntry: .seconds(30))))
    }

    @Test("asks for the next call after each call, until the model says done")
    func severalCalls() async throws {
        let model = Self.model(first: { _ in Self.play("Taylor Swift", 20) }, more: [Self.play("Maroon 5", 15)])
        let evaluator = Self.evaluator(model, candidates: 1)
        let result = await evaluator.evaluate(try Self.entry("parallel_0"))
        #expect(result.correct)
        #expect(result.decoded.calls.map { $0.arguments["artist"] } == ["Taylor Swift", "Maroon 5"])
        #expect(model.requests.count == 3)
        guard case .messages(let last) = model.requests.last?.prompt else { Issue.record("no messages"); return }
        #expect(last.filter { $0.role == .tool }.map(\.content) == [BFCLCallGatherer.recordedResult, BFCLCallGatherer.recordedResult])
        #expect(last.filter { $0.role == .assistant }.map { $0.toolCalls.map(\.name) } == [["spotify.play"], ["spotify.play"]])
        #expect(result.output.contains("[candidate 1, turn 3] done"))
    }

    @Test("a repeated call (same function, no argument changed) ends a candidate and is not counted twice")
    func repeatEnds() async throws {
        let again = "<tool_call>\n{\"name\": \"spotify.play\", \"arguments\": {\"artist\": \"Taylor Swift\"}}\n</tool_call>"
        let model = Self.model(first: { _ in Self.play("Taylor Swift", 20) }, more: [again, Self.play("Maroon 5", 15)])
        let result = await Self.evaluator(model, candidates: 1).evaluate(try Self.entry("parallel_0"))
        #expect(result.decoded.calls.count == 1)
        #expect(model.requests.count == 2)
        #expect(!result.correct)
    }

    @Test("a question no function fits gets no call when the model declines")
    func declines() async throws {
        let model = Self.model(first: { _ in "The capital of France is Paris." }, more: [])
        let result = await Self.evaluator(model, candidates: 3).evaluate(try Self.entry("irrelevance_0"))
        #expect(result.correct && result.decoded.calls.isEmpty)
        #expect(model.requests.count == 3)
    }

    @Test("candidates vote: the sampled ones outvote a greedy run that stopped early")
    func agreement() async throws {
        // The greedy candidate (no seed) stops after one call; the sampled ones make both.
        let model = Self.model(
            first: { sampling in sampling.seed == nil ? Self.play("Taylor Swift", 20) : Self.play("Maroon 5", 15) },
            more: [Self.play("Taylor Swift", 20)])
        let greedyOnly = Self.model(first: { _ in Self.play("Taylor Swift", 20) }, more: [])
        let single = await Self.evaluator(greedyOnly, candidates: 1).evaluate(try Self.entry("parallel_0"))
        #expect(!single.correct)
        let voted = await Self.evaluator(model, candidates: 3).evaluate(try Self.entry("parallel_0"))
        #expect(voted.correct)
        #expect(voted.decoded.calls.count == 2)
    }

    @Test("agreement keeps the calls most callers made; no call when most made none")
    func agreedCalls() {
        let a = Self.call("f", ["x": 1, "y": 2])
        let aReordered = Self.call("f", ["y": 2, "x": 1])
        let b = Self.call("f", ["x": 3])
        let c = Self.call("g", [:])
        #expect(BFCLCallGatherer.agreed([[a, b], [aReordered], [a, b, c]]).map(\.arguments) == [a.arguments, b.arguments])
        #expect(BFCLCallGatherer.agreed([[], [], [a]]).isEmpty)
        #expect(BFCLCallGatherer.agreed([[a], [], [aReordered]]).map(\.name) == ["f"])
        #expect(BFCLCallGatherer.agreed([[b], [c], [a]]).map(\.name) == ["f"])
        #expect(BFCLCallGatherer.agreed([[b], [c], [a]])[0].arguments == b.arguments)
        #expect(BFCLCallGatherer.repeats(Self.call("f", ["x": 1]), a))
        #expect(!BFCLCallGatherer.repeats(b, a))
        #expect(!BFCLCallGatherer.repeats(c, a))
    }
}
