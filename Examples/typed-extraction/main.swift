import Foundation
import Refinery

// Free text in, a typed Swift value out: the agent's answer must be JSON that fits the type's
// schema — checked by code after every step and refined on the failures — before it decodes.

struct Meeting: Codable, JSONSchemaConvertible {
    var title: String
    var day: String
    var attendees: [String]

    static var jsonSchema: JSONValue {
        JSONSchema.object([
            .required("title", JSONSchema.string()),
            .required("day", JSONSchema.string()),
            .required("attendees", JSONSchema.array(of: JSONSchema.string())),
        ])
    }

    /// The value in `text`, or what is wrong with it.
    static func decode(_ text: String) -> (meeting: Meeting?, problems: [String]) {
        guard let json = try? JSONValue(parsing: text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            return (nil, ["the reply is not a JSON object"])
        }
        let problems = JSONSchemaValidator(schema: jsonSchema).violations(of: json).map(\.description)
        guard problems.isEmpty,
            let meeting = try? JSONDecoder().decode(Meeting.self, from: Data(json.serializedBytes()))
        else {
            return (nil, problems.isEmpty ? ["the JSON does not decode"] : problems)
        }
        return (meeting, [])
    }
}

let start = ContinuousClock.now
let text =
    CommandLine.arguments.dropFirst().first
    ?? "Budget review on Tuesday with Ana, Bo and Chen."
do {
    let name = ProcessInfo.processInfo.environment["REFINERY_MODEL"] ?? "smollm2-135m-instruct"
    let model = try LocalModel(path: try ModelStore.fromEnvironment().locate(name))
    let agent = Agent(
        name: "typed-extraction",
        instructions: "Reply with one JSON object only, matching this schema: \(Meeting.jsonSchema.serialized())",
        model: model, draft: Draft(maxTokens: 128, sampling: .greedy),
        verifiers: [
            Verify("schema") { answer, _ in
                let problems = Meeting.decode(answer).problems
                return VerificationResult(passed: problems.isEmpty, failures: problems)
            }
        ],
        refine: Refine(maxTokens: 128))
    let result = await agent.run(text, deadline: Deadline(start.advanced(by: .seconds(5))), startedAt: start)
    let (meeting, problems) = Meeting.decode(result.answer)
    if let meeting {
        print("title: \(meeting.title)\nday: \(meeting.day)\nattendees: \(meeting.attendees.joined(separator: ", "))")
    } else {
        print("no valid Meeting by the deadline: \(problems.joined(separator: "; "))")
    }
    print("[\(result.outcome.rawValue), \(result.steps.count) steps]")
} catch {
    FileHandle.standardError.write(Data("typed-extraction: \(error)\n".utf8))
    exit(1)
}
