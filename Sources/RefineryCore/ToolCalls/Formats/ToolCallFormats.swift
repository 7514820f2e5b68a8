import Foundation

/// Choosing a ``ToolCallFormat`` for a model, and the lenient parser for unconstrained output.
public enum ToolCallFormats {
    /// The format a chat template teaches, read from the template's source text:
    /// `<tool_call>` → Hermes/Qwen, `[TOOL_CALLS]` → Mistral, Llama 3.x's `"parameters"` JSON
    /// (its instruction line, or `<|python_tag|>`/`<|eom_id|>`) → Llama 3, anything else (including templates
    /// that ignore tools) → the prompted format.
    public static func detect(templateSource: String?) -> any ToolCallFormat {
        guard let source = templateSource else { return PromptedToolCallFormat() }
        if source.contains("<tool_call>") { return HermesToolCallFormat() }
        if source.contains("[TOOL_CALLS]") { return MistralToolCallFormat() }
        if source.contains("\"parameters\": dictionary of argument name")
            || (source.contains("\"parameters\"") && (source.contains("<|python_tag|>") || source.contains("<|eom_id|>")))
        {
            return Llama3ToolCallFormat()
        }
        return PromptedToolCallFormat()
    }

    /// Whether a template renders the `tools` it is given (so its own prompt describes them).
    public static func templateRendersTools(_ source: String) -> Bool {
        source.contains("tools") && (source.contains("<tool_call>") || source.contains("[TOOL_CALLS]")
            || source.contains("[AVAILABLE_TOOLS]") || source.contains("\"parameters\""))
    }

    /// Reads calls from output that was not constrained, as leniently as is still unambiguous:
    /// first the format's own syntax; failing that, fenced ```json blocks, then bare JSON objects
    /// or arrays anywhere in the text, each accepted when it is shaped like a call
    /// (`name` + `arguments`/`parameters`, or OpenAI's `function` wrapper). Names outside
    /// `toolNames` (when given) are not taken as calls.
    public static func parseLeniently(_ output: String, format: any ToolCallFormat, toolNames: Set<String>? = nil) -> ParsedToolCalls {
        func known(_ calls: [ToolCall]) -> Bool { toolNames.map { names in calls.allSatisfy { names.contains($0.name) } } ?? true }
        let strict = format.parse(output)
        if !strict.calls.isEmpty && known(strict.calls) {
            // A model that tagged its first call may write the next ones bare, closing tag and all.
            let more = bareCalls(in: strict.content, known: known)
            guard !more.calls.isEmpty else { return strict }
            var calls = strict.calls
            for var call in more.calls {
                call.id = "call_\(calls.count)"
                calls.append(call)
            }
            var content = more.content
            let closing = format.callClosing.trimmingCharacters(in: .whitespacesAndNewlines)
            if !closing.isEmpty { content = content.replacingOccurrences(of: closing, with: "") }
            return ParsedToolCalls(content: content.trimmingWhitespace(), calls: calls)
        }
        // Tags of the other families, in case the model learned another one.
        for other in [HermesToolCallFormat(), MistralToolCallFormat()] as [any ToolCallFormat] where other.name != format.name {
            let parsed = other.parse(output)
            if !parsed.calls.isEmpty && known(parsed.calls) { return parsed }
        }
        let bare = bareCalls(in: output, known: known)
        guard !bare.calls.isEmpty else { return strict }
        return ParsedToolCalls(content: bare.content.trimmingWhitespace(), calls: bare.calls)
    }

    /// The calls written as bare JSON objects (or lists of them) in `text`, numbered from
    /// `call_0`, and the text without them or the fences that held them.
    private static func bareCalls(in text: String, known: ([ToolCall]) -> Bool) -> (content: String, calls: [ToolCall]) {
        var calls: [ToolCall] = []
        var content = text
        for span in JSONSpans.all(in: text).reversed() {
            let candidates: [JSONValue]
            if case .array(let items) = span.value { candidates = items } else { candidates = [span.value] }
            let found = candidates.compactMap { ToolCall.fromJSON($0, id: "") }
            guard !found.isEmpty, found.count == candidates.count, known(found) else { continue }
            calls.insert(contentsOf: found, at: 0)
            content.removeSubrange(span.range)
        }
        guard !calls.isEmpty else { return (text, []) }
        for i in calls.indices { calls[i].id = "call_\(i)" }
        // Drop the fences that held the calls.
        return (content.replacingFences(), calls)
    }
}

extension String {
    /// Removes empty code fences (```json ``` left behind once their JSON was taken out).
    fileprivate func replacingFences() -> String {
        var out = self
        for fence in ["```json", "```JSON", "```"] {
            while let r = out.range(of: fence) {
                let after = out[r.upperBound...]
                guard let close = after.range(of: "```"), after[..<close.lowerBound].allSatisfy(\.isWhitespace) else { break }
                out.removeSubrange(r.lowerBound..<close.upperBound)
            }
        }
        return out
    }
}
