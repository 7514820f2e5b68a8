import RefineryCore
import Synchronization

/// What the access log says about one request beyond its method, path and status: the model
/// it asked for and the tokens it used.
///
/// The middleware makes one per request and binds it to ``current`` while the route runs; a
/// route fills it in, also from a streaming body that is written after the route returned
/// (it keeps the reference), and the middleware writes the line once the body is out.
final class AccessRecord: Sendable {
    /// The record of the request being handled, if any.
    @TaskLocal static var current: AccessRecord?

    private struct Fields {
        var model: String?
        var promptTokens = 0
        var completionTokens = 0
        var counted = false
    }

    private let fields = Mutex(Fields())

    /// Notes the model (or `agent:<name>`) the request named.
    func model(_ name: String) { fields.withLock { $0.model = name } }

    /// Adds tokens a generation used.
    func tokens(prompt: Int, completion: Int) {
        fields.withLock {
            $0.promptTokens += prompt
            $0.completionTokens += completion
            $0.counted = true
        }
    }

    /// The line: `POST /v1/chat/completions model=NAME status=200 prompt_tokens=12 completion_tokens=30 ms=412`
    /// (`model=-` and no tokens where the request got no generation).
    func line(method: String, path: String, status: Int, elapsed: Duration) -> String {
        let f = fields.withLock { $0 }
        var parts = ["\(method) \(path)", "model=\(f.model ?? "-")", "status=\(status)"]
        if f.counted { parts += ["prompt_tokens=\(f.promptTokens)", "completion_tokens=\(f.completionTokens)"] }
        let (seconds, attoseconds) = elapsed.components
        parts.append("ms=\(seconds * 1000 + attoseconds / 1_000_000_000_000_000)")
        return parts.joined(separator: " ")
    }
}
