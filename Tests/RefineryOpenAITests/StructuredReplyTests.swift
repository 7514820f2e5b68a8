import RefineryCore
import Foundation
import Refinery
import RefineryOpenAI
import Testing

/// Remote structured output: the schema goes out as strict `response_format`, and the reply is
/// validated on receipt.
@Suite("Remote structured output", .serialized, .timeLimit(.minutes(2)))
struct StructuredReplyTests {
    func model(_ baseURL: String, streaming: Bool) -> OpenAICompatibleModel {
        OpenAICompatibleModel(configuration: RemoteModelConfiguration(baseURL: baseURL, model: "scripted", streaming: streaming))
    }

    struct Answer: Decodable, JSONSchemaConvertible {
        var answer: String
        static var jsonSchema: JSONValue { JSONSchema.object([.required("answer", JSONSchema.string())]) }
    }

    @Test("a reply that is not JSON under the schema is a nonConforming error holding the raw text", arguments: [true, false])
    func nonConforming(streaming: Bool) async throws {
        let server = try TestServer.scripted.get()
        var request = GenerationRequest.chat([.user("Say hello.")], maxTokens: 16, deadline: .after(.seconds(10)))
        request.constraint = .jsonSchema(Answer.jsonSchema)
        let r = await collect(model(server.scenario("ok"), streaming: streaming), request)
        let error = try #require(r.error as? StructuredOutputError, "\(String(describing: r.error))")
        #expect(!error.isIncomplete && error.text == "Hello, world!")
        #expect(r.text == "Hello, world!" && r.stats == nil)
        await #expect(throws: StructuredOutputError.self) {
            _ = try await model(server.scenario("ok"), streaming: streaming).respond(to: "Say hello.", generating: Answer.self)
        }
    }

    @Test("a conforming reply passes through unchanged (the echoed request is a JSON object)")
    func conforming() async throws {
        let server = try TestServer.scripted.get()
        var request = GenerationRequest.chat([.user("Say hello.")], maxTokens: 16, deadline: .after(.seconds(10)))
        request.constraint = .anyJSON
        let r = await collect(model(server.scenario("echo"), streaming: true), request)
        #expect(r.error == nil, "\(String(describing: r.error))")
        let sent = try JSONValue(parsing: r.text)
        #expect(sent["response_format"] == ["type": "json_object"])
    }
}
