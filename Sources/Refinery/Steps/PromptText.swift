import RefineryCore
/// Renders prompts for records and traces.
enum PromptText {
    /// `role: content` lines.
    static func render(_ messages: [ChatMessage]) -> String {
        messages.map { "\($0.role.rawValue): \($0.content)" }.joined(separator: "\n")
    }

    /// The issues as a bulleted list ("(none given)" when empty).
    static func bullets(_ issues: [String]) -> String {
        issues.isEmpty ? "(none given)" : issues.map { "- \($0)" }.joined(separator: "\n")
    }
}
