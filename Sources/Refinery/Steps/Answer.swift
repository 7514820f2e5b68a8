import RefineryCore

/// What the built-in steps pass along: the task, the notes gathered for it, the current answer
/// and what the checks said of it. ``Draft``, ``BestOfN``, ``ToolLoop``, ``Critique``,
/// ``Verification`` and ``Refine`` are each a `Step<Answer, Answer>`, so they chain in any order
/// and a user's step that reads or writes an `Answer` fits between them.
public struct Answer: Sendable, Hashable {
    /// The agent's instructions (the system turn of drafts and rewrites).
    public var instructions: String
    /// The user's task.
    public var task: String
    /// Material gathered for the task by earlier steps (a plan, tool results, a sub-agent's
    /// findings), given to drafts and rewrites after the task.
    public var notes: [String]
    /// The current answer ("" before a draft).
    public var text: String
    /// Problems the last check found.
    public var issues: [String]
    /// The last check's score, 0...10 (nil: not scored).
    public var score: Double?
    /// What the external checks said (nil: not checked by them).
    public var passed: Bool?
    /// Whether the current text has been checked.
    public var checked: Bool
    /// Refinement rounds that produced this text.
    public var round: Int

    /// The start of a run on `task`.
    public init(task: String, instructions: String = "", notes: [String] = []) {
        self.instructions = instructions
        self.task = task
        self.notes = notes
        self.text = ""
        self.issues = []
        self.score = nil
        self.passed = nil
        self.checked = false
        self.round = 0
    }

    /// The task with the notes after it, as drafts and rewrites see it.
    public var input: String {
        notes.isEmpty ? task : task + "\n\n" + notes.joined(separator: "\n\n")
    }

    /// This answer with `text` as its new, unchecked text.
    public func rewritten(_ text: String) -> Answer {
        var copy = self
        copy.text = text
        copy.issues = []
        copy.score = nil
        copy.passed = nil
        copy.checked = false
        return copy
    }

    /// Rough prompt tokens of a draft of this answer (4 bytes a token), for estimates.
    var promptTokens: Int { (instructions.utf8.count + input.utf8.count) / 4 + 8 }
    /// Rough tokens of the current text.
    var textTokens: Int { text.utf8.count / 4 + 1 }
}
