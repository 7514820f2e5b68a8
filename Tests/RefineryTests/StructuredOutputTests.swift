import RefineryCore
import Foundation
import Testing
import Refinery
import RefineryInference
import RefineryTesting

enum Weekday: String, CaseIterable, Codable, Sendable, JSONSchemaConvertible {
    case monday, tuesday, wednesday, thursday, friday
}

struct Meeting: Codable, Sendable, Hashable, JSONSchemaConvertible {
    var title: String
    var day: Weekday
    var attendees: [String]
    var priority: Int

    static var jsonSchema: JSONValue {
        JSONSchema.object([
            .required("title", JSONSchema.string(description: "What the meeting is about", maxLength: 40)),
            .required("day", Weekday.jsonSchema),
            .required("attendees", JSONSchema.array(of: JSONSchema.string(maxLength: 20), description: "First names", maxItems: 5)),
            .required("priority", JSONSchema.integer(description: "1 (low) to 3 (high)", minimum: 1, maximum: 3)),
        ])
    }
}


@Suite("Structured output: typed results, incomplete and non-conforming output")
struct StructuredOutputTests {
    @Test("guides flow into the schema: descriptions, enumerations of CaseIterable enums, ranges, optionals")
    func schemaGuides() throws {
        let schema = Meeting.jsonSchema
        #expect(schema["properties"]?["day"] == JSONSchema.string(oneOf: Weekday.allCases.map(\.rawValue)))
        #expect(schema["properties"]?["priority"]?["maximum"] == .int(3))
        #expect(schema["properties"]?["title"]?["description"] == .string("What the meeting is about"))
        #expect(Int?.jsonSchema == JSONSchema.anyOf([Int.jsonSchema, .object([("type", "null")])]))
        _ = try JSONSchemaGrammar(schema: schema)
    }

    @Test("respond decodes a conforming reply and puts the schema in the request and the prompt")
    func decodes() async throws {
        let reply = #"{"title": "Budget", "day": "tuesday", "attendees": ["Ana", "Bo"], "priority": 2}"#
        let model = ScriptedModel(texts: [reply])
        let meeting = try await model.respond(to: "Budget review on Tuesday with Ana and Bo.", generating: Meeting.self)
        #expect(meeting == Meeting(title: "Budget", day: .tuesday, attendees: ["Ana", "Bo"], priority: 2))
        let request = try #require(model.requests.first)
        #expect(request.constraint == .jsonSchema(Meeting.jsonSchema))
        guard case .messages(let messages) = request.prompt else { Issue.record("not a chat request"); return }
        #expect(messages.first?.role == .system && messages.first?.content.contains(#""attendees""#) == true)
    }

    @Test("a reply cut off by the token limit is incompleteOutput carrying the partial text")
    func incomplete() async throws {
        let chunks = [#"{"title": "#, #""Budget", "#, #""day": "tues"#, #"day", "attendees": [], "priority": 1}"#]
        let model = ScriptedModel(replies: [.init(chunks.joined(), chunks: chunks)])
        do {
            _ = try await model.respond(to: "x", generating: Meeting.self, maxTokens: 3)
            Issue.record("a truncated value was returned")
        } catch let error as StructuredOutputError {
            #expect(error.isIncomplete && error.text == #"{"title": "Budget", "day": "tues"# && error.finishReason == .length)
        }
    }

    @Test("cancelling the caller mid-document is incompleteOutput (reason cancelled) with the text so far")
    func cancelled() async throws {
        let chunks = [#"{"title": "#, #""Budget", "#, #""day": "tuesday", "#, #""attendees": [], "priority": 1}"#]
        let model = ScriptedModel(replies: [.init(chunks.joined(), chunks: chunks, delayPerChunk: .milliseconds(200))])
        let task = Task { try await model.respond(to: "x", generating: Meeting.self) }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        do {
            _ = try await task.value
            Issue.record("a value came back from a cancelled generation")
        } catch let error as StructuredOutputError {
            #expect(error.isIncomplete && error.finishReason == .cancelled && error.text.hasPrefix(#"{"title": "#), "\(error)")
        }
    }

    @Test("a complete reply that breaks the schema is nonConforming with the raw text and the violations")
    func nonConforming() async throws {
        let raw = #"{"title": "Budget", "day": "someday", "attendees": [], "priority": 9}"#
        let model = ScriptedModel(texts: [raw])
        do {
            _ = try await model.respond(to: "x", generating: Meeting.self)
            Issue.record("a non-conforming reply was accepted")
        } catch let error as StructuredOutputError {
            #expect(!error.isIncomplete && error.text == raw && error.problems.count == 2)
        }
        let prose = ScriptedModel(texts: ["Sure! Here is the meeting."])
        await #expect(throws: StructuredOutputError.self) { _ = try await prose.respond(to: "x", generating: Meeting.self) }
    }

    @Test("streamResponse yields growing partial documents, then the value")
    func snapshots() async throws {
        let chunks = [#"{"title": "Bud"#, #"get", "day": "tue"#, #"sday", "attendees": ["Ana""#, #", "Bo"], "priority": 2}"#]
        let model = ScriptedModel(replies: [.init(chunks.joined(), chunks: chunks)])
        var partials: [JSONValue?] = []
        var value: Meeting?
        for try await snapshot in model.streamResponse(to: [.user("x")], generating: Meeting.self) {
            if let v = snapshot.value { value = v } else { partials.append(snapshot.partial) }
        }
        #expect(value?.attendees == ["Ana", "Bo"])
        #expect(partials.count == 4)
        #expect(partials[0] == .object([("title", "Bud")]))
        #expect(partials[1] == .object([("title", "Budget"), ("day", "tue")]))
        #expect(partials[2]?["attendees"] == .array(["Ana"]))
    }

    @Test("PartialJSON closes strings, keys, literals, numbers and containers")
    func partialJSON() {
        #expect(PartialJSON.close("") == nil)
        #expect(PartialJSON.close("{") == .object([]))
        #expect(PartialJSON.close(#"{"a"#) == .object([("a", .null)]))
        #expect(PartialJSON.close(#"{"a": tr"#) == .object([("a", .null)]))
        #expect(PartialJSON.close(#"{"a": [1, 2"#) == .object([("a", .array([.int(1), .int(2)]))]))
        #expect(PartialJSON.close(#"{"a": [1, 2."#) == .object([("a", .array([.int(1)]))]))
        #expect(PartialJSON.close(#"{"a": "x\"#) == .object([("a", "x")]))
        #expect(PartialJSON.close(#"{"a": "x\u00"#) == .object([("a", "x")]))
        #expect(PartialJSON.close(#"{"a": true, "b""#) == .object([("a", true), ("b", .null)]))
        #expect(PartialJSON.close(#"[{"a": 1},"#) == .array([.object([("a", .int(1))])]))
    }
}
