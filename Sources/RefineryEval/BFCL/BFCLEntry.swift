import RefineryCore
import Refinery
import RefineryInference

/// One question of a BFCL category: the conversation, the functions offered, and the calls
/// that count as right.
public struct BFCLEntry: Sendable {
    /// BFCL's id (`simple_python_0`).
    public var id: String
    /// The category the entry belongs to.
    public var category: BFCLCategory
    /// The conversation (the first and only turn of BFCL's `question`).
    public var messages: [ChatMessage]
    /// BFCL's function documents as written (`"type": "dict"`, `"float"`, …): what the checker
    /// reads the parameters' types from.
    public var functions: [JSONValue]
    /// BFCL's `ground_truth`: one object per expected call, `{NAME: {PARAM: [VALUES…]}}`, where a
    /// `""` among the values marks the parameter optional. Empty for irrelevance.
    public var possibleAnswers: [JSONValue]

    /// Creates an entry.
    public init(id: String, category: BFCLCategory, messages: [ChatMessage], functions: [JSONValue], possibleAnswers: [JSONValue]) {
        self.id = id
        self.category = category
        self.messages = messages
        self.functions = functions
        self.possibleAnswers = possibleAnswers
    }

    /// The functions as tool definitions a request carries (see ``BFCLToolConversion``).
    public var tools: [ToolDefinition] { functions.map(BFCLToolConversion.definition) }
}
