import RefineryCore
import Synchronization

/// Validates the reply to a request with an output constraint as it is received: a remote
/// server may ignore `response_format` (or honour it loosely), so a reply that finishes
/// normally but does not parse or breaks the schema ends the stream with
/// ``StructuredOutputError/nonConforming(_:problems:)`` holding the raw text — after its text
/// events, in place of `.finished`. Replies cut short (length, deadline) pass through; the typed
/// API reports them as incomplete.
final class StructuredReplyCheck: Sendable {
    private let schema: JSONValue?
    private let text = Mutex("")

    init(_ constraint: GenerationRequest.OutputConstraint) {
        switch constraint {
        case .jsonSchema(let schema): self.schema = schema
        case .anyJSON: self.schema = nil
        }
    }

    /// Passes `event` on, or throws when it finishes a non-conforming reply.
    func check(_ event: GenerationEvent?) throws -> GenerationEvent? {
        switch event {
        case .text(let piece, _)?:
            text.withLock { $0 += piece }
        case .finished(let stats)? where stats.finishReason == .stop:
            _ = try StructuredOutput.document(text.withLock { $0 }, schema: schema, finishReason: .stop)
        default:
            break
        }
        return event
    }
}
