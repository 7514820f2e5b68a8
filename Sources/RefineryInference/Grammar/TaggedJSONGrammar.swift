import RefineryCore
/// A JSON document between an opening and a closing text — one tool call as a chat format
/// writes it (`<tool_call>\n{…}\n</tool_call>`) — compiled into one ``Grammar`` for a
/// ``GrammarConstraint`` triggered by the opening.
///
/// Whitespace at the end of the opening and at the start of the closing is made optional
/// (up to ``maxPadding`` bytes of space, tab or newline), since models differ on the newline
/// after `<tool_call>`; ``trigger`` is the opening without it. When the JSON itself begins with
/// the opening (Llama 3's `{"name": `), the grammar is the bare document.
public struct TaggedJSONGrammar: Sendable {
    /// The compiled grammar: every document begins with ``trigger``.
    public let grammar: Grammar
    /// The bytes that start a document (the opening, trailing whitespace removed).
    public let trigger: [UInt8]
    /// Whether the opening is part of the JSON document rather than text around it.
    public let openingInDocument: Bool

    /// Most whitespace bytes allowed after the opening and before the closing.
    public static let maxPadding = 2

    /// Compiles `schema` between `opening` (non-empty) and `closing` (may be empty).
    public init(schema: JSONValue, opening: String, closing: String, options: JSONSchemaGrammar.Options = .init()) throws(GrammarError) {
        let open = Array(opening.utf8)
        let trimmedOpen = Array(open.prefix(open.count - open.reversed().prefix(while: Self.isSpace).count))
        precondition(!trimmedOpen.isEmpty, "the opening must hold more than whitespace")
        trigger = trimmedOpen
        let document = try JSONSchemaGrammar(schema: schema, options: options)
        var probe = document.makeMatcher()
        if probe.accept(bytes: trimmedOpen) {
            grammar = document.grammar
            openingInDocument = true
            return
        }
        openingInDocument = false
        let close = Array(closing.utf8)
        let trimmedClose = Array(close.drop(while: Self.isSpace))
        var b = GrammarBuilder()
        let json = try b.addJSONSchema(schema, options: options)
        let space = ByteSet([0x20, 0x09, 0x0A, 0x0D])
        let padding = b.repetition("padding", [.bytes(space)], min: 0, max: Self.maxPadding)
        var sequence = GrammarBuilder.literal(trimmedOpen) + [.rule(padding), .rule(json)]
        if !trimmedClose.isEmpty { sequence += [.rule(padding)] + GrammarBuilder.literal(trimmedClose) }
        let start = b.add("tagged", [sequence])
        grammar = try b.buildReportingSchemaErrors(start: start)
    }

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
}
