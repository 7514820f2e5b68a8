import RefineryCore
import Refinery
import RefineryInference

/// Reads BFCL's data files — JSON lines, one entry a line — into ``BFCLEntry`` values, pairing
/// each question with its `possible_answer` line by id.
///
/// Anything of another shape is refused with ``BFCLError/Code-swift.struct/malformedData``,
/// naming the file and the line: a line that is not JSON, an entry without an id, a question
/// that is not a list of turns of `{role, content}` messages, a function without a name or
/// parameters, an answer file whose ids do not match the questions'.
public enum BFCLDataset {
    /// The entries of `category` from the question file's bytes and (except for irrelevance)
    /// the answer file's, in the question file's order.
    public static func entries(
        category: BFCLCategory,
        questions: [UInt8],
        answers: [UInt8]?
    ) throws(BFCLError) -> [BFCLEntry] {
        let questionFile = category.questionFile
        var entries: [BFCLEntry] = []
        var seen = Set<String>()
        for (line, value) in try lines(questions, file: questionFile) {
            let id = try identifier(value, file: questionFile, line: line)
            guard seen.insert(id).inserted else { throw .malformed(questionFile, line: line, "id '\(id)' appears twice") }
            let messages = try conversation(value["question"], file: questionFile, line: line)
            let functions = try functionDocuments(value["function"], file: questionFile, line: line)
            entries.append(BFCLEntry(id: id, category: category, messages: messages, functions: functions, possibleAnswers: []))
        }
        guard category.hasAnswers else { return entries }
        let answerFile = category.answerFile
        guard let answers else {
            throw BFCLError(code: .dataUnavailable, message: "no \(answerFile) for category \(category)", value: answerFile)
        }
        var byID: [String: [JSONValue]] = [:]
        for (line, value) in try lines(answers, file: answerFile) {
            let id = try identifier(value, file: answerFile, line: line)
            guard case .array(let calls)? = value["ground_truth"], !calls.isEmpty else {
                throw .malformed(answerFile, line: line, "'ground_truth' must be a non-empty list of calls")
            }
            for call in calls {
                guard case .object(let pairs) = call, pairs.count == 1, case .object(let parameters) = pairs[0].value,
                    parameters.allSatisfy({ if case .array = $0.value { true } else { false } })
                else {
                    throw .malformed(answerFile, line: line, "each expected call must be {NAME: {PARAMETER: [VALUES]}}")
                }
            }
            guard byID.updateValue(calls, forKey: id) == nil else {
                throw .malformed(answerFile, line: line, "id '\(id)' appears twice")
            }
        }
        for index in entries.indices {
            guard let calls = byID.removeValue(forKey: entries[index].id) else {
                throw BFCLError(
                    code: .malformedData, message: "\(answerFile) has no answer for '\(entries[index].id)'",
                    value: entries[index].id)
            }
            entries[index].possibleAnswers = calls
        }
        if let extra = byID.keys.sorted().first {
            throw BFCLError(
                code: .malformedData, message: "\(answerFile) answers '\(extra)', which is not a question", value: extra)
        }
        return entries
    }

    /// Whether a data file holds an AST category, judged by its first question and the first
    /// line of its answer file (nil when there is none or it is not JSON): the question is a
    /// JSON object with a non-empty `function` list and a `question` of exactly one turn, and
    /// either the answer's `ground_truth` is a non-empty list of `{NAME: {PARAMETER: …}}` calls
    /// or, without an answer file, the name says (ir)relevance, which BFCL checks without
    /// answers. Multi-turn, memory, web-search and format files fail one of these.
    public static func isASTCategory(name: String, firstQuestion: JSONValue?, firstAnswer: JSONValue?) -> Bool {
        guard let question = firstQuestion, case .array(let functions)? = question["function"], !functions.isEmpty,
            case .array(let turns)? = question["question"], turns.count == 1
        else { return false }
        let category = BFCLCategory(name: name)
        guard let answer = firstAnswer else { return !category.hasAnswers }
        guard category.hasAnswers, case .array(let calls)? = answer["ground_truth"], !calls.isEmpty else { return false }
        return calls.allSatisfy { call in
            guard case .object(let pairs) = call, pairs.count == 1, case .object = pairs[0].value else { return false }
            return true
        }
    }

    /// The first non-blank line of a JSON-lines file, parsed; nil when it is not JSON.
    static func firstValue(_ bytes: [UInt8]) -> JSONValue? {
        for slice in bytes.split(separator: 0x0A) where slice.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) {
            return try? JSONValue(parsing: Array(slice))
        }
        return nil
    }

    /// The non-blank lines of a JSON-lines file, parsed, with their 1-based numbers.
    static func lines(_ bytes: [UInt8], file: String) throws(BFCLError) -> [(Int, JSONValue)] {
        var out: [(Int, JSONValue)] = []
        var number = 0
        for slice in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            number += 1
            guard slice.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) else { continue }
            do {
                out.append((number, try JSONValue(parsing: Array(slice))))
            } catch {
                throw .malformed(file, line: number, "not JSON: \(error)")
            }
        }
        return out
    }

    static func identifier(_ value: JSONValue, file: String, line: Int) throws(BFCLError) -> String {
        guard case .object = value else { throw .malformed(file, line: line, "an entry must be a JSON object") }
        guard case .string(let id)? = value["id"], !id.isEmpty else {
            throw .malformed(file, line: line, "the entry has no string 'id'")
        }
        return id
    }

    /// The first turn of `question` (BFCL's single-turn categories have exactly one).
    static func conversation(_ question: JSONValue?, file: String, line: Int) throws(BFCLError) -> [ChatMessage] {
        guard case .array(let turns)? = question, case .array(let messages)? = turns.first, !messages.isEmpty else {
            throw .malformed(file, line: line, "'question' must be a list of turns, each a non-empty list of messages")
        }
        var out: [ChatMessage] = []
        for message in messages {
            guard case .string(let roleName)? = message["role"], let role = ChatMessage.Role(rawValue: roleName),
                case .string(let content)? = message["content"]
            else {
                throw .malformed(file, line: line, "each message must have a role (system, user, assistant) and a string content")
            }
            out.append(ChatMessage(role: role, content: content))
        }
        return out
    }

    static func functionDocuments(_ value: JSONValue?, file: String, line: Int) throws(BFCLError) -> [JSONValue] {
        guard case .array(let functions)? = value, !functions.isEmpty else {
            throw .malformed(file, line: line, "'function' must be a non-empty list of function documents")
        }
        for function in functions {
            guard case .string(let name)? = function["name"], !name.isEmpty else {
                throw .malformed(file, line: line, "a function document has no name")
            }
            guard let parameters = function["parameters"], case .object? = parameters["properties"] else {
                throw .malformed(file, line: line, "function '\(name)' has no parameters.properties object")
            }
        }
        return functions
    }
}
