import RefineryCore
import RefineryInference
import Testing

@testable import RefineryEval

@Suite("BFCL AST checker")
struct BFCLCheckerTests {
    /// BFCL's decoded output `[{NAME: ARGS}, …]` as calls.
    static func calls(_ output: JSONValue) -> [ToolCall] {
        (output.arrayValue ?? []).enumerated().compactMap { index, item in
            guard case .object(let pairs) = item, let first = pairs.first else { return nil }
            return ToolCall(id: "call_\(index)", name: first.key, arguments: first.value)
        }
    }

    @Test("agrees with BFCL's own ast_checker on every reference case (valid and error type)")
    func reference() throws {
        var count = 0
        for line in bfclReferenceCases.split(separator: "\n") {
            let item = try JSONValue(parsing: String(line))
            let category = BFCLCategory(name: item["category"]!.stringValue!)
            let result = BFCLASTChecker.check(
                kind: category.kind, functions: item["functions"]!.arrayValue!, calls: Self.calls(item["output"]!),
                possibleAnswers: item["answer"]!.arrayValue!)
            let note = item["note"]!.stringValue!
            #expect(result.valid == (item["valid"] == true), "\(note): \(result.error)")
            #expect(result.errorType == item["error_type"]!.stringValue!, "\(note)")
            count += 1
        }
        #expect(count > 200)
    }

    @Test("irrelevance is correct exactly when no call is made")
    func irrelevance() {
        let function: JSONValue = ["name": "f", "parameters": ["type": "dict", "properties": [:], "required": []]]
        #expect(BFCLASTChecker.check(kind: .irrelevance, functions: [function], calls: [], possibleAnswers: []).valid)
        let call = ToolCall(id: "call_0", name: "f", arguments: .object([]))
        let wrong = BFCLASTChecker.check(kind: .irrelevance, functions: [function], calls: [call], possibleAnswers: [])
        #expect(!wrong.valid)
        #expect(wrong.errorType == "irrelevance_error:decoder_success")
    }

    @Test("Python's equality: numbers by value, dicts in any order, strings by code point")
    func pythonEquality() throws {
        typealias P = BFCLPythonValue
        #expect(P.equal(.int(1), .double(1.0)))
        #expect(P.equal(.bool(true), .int(1)))
        #expect(!P.equal(.string("1"), .int(1)))
        #expect(P.equal(try JSONValue(parsing: #"{"a": 1, "b": [2, 3.0]}"#), try JSONValue(parsing: #"{"b": [2.0, 3], "a": true}"#)))
        #expect(!P.equal(try JSONValue(parsing: "[1, 2]"), try JSONValue(parsing: "[2, 1]")))
        #expect(!P.equal(.string("e\u{301}"), .string("\u{e9}")))
        #expect(P.standardize("New York, NY") == "newyorkny")
        #expect(P.standardize("It's 5^2 * 3_1/2-x.") == "it\"s52312x")
    }
}
