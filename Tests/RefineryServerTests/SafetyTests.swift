import RefineryCore
import Foundation
import Refinery
import RefineryServer
import RefineryTesting
import Testing

@Suite("Errors and safety")
struct SafetyTests {
    static func harness(apiKey: String? = nil, maxBody: Int = 4 << 20) -> ServerHarness {
        var h = ServerHarness(models: [ServedModel(ScriptedModel(texts: ["ok"]))], agents: [FakeAgent()])
        h.configuration.apiKey = apiKey
        h.configuration.maxBodyBytes = maxBody
        return h
    }

    @Test("with an API key every route but /health needs the bearer token; failures are 401 in OpenAI's format")
    func apiKey() async throws {
        try await Self.harness(apiKey: "s3cret-key").run { http, _ in
            #expect(try await http.send("GET", "/health").status == 200)
            for (path, method, body) in [("/v1/models", "GET", nil), ("/metrics", "GET", nil), ("/v1/chat/completions", "POST", chatBody())] {
                let missing = try await http.send(method, path, body: body)
                #expect(missing.status == 401, "\(path)")
                #expect(missing.header("www-authenticate") == "Bearer")
                let error = try #require(try json(missing)["error"])
                #expect(error["type"] == "authentication_error")
                #expect(error["code"] == "invalid_api_key")
                for wrong in ["Bearer s3cret-kez", "Bearer s3cret-key2", "Bearer s3cret", "Basic s3cret-key", "s3cret-key"] {
                    #expect(try await http.send(method, path, headers: [("Authorization", wrong)], body: body).status == 401, "\(wrong)")
                }
                #expect(try await http.send(method, path, headers: [("Authorization", "Bearer s3cret-key")], body: body).status == 200)
            }
        }
    }

    @Test("a body over the cap is refused with 413, by Content-Length or by its streamed size")
    func bodyCap() async throws {
        try await Self.harness(maxBody: 1000).run { http, _ in
            let big = chatBody(user: String(repeating: "x", count: 2000))
            let reply = try await http.send("POST", "/v1/chat/completions", body: big)
            #expect(reply.status == 413)
            #expect(try json(reply)["error"]?["code"] == "request_too_large")
            // Chunked upload: no Content-Length, so the cap is enforced while reading.
            let bytes = Array(big.utf8)
            var raw = Array("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
            raw += Array(String(bytes.count, radix: 16).utf8) + [13, 10] + bytes + [13, 10] + Array("0\r\n\r\n".utf8)
            let chunked = try await http.sendRaw(raw)
            #expect(chunked.status == 413)
            #expect(try json(chunked)["error"]?["code"] == "request_too_large")
        }
    }

    @Test("malformed JSON is a 400 invalid_json")
    func malformedJSON() async throws {
        try await Self.harness().run { http, _ in
            let reply = try await http.send("POST", "/v1/chat/completions", body: #"{"model": "scripted", "messages": [}"#)
            #expect(reply.status == 400)
            let error = try #require(try json(reply)["error"])
            #expect(error["code"] == "invalid_json")
            #expect(error["type"] == "invalid_request_error")
        }
    }

    @Test("bad fields are a 400 naming the field")
    func badFields() async throws {
        let cases: [(String, String)] = [
            (#"{"messages": []}"#, "model"),
            (#"{"model": "scripted"}"#, "messages"),
            (#"{"model": "scripted", "messages": []}"#, "messages"),
            (#"{"model": "scripted", "messages": [{"content": "hi"}]}"#, "messages[0].role"),
            (#"{"model": "scripted", "messages": [{"role": "wizard", "content": "hi"}]}"#, "messages[0].role"),
            (chatBody(#""temperature": "hot""#), "temperature"),
            (chatBody(#""temperature": 3"#), "temperature"),
            (chatBody(#""max_tokens": 0"#), "max_tokens"),
            (chatBody(#""n": 0"#), "n"),
            (chatBody(#""n": 99"#), "n"),
            (chatBody(#""top_p": 0"#), "top_p"),
            (chatBody(#""stop": [""]"#), "stop[0]"),
            (chatBody(#""tool_choice": "required""#), "tool_choice"),
            (chatBody(#""response_format": {"type": "yaml"}"#), "response_format.type"),
            (chatBody(#""refinery": {"deadline_ms": -5}"#), "refinery.deadline_ms"),
            (#"{"model": "scripted", "messages": [{"role": "assistant", "content": null, "tool_calls": [{"id": "1", "type": "function", "function": {"name": "f", "arguments": "{oops"}}]}]}"#,
             "messages[0].tool_calls[0].function.arguments"),
        ]
        try await Self.harness().run { http, _ in
            for (body, field) in cases {
                let reply = try await http.send("POST", "/v1/chat/completions", body: body)
                #expect(reply.status == 400, "\(body)")
                #expect(try json(reply)["error"]?["param"]?.stringValue == field, "\(body)")
            }
            let badHeader = try await http.send("POST", "/v1/chat/completions", headers: [("X-Refinery-Deadline-Ms", "soon")], body: chatBody())
            #expect(badHeader.status == 400)
            #expect(try json(badHeader)["error"]?["param"] == "X-Refinery-Deadline-Ms")
        }
    }

    @Test("an unknown model or agent is a 404 naming the model field")
    func unknownModel() async throws {
        try await Self.harness().run { http, _ in
            for name in ["gpt-9", "agent:nobody"] {
                let reply = try await http.send("POST", "/v1/chat/completions", body: chatBody(model: name))
                #expect(reply.status == 404)
                let error = try #require(try json(reply)["error"])
                #expect(error["param"] == "model")
                #expect(error["code"] == "model_not_found")
            }
            let route = try await http.send("GET", "/v2/nothing")
            #expect(route.status == 404)
            #expect(try json(route)["error"]?["code"] == "not_found")
        }
    }

    @Test("the server binds loopback unless told otherwise")
    func loopbackDefault() {
        #expect(ServerConfiguration().host == "127.0.0.1")
    }
}
