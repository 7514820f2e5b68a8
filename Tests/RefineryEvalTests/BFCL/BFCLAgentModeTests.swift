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

    static func list(_ calls: [(String, Int)]) -> String {
        "[" + calls.map { #"{"name": "spotify.play", "arguments": {"artist": "\#($0.0)", "duration": \#($0.1)}}"# }
            .joined(separator: ", ") + "]"
    }

    /// A model that answers the question with `first`, the count question with `count`, and
    /// the request for the list of calls with `list`.
    static func model(
        first: @escaping @Sendable (SamplingParameters) -> String, count: @escaping @Sendable (SamplingParameters) -> String,
        list: @escaping @Sendable (SamplingParameters) -> String = { _ in "[]" }
    ) -> ScriptedModel {
        ScriptedModel(
            capabilities: ModelCapabilities(
                constrainedDecoding: true, prefixCache: false, batching: true, toolCalls: true, contextLength: 4096)
        ) { request, _ in
            guard case .messages(let messages) = request.prompt, let last = messages.last else { return .init("") }
            if last.content == BFCLCallGatherer.countPrompt { return .init(count(request.sampling)) }
            return .init(last.content.hasPrefix("Write all") ? list(request.sampling) : first(request.sampling))
        }
    }

    static func entry(_ id: String) throws -> BFCLEntry {
        try #require(try BFCLEvaluatorTests.entries().first { $0.id == id })
    }

    static func evaluator(_ model: ScriptedModel, candidates: Int) -> BFCLEvaluator {
        BFCLEvaluator(model: model, options: .init(agent: .init(candidates: candidates, timePerEntry: .seconds(30))))
    }

    @Test("asks how many calls the question needs, then for all of them as a list under the call schema")
    func severalCalls() async throws {
        let model = Self.model(
            first: { _ in Self.play("Taylor Swift", 20) }, count: { _ in "2" }, list: { _ in Self.list([("Taylor Swift", 20), ("Maroon 5", 15)]) })
        let evaluator = Self.evaluator(model, candidates: 1)
        let result = await evaluator.evaluate(try Self.entry("parallel_0"))
        #expect(result.correct)
        #expect(result.decoded.calls.map { $0.arguments["artist"] } == ["Taylor Swift", "Maroon 5"])
        let requests = model.requests
        #expect(requests.count == 3)
        #expect(requests.map(\.toolChoice) == [.auto, .none, .none])
        #expect(requests[0].constraint == nil && requests[1].constraint != nil)
        guard case .jsonSchema(let schema)? = requests[2].constraint else { Issue.record("no list schema"); return }
        #expect(schema["minItems"] == 2 && schema["maxItems"] == 2)
        guard case .messages(let last) = requests[2].prompt else { Issue.record("no messages"); return }
        #expect(last.filter { $0.role == .tool }.map(\.content) == [BFCLCallGatherer.recordedResult])
        #expect(last.filter { $0.role == .assistant }.map { $0.toolCalls.map(\.name) } == [["spotify.play"]])
        #expect(last.last?.content == BFCLCallGatherer.listPrompt(2))
        #expect(result.output.contains("[candidate 1, turn 2] 2"))
    }

    @Test("an added call must be about a new item of the question: not another function on the same values, nothing made up")
    func addedCallsAreNewItems() {
        let question = "What is the area of a triangle with sides 3, 4 and 5, and the weather in Paris and in Rome on 2024-05-01?"
        let triangle = Self.call("area.triangle", ["a": 3, "b": 4, "c": 5])
        let paris = Self.call("weather", ["city": "Paris", "date": "2024-05-01", "unit": "celsius"])
        let first = [triangle, paris]
        let listed = [
            triangle, paris,
            Self.call("area.circle", ["radius": 5]),  // another function on a value already used
            Self.call("weather", ["city": "Rome", "date": "2024-05-01", "unit": "celsius"]),  // a new item, named in the question
            Self.call("weather", ["city": "Lima", "date": "2024-05-01"]),  // a city the question never names
            Self.call("forecast", ["coordinates": [48.8566, 2.3522]]),  // made-up values
            Self.call("perimeter.triangle", ["a": 3, "b": 4, "c": 5.0]),  // 5.0 is the 5 already used
        ]
        let kept = BFCLCallGatherer.newItems(listed, first: first, question: question)
        #expect(kept.map(\.name) == ["area.triangle", "weather", "weather"])
        #expect(kept.last?.arguments["city"] == "Rome")
        #expect(BFCLCallGatherer.grounded("n:4", in: "sides 3, 4 and 5"))
        #expect(!BFCLCallGatherer.grounded("n:4", in: "sides 3, 44 and 5"))
        #expect(BFCLCallGatherer.grounded("s:rome", in: "paris and rome"))
    }

    @Test("one call when the model counts one; a list's repeats are dropped and a shorter list is not taken")
    func repeatsDropped() async throws {
        let one = Self.model(first: { _ in Self.play("Taylor Swift", 20) }, count: { _ in "1" })
        let single = await Self.evaluator(one, candidates: 1).evaluate(try Self.entry("parallel_0"))
        #expect(single.decoded.calls.count == 1 && one.requests.count == 2)
        let again = #"[{"name": "spotify.play", "arguments": {"artist": "Taylor Swift", "duration": 20}}, "#
            + #"{"name": "spotify.play", "arguments": {"artist": "Taylor Swift"}}]"#
        let model = Self.model(first: { _ in Self.play("Taylor Swift", 20) }, count: { _ in "2" }, list: { _ in again })
        let result = await Self.evaluator(model, candidates: 1).evaluate(try Self.entry("parallel_0"))
        #expect(result.decoded.calls.count == 1)
        #expect(model.requests.count == 3)
        #expect(!result.correct)
    }

    @Test("a question no function fits gets no call when the model declines")
    func declines() async throws {
        let model = Self.model(first: { _ in "The capital of France is Paris." }, count: { _ in "1" })
        let result = await Self.evaluator(model, candidates: 3).evaluate(try Self.entry("irrelevance_0"))
        #expect(result.correct && result.decoded.calls.isEmpty)
        #expect(model.requests.count == 3)
    }

    @Test("candidates vote: a call only the greedy run invents is dropped, so two calls stay")
    func agreement() async throws {
        // The greedy candidate (no seed) counts three calls and invents a third from the
        // question's own values (a made-up value would not pass the grounding); the sampled ones list two.
        let model = Self.model(
            first: { _ in Self.play("Taylor Swift", 20) }, count: { sampling in sampling.seed == nil ? "3" : "2" },
            list: { sampling in
                Self.list([("Taylor Swift", 20), ("Maroon 5", 15)] + (sampling.seed == nil ? [("Maroon 5", 20)] : []))
            })
        let greedyOnly = await Self.evaluator(model, candidates: 1).evaluate(try Self.entry("parallel_0"))
        #expect(!greedyOnly.correct && greedyOnly.decoded.calls.count == 3)
        let voted = await Self.evaluator(model, candidates: 3).evaluate(try Self.entry("parallel_0"))
        #expect(voted.correct)
        #expect(voted.decoded.calls.map { $0.arguments["artist"] } == ["Taylor Swift", "Maroon 5"])
    }

    static func candidate(_ calls: [ToolCall], first: [ToolCall]? = nil) -> BFCLCandidate {
        var candidate = BFCLCandidate()
        candidate.calls = calls
        candidate.firstTurnCalls = first ?? Array(calls.prefix(1))
        return candidate
    }

    @Test("agreement keeps the calls most callers made, else the first caller's first turn; no call when most made none")
    func agreedCalls() {
        let a = Self.call("f", ["x": 1, "y": 2])
        let aReordered = Self.call("f", ["y": 2, "x": 1])
        let b = Self.call("f", ["x": 3])
        let c = Self.call("g", [:])
        let agreed = { (lists: [[ToolCall]]) in BFCLCallGatherer.agreed(lists.map { Self.candidate($0) }) }
        #expect(agreed([[a, b], [aReordered, b], [a, b, c]]).map(\.arguments) == [a.arguments, b.arguments])
        #expect(agreed([[a, c], [aReordered], [a, b]]).map(\.arguments) == [a.arguments])
        #expect(agreed([[], [], [a]]).isEmpty)
        #expect(agreed([[a], [], [aReordered]]).map(\.name) == ["f"])
        #expect(agreed([[b, c], [c], [a]]).map(\.name) == ["g"])
        // One sampled run that stopped at one call does not take the second away.
        #expect(agreed([[a, b], [a], [aReordered, b]]).map(\.arguments) == [a.arguments, b.arguments])
        #expect(agreed([[b], [c], [a]]).map(\.arguments) == [b.arguments])
        #expect(BFCLCallGatherer.repeats(Self.call("f", ["x": 1]), a))
        #expect(!BFCLCallGatherer.repeats(b, a))
        #expect(!BFCLCallGatherer.repeats(c, a))
    }
}
