/// A ``ToolSet`` runs a ``ToolLoop``'s calls through the tool layer's ``ToolExecutor``: arguments
/// validated against each tool's schema, each call under its tool's time limit and the loop's
/// deadline, every failure turned into `error: …` text the model reads.
extension ToolSet: ToolLoopExecutor {
    public func execute(_ call: ToolCall, deadline: Deadline) async -> String {
        let results = await ToolExecutor().execute([call], in: self, deadline: deadline)
        return results.first?.content ?? "error: the call produced no result"
    }
}
