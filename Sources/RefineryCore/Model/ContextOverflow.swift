/// What to do with a conversation whose prompt does not fit the context.
public enum ContextOverflow: Sendable, Hashable {
    /// Fail with a "prompt too long" error (the default).
    case fail
    /// Drop the oldest turns until the prompt fits.
    ///
    /// A turn is a user message with every message that answers it (assistant replies, tool calls
    /// and tool results), so a tool result is never kept without the call it answers. Leading
    /// system messages and the last turn always stay; when those alone do not fit, the prompt is
    /// too long and generation fails as with ``fail``.
    case dropOldestTurns
}
