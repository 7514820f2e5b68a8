import RefineryCore
import Foundation
import Refinery
import RefineryServer
import RefineryTesting
import Testing

@Suite("Agents' hidden work and usage over HTTP")
struct AgentReasoningTests {
    @Test("a streamed agent sends each piece of its work as reasoning_content before the answer, then a usage chunk")
    func reasoningBeforeContent() async throws {
        try await ServerHarness(agents: [ReasoningAgent()]).run { http, _ in
            let reply = try await http.send("POST", "/v1/chat/completions",
                                            body: chatBody(model: "agent:thinker", #""stream": true, "stream_options": {"include_usage": true}"#))
            let data = events(reply.body)
            #expect(data.last == "[DONE]")
            let chunks = try data.dropLast().map { try JSONValue(parsing: $0) }
            let deltas = chunks.map { $0["choices"]?[0]?["delta"] }
            let reasoning = deltas.indices.filter { deltas[$0]?["reasoning_content"]?.stringValue != nil }
            let content = deltas.indices.filter { (deltas[$0]?["content"]?.stringValue ?? "").isEmpty == false }
            #expect(reasoning.count == 3)
            #expect(content.count == 1)
            #expect(reasoning.allSatisfy { $0 < content[0] })
            #expect(reasoning.compactMap { deltas[$0]?["reasoning_content"]?.stringValue }.joined()
                    == "Plan: draft, then check.\nDraft: 41\nCheck: off by one.\n")
            #expect(deltas[content[0]]?["content"] == "42")
            // The usage chunk comes last, with no choices, as OpenAI sends it.
            let usage = try #require(chunks.last)
            #expect(usage["choices"] == [])
            #expect(usage["usage"]?["prompt_tokens"]?.intValue == 30)
            #expect(usage["usage"]?["completion_tokens"]?.intValue == 12)
            #expect(usage["usage"]?["total_tokens"]?.intValue == 42)
            #expect(chunks.dropLast().last?["refinery"]?["outcome"] == "complete")
        }
    }

    @Test("reasoning reaches the client while the agent is still working; hanging up cancels the run")
    func reasoningAsItHappens() async throws {
        let agent = ReasoningAgent(steps: ["Plan: think for a long time.\n"], pause: .seconds(20))
        try await ServerHarness(agents: [agent]).run { http, _ in
            let start = ContinuousClock.now
            let read = try await http.sendAndHangUp("POST", "/v1/chat/completions",
                                                    body: chatBody(model: "agent:thinker", #""stream": true"#), after: "reasoning_content")
            #expect(start.duration(to: .now) < .seconds(10))
            #expect(read.contains("think for a long time"))
            #expect(!agent.finished)
            let deadline = ContinuousClock.now.advanced(by: .seconds(5))
            while !agent.cancelled && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(agent.cancelled)
        }
    }

    @Test("a real agent's plans and steps become reasoning; usage sums the prompt and completion tokens of every step")
    func runnerEndpoint() async throws {
        let verdict = #"{"score": 9, "issues": [], "acceptable": true}"#
        let model = ScriptedModel(name: "m", texts: ["A first draft.", verdict, "Another draft.", verdict, "More.", verdict])
        let agent = Agent(name: "critic", instructions: "Answer briefly.", model: model,
                          critique: Critique(rubric: "brief and right"), refine: Refine())
        try await ServerHarness(agents: [AgentRunnerEndpoint(agent)]).run { http, _ in
            let whole = try json(try await http.send("POST", "/v1/chat/completions", headers: [("X-Refinery-Deadline-Ms", "5000")],
                                                     body: chatBody(model: "agent:critic", user: "Why is the sky blue?")))
            let message = try #require(whole["choices"]?[0]?["message"])
            #expect(message["content"] == "A first draft.")
            let reasoning = try #require(message["reasoning_content"]?.stringValue)
            #expect(reasoning.hasPrefix("Plan (start: "))
            #expect(reasoning.contains("Draft (m, "))
            #expect(reasoning.contains("A first draft."))
            let prompt = try #require(whole["usage"]?["prompt_tokens"]?.intValue)
            let completion = try #require(whole["usage"]?["completion_tokens"]?.intValue)
            // Every generation of the run (a draft, a critique…) counted; each scripted reply is one token.
            #expect(prompt > 0)
            #expect(prompt == model.requests.reduce(0) { $0 + ScriptedModel.promptTokens($1) })
            #expect(completion == model.requests.count)

            let streamed = try await http.send("POST", "/v1/chat/completions", headers: [("X-Refinery-Deadline-Ms", "5000")],
                                               body: chatBody(model: "agent:critic", #""stream": true"#, user: "Why?"))
            let chunks = try events(streamed.body).dropLast().map { try JSONValue(parsing: $0) }
            let kinds = chunks.compactMap { chunk -> String? in
                guard let delta = chunk["choices"]?[0]?["delta"] else { return nil }
                if delta["reasoning_content"] != nil { return "reasoning" }
                return (delta["content"]?.stringValue ?? "").isEmpty ? nil : "content"
            }
            #expect(kinds.prefix { $0 == "reasoning" }.count >= 2)
            #expect(kinds.last == "content")
        }
    }
}
