import RefineryInference
import Foundation
import Refinery

// Free text in, a typed Swift value out. The type describes its own JSON schema; the local
// engine constrains every token to it, so the reply always parses, validates and decodes —
// or, if the deadline cuts it short, the error says so and carries the partial text.

enum Weekday: String, CaseIterable, Codable, JSONSchemaConvertible {
    case monday, tuesday, wednesday, thursday, friday, saturday, sunday
}

struct Meeting: Codable, JSONSchemaConvertible {
    var title: String
    var day: Weekday
    var attendees: [String]

    static var jsonSchema: JSONValue {
        JSONSchema.object([
            .required("title", JSONSchema.string(description: "What the meeting is about, in a few words", maxLength: 60)),
            .required("day", Weekday.jsonSchema),
            .required("attendees", JSONSchema.array(of: JSONSchema.string(description: "A first name", maxLength: 30),
                                                    description: "Everyone named as attending", maxItems: 12)),
        ])
    }
}

let text = CommandLine.arguments.dropFirst().first ?? "Budget review on Tuesday with Ana, Bo and Chen."
do {
    let name = ProcessInfo.processInfo.environment["REFINERY_MODEL"] ?? "smollm2-135m-instruct"
    let model = try LocalModel(path: try ModelStore.fromEnvironment().locate(name))
    let start = ContinuousClock.now
    let meeting = try await model.respond(
        to: [.system("Extract the meeting described by the user."), .user(text)],
        generating: Meeting.self, maxTokens: 128, deadline: .after(.seconds(5)))
    print("title: \(meeting.title)\nday: \(meeting.day.rawValue)\nattendees: \(meeting.attendees.joined(separator: ", "))")
    print("[\(start.duration(to: .now).formatted(.units(allowed: [.milliseconds])))]")
} catch let error as StructuredOutputError where error.isIncomplete {
    print("no valid Meeting by the deadline: \(error.message); partial output: \(error.text)")
} catch {
    FileHandle.standardError.write(Data("typed-extraction: \(error)\n".utf8))
    exit(1)
}
