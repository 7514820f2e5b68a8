import RefineryCore
extension ToolSet: ToolExecutor {
    /// Runs one call for a ``ToolLoop``: checked against the tool choice, validated against the
    /// tool's schema, limited by the tool's own timeout (or ``ToolInvoker``'s default) and by
    /// `deadline`. The result's text — output or `error: …` — is what the model reads.
    public func execute(_ call: ToolCall, deadline: Deadline) async -> String {
        await ToolInvoker().execute([call], in: self, deadline: deadline)[0].content
    }
}
