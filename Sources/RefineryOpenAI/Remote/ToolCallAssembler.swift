import Refinery

/// Assembles streamed ``ToolCallDelta``s into whole ``ToolCall``s, parallel calls included.
///
/// Deltas are grouped by their `index`; the first delta of a call carries its id and name and
/// every delta may carry a fragment of the arguments' JSON text.
public struct ToolCallAssembler: Sendable {
    /// A call as assembled so far.
    public struct PartialCall: Sendable, Hashable {
        public var index: Int
        public var id: String
        public var name: String
        /// The arguments' JSON text so far.
        public var arguments: String
    }

    private var byIndex: [Int: PartialCall] = [:]

    public init() {}

    /// Adds one delta.
    public mutating func add(_ delta: ToolCallDelta) {
        var call = byIndex[delta.index] ?? PartialCall(index: delta.index, id: "", name: "", arguments: "")
        if let id = delta.id, !id.isEmpty { call.id = id }
        // The name comes with the first delta; some servers repeat it, a few stream it in pieces.
        if let name = delta.name, !name.isEmpty, name != call.name { call.name = call.name.isEmpty ? name : call.name + name }
        call.arguments += delta.argumentsFragment
        byIndex[delta.index] = call
    }

    /// The calls so far, in index order.
    public var partialCalls: [PartialCall] { byIndex.values.sorted { $0.index < $1.index } }

    /// Whether any delta arrived.
    public var isEmpty: Bool { byIndex.isEmpty }

    /// The finished calls with their arguments parsed; empty arguments read as `{}`. A call
    /// whose arguments are not a JSON object fails with `invalidToolCall` naming it.
    public func toolCalls() throws(RemoteModelError) -> [ToolCall] {
        var out: [ToolCall] = []
        for call in partialCalls {
            let text = call.arguments.allSatisfy(\.isWhitespace) ? "{}" : call.arguments
            let arguments: JSONValue
            do {
                arguments = try JSONValue(parsing: text)
            } catch {
                throw RemoteModelError(
                    .invalidToolCall, "the arguments of tool call \(call.index) (\(call.name)) are not valid JSON: \(error.message)",
                    excerpt: RemoteModelError.excerpt(of: Array(text.utf8), redacting: nil))
            }
            guard case .object = arguments else {
                throw RemoteModelError(
                    .invalidToolCall, "the arguments of tool call \(call.index) (\(call.name)) are not a JSON object",
                    excerpt: RemoteModelError.excerpt(of: Array(text.utf8), redacting: nil))
            }
            out.append(ToolCall(id: call.id.isEmpty ? "call_\(call.index)" : call.id, name: call.name, arguments: arguments))
        }
        return out
    }
}
