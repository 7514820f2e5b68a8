import RefineryCore
import Foundation
import Refinery
import RefineryServer
import RefineryTesting
import Testing

@Suite("Agents over HTTP")
struct AgentRouteTests {
    @Test("agent:<name> runs the agent with the header's deadline; the reply carries the outcome and, on request, the trace")
    func deadlineHeader() async throws {
        let agent = FakeAgent(work: .milliseconds(50))
        try await ServerHarness(agents: [agent]).run { http, _ in
            let before = ContinuousClock.now
            let reply = try await http.send("POST", "/v1/chat/completions", headers: [("X-Refinery-Deadline-Ms", "800")],
                                            body: chatBody(model: "agent:fake", #""refinery": {"trace": true}"#, user: "Why?"))
            #expect(reply.status == 200)
            #expect(reply.header("x-refinery-outcome") == "complete")
            #expect(reply.header("x-refinery-agent") == "fake")
            let j = try json(reply)
            #expect(j["model"] == "agent:fake")
            #expect(j["choices"]?[0]?["message"]?["content"] == "answer to: Why?")
            #expect(j["choices"]?[0]?["finish_reason"] == "stop")
            #expect(j["usage"]?["completion_tokens"]?.intValue == 5)
            let ext = try #require(j["refinery"])
            #expect(ext["outcome"] == "complete")
            #expect(ext["stop_reason"] == "no_refinement")
            #expect(ext["partial"]?.boolValue == false)
            #expect(ext["deadline_ms"]?.intValue == 800)
            #expect(ext["trace"]?["steps"]?[0]?["kind"] == "draft")
            let invocation = try #require(agent.invocations.first)
            #expect(invocation.input == "Why?")
            #expect(invocation.includeTrace)
            // The agent is asked to answer the delivery reserve (30 ms by default) before the client's deadline.
            #expect(invocation.deadline.instant >= before.advanced(by: .milliseconds(770)))
            #expect(invocation.startedAt.duration(to: invocation.deadline.instant) == .milliseconds(770))
        }
    }

    @Test("an agent cut by its deadline answers on time with outcome truncated; no trace unless asked")
    func deadlineCut() async throws {
        let agent = FakeAgent(work: .seconds(5))
        try await ServerHarness(agents: [agent]).run { http, _ in
            let start = ContinuousClock.now
            let reply = try await http.send("POST", "/v1/chat/completions", body: chatBody(model: "agent:fake", #""refinery": {"deadline_ms": 300}"#))
            let elapsed = start.duration(to: .now)
            let j = try json(reply)
            #expect(j["refinery"]?["outcome"] == "truncated")
            #expect(j["refinery"]?["partial"]?.boolValue == true)
            #expect(j["refinery"]?["trace"] == nil)
            #expect(j["choices"]?[0]?["finish_reason"] == "length")
            // Cut at the deadline less the delivery reserve (30 ms), so the answer is out before 300 ms.
            #expect(elapsed >= .milliseconds(270) && elapsed < .milliseconds(1000))
            #expect(j["refinery"]?["deadline_ms"]?.intValue == 300)
            let text = try await http.send("GET", "/metrics").body
            #expect(metric(text, "refinery_agent_deadline_overshoot_seconds_count") == 1)
            #expect(metric(text, "refinery_request_duration_seconds_count", labels: #"kind="agent""#) == 1)
        }
    }

    @Test("without a deadline an agent gets the server's default, less the delivery reserve")
    func defaultDeadline() async throws {
        let agent = FakeAgent()
        var harness = ServerHarness(agents: [agent])
        harness.configuration.defaultAgentDeadline = .milliseconds(1234)
        harness.configuration.agentDeliveryReserve = .milliseconds(34)
        try await harness.run { http, _ in
            let before = ContinuousClock.now
            let reply = try await http.send("POST", "/v1/chat/completions", body: chatBody(model: "agent:fake"))
            #expect(reply.status == 200)
            let after = ContinuousClock.now
            let deadline = try #require(agent.invocations.first).deadline.instant
            #expect(deadline >= before.advanced(by: .milliseconds(1200)) && deadline <= after.advanced(by: .milliseconds(1200)))
            // The reply reports the client's deadline, not the agent's earlier one.
            #expect(try json(reply)["refinery"]?["deadline_ms"]?.intValue == 1234)
        }
    }

    @Test("a streaming agent request sends the answer, then a last chunk with the outcome, then [DONE]")
    func streaming() async throws {
        try await ServerHarness(agents: [FakeAgent()]).run { http, _ in
            let reply = try await http.send("POST", "/v1/chat/completions", headers: [("X-Refinery-Deadline-Ms", "500")],
                                            body: chatBody(model: "agent:fake", #""stream": true"#, user: "Go"))
            let data = events(reply.body)
            #expect(data.last == "[DONE]")
            let chunks = try data.dropLast().map { try JSONValue(parsing: $0) }
            #expect(chunks.compactMap { $0["choices"]?[0]?["delta"]?["content"]?.stringValue }.joined() == "answer to: Go")
            #expect(chunks.last?["refinery"]?["outcome"] == "complete")
            #expect(chunks.last?["choices"]?[0]?["finish_reason"] == "stop")
        }
    }

    @Test("agent requests refuse n > 1 and tools, naming the field")
    func agentRefusals() async throws {
        try await ServerHarness(agents: [FakeAgent()]).run { http, _ in
            let n = try await http.send("POST", "/v1/chat/completions", body: chatBody(model: "agent:fake", #""n": 2"#))
            #expect(n.status == 400)
            #expect(try json(n)["error"]?["param"] == "n")
            let tools = try await http.send("POST", "/v1/chat/completions",
                                            body: chatBody(model: "agent:fake", #""tools": [{"type": "function", "function": {"name": "f"}}]"#))
            #expect(tools.status == 400)
            #expect(try json(tools)["error"]?["param"] == "tools")
        }
    }
}
