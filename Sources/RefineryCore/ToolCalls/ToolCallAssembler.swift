/// Assembles streamed ``ToolCallDelta``s into whole ``ToolCall``s, parallel calls included — the
/// one place in Refinery where deltas become calls (steps, the tool runner, the remote backend,
/// the server and the evaluations all use it).
///
/// Deltas are grouped by their `index`. The first delta of a call carries its id and name;
/// every delta may carry a fragment of the arguments' JSON text. A name that arrives again is
/// handled as servers send it: the same name repeated is kept once, a different piece is
/// appended (a few servers stream the name in pieces). A later non-empty id replaces an earlier one.
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
        if let name = delta.name, !name.isEmpty, name != call.name {
            call.name = call.name.isEmpty ? name : call.name + name
        }
        call.arguments += delta.argumentsFragment
        byIndex[delta.index] = call
    }

    /// The calls so far, in index order.
    public var partialCalls: [PartialCall] { byIndex.values.sorted { $0.index < $1.index } }

    /// Whether any delta arrived.
    public var isEmpty: Bool { byIndex.isEmpty }

    /// Every call so far with its arguments parsed, and what is wrong with those that did not
    /// parse into a JSON object (their arguments are then kept as their text, a `.string`).
    /// Empty arguments read as `{}`; a call without an id gets `call_<index>`.
    public func assembled() -> [AssembledToolCall] {
        partialCalls.map { call in
            let id = call.id.isEmpty ? "call_\(call.index)" : call.id
            let text = call.arguments.allSatisfy(\.isWhitespace) ? "{}" : call.arguments
            let problem: String?
            var arguments = JSONValue.string(call.arguments)
            do throws(JSONParseError) {
                let value = try JSONValue(parsing: text)
                if case .object = value {
                    arguments = value
                    problem = nil
                } else {
                    problem = "are not a JSON object"
                }
            } catch {
                problem = "are not valid JSON: \(error.message)"
            }
            return AssembledToolCall(
                call: ToolCall(id: id, name: call.name, arguments: arguments), index: call.index,
                problem: problem.map { "the arguments of tool call \(call.index) (\(call.name)) \($0)" })
        }
    }

    /// The finished calls; the first call whose arguments are not a JSON object fails with a
    /// ``ToolCallAssemblyError`` naming it.
    public func toolCalls() throws(ToolCallAssemblyError) -> [ToolCall] {
        try assembled().map { (assembled) throws(ToolCallAssemblyError) -> ToolCall in
            if let problem = assembled.problem { throw ToolCallAssemblyError(assembled, message: problem) }
            return assembled.call
        }
    }

    /// The calls so far, never failing: arguments that do not parse are kept as their text, for
    /// a tool executor to refuse with a message the model can act on.
    public func lenientToolCalls() -> [ToolCall] { assembled().map(\.call) }
}

/// One call as the ``ToolCallAssembler`` made it.
public struct AssembledToolCall: Sendable, Hashable {
    /// The call (its arguments are the raw text, a `.string`, when ``problem`` is set).
    public var call: ToolCall
    /// Its position in its turn.
    public var index: Int
    /// Why its arguments are not a JSON object (nil: they are).
    public var problem: String?
}

/// Streamed tool-call deltas that do not make a call: the arguments are not a JSON object.
public struct ToolCallAssemblyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The call's position in its turn.
    public let index: Int
    /// The tool it names.
    public let name: String
    /// The arguments' text as received.
    public let arguments: String
    /// What is wrong with them.
    public let message: String

    init(_ assembled: AssembledToolCall, message: String) {
        index = assembled.index
        name = assembled.call.name
        arguments = assembled.call.arguments.stringValue ?? ""
        self.message = message
    }

    public var description: String { message }
}
