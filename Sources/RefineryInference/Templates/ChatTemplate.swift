import RefineryCore
/// A model's chat template (`tokenizer.chat_template`), parsed once and rendered many times.
///
/// Rendering follows the environment Hugging Face transformers renders chat templates in —
/// jinja2 with `trim_blocks`, `lstrip_blocks`, loop controls, a `tojson` that keeps key order
/// and escapes nothing, `raise_exception` and `strftime_now` — so the prompt text equals what
/// the model was trained on.
///
/// ```swift
/// let template = try ChatTemplate(source: chatTemplateFromGGUF)
/// let prompt = try template.render(
///     messages: [["role": "user", "content": "Hello!"]],
///     addGenerationPrompt: true, bosToken: "<s>", eosToken: "</s>")
/// ```
public struct ChatTemplate: Sendable {
    /// The template text as given.
    public let source: String
    let nodes: [TemplateNode]

    /// Parses `source`; throws a ``TemplateError`` (code `.syntax`, `.unsupported`,
    /// `.unknownFilter` or `.unknownTest`, with line and column) if it cannot be rendered.
    public init(source: String) throws {
        self.source = source
        self.nodes = try TemplateParser.parse(source)
    }

    /// Renders with the given top-level variables.
    ///
    /// - Parameter clock: the time `strftime_now` formats (default: now, local time zone).
    /// - Throws: ``TemplateError``; `.raised` when the template calls `raise_exception`.
    public func render(context: [String: JSONValue], clock: TemplateClock = .now) throws -> String {
        var variables: [String: TemplateValue] = [:]
        variables.reserveCapacity(context.count)
        for (name, value) in context { variables[name] = TemplateValue(value) }
        return try render(variables: variables, clock: clock)
    }

    /// Renders with the keys of a JSON object as the top-level variables (in order; a later
    /// duplicate key wins).
    public func render(context: JSONValue, clock: TemplateClock = .now) throws -> String {
        guard case .object(let pairs) = context else {
            throw TemplateError(code: .type, message: "the template context must be a JSON object")
        }
        var variables: [String: TemplateValue] = [:]
        for (name, value) in pairs { variables[name] = TemplateValue(value) }
        return try render(variables: variables, clock: clock)
    }

    /// Renders a conversation the way transformers' `apply_chat_template` does: `messages`,
    /// `tools` (`none` when nil), `documents` (`none`), `add_generation_prompt`, the special
    /// tokens, then `extraVariables` (which win over the others).
    ///
    /// - Parameters:
    ///   - messages: message objects (`role`, `content`, and optionally `tool_calls`,
    ///     `tool_call_id`, `name`, …) exactly as the template expects them.
    ///   - tools: tool definitions as JSON schemas (`{"type": "function", "function": {…}}`).
    public func render(
        messages: [JSONValue],
        tools: [JSONValue]? = nil,
        addGenerationPrompt: Bool = false,
        bosToken: String? = nil,
        eosToken: String? = nil,
        extraVariables: [String: JSONValue] = [:],
        clock: TemplateClock = .now
    ) throws -> String {
        var variables: [String: TemplateValue] = [
            "messages": .list(messages.map(TemplateValue.init)),
            "tools": tools.map { .list($0.map(TemplateValue.init)) } ?? .none,
            "documents": .none,
            "add_generation_prompt": .bool(addGenerationPrompt),
        ]
        if let bosToken { variables["bos_token"] = .string(bosToken) }
        if let eosToken { variables["eos_token"] = .string(eosToken) }
        for (name, value) in extraVariables { variables[name] = TemplateValue(value) }
        return try render(variables: variables, clock: clock)
    }

    func render(variables: [String: TemplateValue], clock: TemplateClock) throws -> String {
        let interpreter = TemplateInterpreter(clock: clock)
        let globals = TemplateScope(parent: nil, variables: TemplateGlobals.make(clock: clock))
        let top = TemplateScope(parent: globals, variables: variables)
        interpreter.output.reserveCapacity(source.utf8.count * 2)
        _ = try interpreter.execute(nodes, in: top)
        return interpreter.output
    }
}
