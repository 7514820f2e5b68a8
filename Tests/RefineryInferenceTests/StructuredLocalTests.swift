import RefineryCore
import Foundation
import Testing
import Refinery
@testable import RefineryInference

/// The typed API on SmolLM2: constrained, so the value always decodes; a deadline that passes
/// mid-document is incompleteOutput, never a truncated value.
/// A small typed result: a bounded string, a bounded array and a bounded integer.
private struct Appointment: Codable, Sendable, JSONSchemaConvertible {
    var title: String
    var attendees: [String]
    var priority: Int

    static var jsonSchema: JSONValue {
        JSONSchema.object([
            .required("title", JSONSchema.string(maxLength: 40)),
            .required("attendees", JSONSchema.array(of: JSONSchema.string(maxLength: 20), maxItems: 5)),
            .required("priority", JSONSchema.integer(minimum: 1, maximum: 3)),
        ])
    }
}

@Suite("Structured output on SmolLM2", .serialized)
struct StructuredLocalTests {
    @Test("respond(to:generating:) extracts a typed value from free text")
    func extract() async throws {
        guard let model = try LocalModelTests.model() else { return }
        let meeting = try await model.respond(to: "Budget review on Tuesday with Ana, Bo and Chen. It is urgent.", generating: Appointment.self, maxTokens: 96)
        #expect(!meeting.title.isEmpty && (1...3).contains(meeting.priority) && meeting.attendees.count <= 5)
    }

    @Test("a deadline that passes mid-document throws incompleteOutput with the partial text")
    func deadline() async throws {
        guard let model = try LocalModelTests.model() else { return }
        struct Story: Codable, JSONSchemaConvertible {
            var text: String
            static var jsonSchema: JSONValue { JSONSchema.object([.required("text", JSONSchema.string(minLength: 2000))]) }
        }
        do {
            _ = try await model.respond(to: "Tell a long story.", generating: Story.self, maxTokens: 900, deadline: .after(.milliseconds(1500)))
            Issue.record("a value came back although the deadline cut the document")
        } catch let error as StructuredOutputError {
            #expect(error.isIncomplete && error.finishReason == .deadline)
            #expect(error.text.hasPrefix(#"{"text":"#) && error.text.count > 20, "\(error.text)")
        }
    }
}
