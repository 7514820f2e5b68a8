import RefineryInference
import RefineryCore
import Foundation
import Refinery
import Testing

@Suite("Built-in tools")
struct ToolBuiltInTests {
    @Test("the calculator follows arithmetic precedence", arguments: [
        ("1 + 2 * 3", 7.0), ("(1 + 2) * 3", 9), ("2 ^ 3 ^ 2", 512), ("2 ** 10", 1024), ("-2 ^ 2", -4), ("2 ^ -1", 0.5),
        ("7 % 3", 1), ("-7 % 3", 2), ("10 / 4", 2.5), ("--3", 3), ("sqrt(16) + abs(-3)", 7), ("min(4, 2, 8) + max(1, 9)", 11),
        ("round(2.5) + floor(-1.5) + ceil(1.2)", 3), ("log(e)", 1), ("log(8, 2)", 3), ("exp(0) + cos(0) + sin(0)", 2),
        ("2 * pi", 2 * Double.pi), ("1_000 * 1e3", 1_000_000), (" 3.5e-1 * 2 ", 0.7),
    ])
    func calculator(expression: String, expected: Double) throws {
        let value = try ArithmeticExpression.evaluate(expression)
        #expect(abs(value - expected) <= 1e-12 * max(1, abs(expected)), "\(expression) = \(value)")
    }

    @Test("the calculator refuses what is not arithmetic, with the place", arguments: [
        ("1 / 0", "division by zero at offset 2"), ("2 +", "unexpected \"end of input\" at offset 3"),
        ("__import__('os')", "unknown name '__import__'"), ("sqrt(-1)", "sqrt is undefined"), ("(1 + 2", "expected )"),
        ("max()", "max takes at least 1 argument(s), got 0"), ("1 2", "unexpected \"2\" at offset 2"), ("10 ^ 400", "not a finite number"),
    ])
    func calculatorErrors(expression: String, message: String) {
        #expect(throws: ArithmeticError.self) { try ArithmeticExpression.evaluate(expression) }
        do { _ = try ArithmeticExpression.evaluate(expression) } catch { #expect(error.message.contains(message), "\(error.message)") }
        #expect(ArithmeticExpression.format(0.1 + 0.2) == "0.3")
        #expect(ArithmeticExpression.format(42) == "42")
    }

    @Test("deep nesting is refused instead of overflowing the stack")
    func calculatorDepth() {
        #expect(throws: ArithmeticError.self) { try ArithmeticExpression.evaluate(String(repeating: "(", count: 500) + "1" + String(repeating: ")", count: 500)) }
        #expect(throws: ArithmeticError.self) { try ArithmeticExpression.evaluate(String(repeating: "-", count: 500) + "1") }
    }

    @Test("the calculator tool answers through the executor")
    func calculatorTool() async throws {
        let tools = try ToolSet([CalculatorTool()])
        let results = await ToolInvoker().execute([
            ToolCall(id: "1", name: "calculator", arguments: ["expression": "(2 + 3) * 4"]),
            ToolCall(id: "2", name: "calculator", arguments: ["expression": "1/0"]),
        ], in: tools)
        #expect(results.map(\.content) == ["20", "error: tool 'calculator' failed: division by zero at offset 1"])
    }

    @Test("current date and time in a time zone, from an injected clock")
    func dateTime() async throws {
        // 2024-03-10T07:30:00Z: a Sunday; New York is on EDT (UTC-4) from 07:00Z that day.
        let tool = CurrentDateTimeTool(now: { Date(timeIntervalSince1970: 1_710_055_800) })
        let ny = try await AnyTool(tool).invoke(["timezone": "America/New_York"])
        #expect(ny == .json(["datetime": "2024-03-10T03:30:00-04:00", "date": "2024-03-10", "time": "03:30:00", "weekday": "Sunday",
                             "timezone": "America/New_York", "utc_offset_seconds": -14400, "unix_time": 1_710_055_800]))
        let utc = try await AnyTool(tool).invoke([:])
        if case .json(let v) = utc { #expect(v["datetime"] == "2024-03-10T07:30:00+00:00") }
        await #expect(throws: ToolError.self) { try await AnyTool(tool).invoke(["timezone": "Mars/Olympus"]) }
    }

    @Test("JSON paths: keys, indexes, negative indexes, wildcards, quoted keys")
    func jsonPath() async throws {
        let doc = try JSONValue(parsing: #"{"users": [{"name": "ada", "tags": ["x", "y"]}, {"name": "bob", "tags": []}], "a.b": {"c d": 5}}"#)
        #expect(try JSONPath("$.users[0].name").select(in: doc) == ["ada"])
        #expect(try JSONPath("users[-1].name").select(in: doc) == ["bob"])
        #expect(try JSONPath("$.users[*].name").select(in: doc) == ["ada", "bob"])
        #expect(try JSONPath("$.users[*].tags[*]").select(in: doc) == ["x", "y"])
        #expect(try JSONPath(#"$["a.b"]['c d']"#).select(in: doc) == [5])
        #expect(try JSONPath("$.users[5].name").select(in: doc).isEmpty)
        #expect(try JSONPath("$").select(in: doc) == [doc])
        #expect(throws: JSONPathError.self) { try JSONPath("$.users[") }
        #expect(throws: JSONPathError.self) { try JSONPath("$.users[x]") }
        #expect(throws: JSONPathError.self) { try JSONPath("$..") }

        let tool = AnyTool(JSONQueryTool())
        #expect(try await tool.invoke(["document": #"{"a": [1, 2, 3]}"#, "path": "$.a[1]"]) == .json(2))
        #expect(try await tool.invoke(["document": #"{"a": [1, 2, 3]}"#, "path": "$.a[*]"]) == .json([1, 2, 3]))
        await #expect(throws: ToolError.self) { try await tool.invoke(["document": "{oops", "path": "$"]) }
        await #expect(throws: ToolError.self) { try await tool.invoke(["document": "{}", "path": "$.missing"]) }
    }

    @Test("file access stays inside its folder: .., absolute paths and symlinks out are refused")
    func confinedFiles() async throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("refinery-files-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: base) }
        let root = base + "/root"
        try FileManager.default.createDirectory(atPath: root + "/sub", withIntermediateDirectories: true)
        try "inside".write(toFile: root + "/sub/a.txt", atomically: true, encoding: .utf8)
        try "secret".write(toFile: base + "/secret.txt", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: root + "/escape", withDestinationPath: base + "/secret.txt")
        try FileManager.default.createSymbolicLink(atPath: root + "/up", withDestinationPath: base)
        try FileManager.default.createSymbolicLink(atPath: root + "/ok-link", withDestinationPath: root + "/sub/a.txt")
        try String(repeating: "z", count: 100).write(toFile: root + "/big.txt", atomically: true, encoding: .utf8)

        let tool = AnyTool(ReadFileTool(folder: try ConfinedFolder(root), maxBytes: 10))
        #expect(try await tool.invoke(["path": "sub/a.txt"]) == .text("inside"))
        #expect(try await tool.invoke(["path": "sub/../sub/./a.txt"]) == .text("inside"))
        #expect(try await tool.invoke(["path": "ok-link"]) == .text("inside"))
        #expect(try await tool.invoke(["path": .string(root + "/sub/a.txt")]) == .text("inside"))
        #expect(try await tool.invoke(["path": "."]) == .text("big.txt\nescape\nok-link\nsub/\nup/"))
        #expect(try await tool.invoke(["path": "big.txt"]) == .text("zzzzzzzzzz\n[… truncated at 10 bytes]"))
        for escape in ["../secret.txt", "sub/../../secret.txt", base + "/secret.txt", "escape", "up/secret.txt", "up", "/etc/passwd"] {
            do {
                _ = try await tool.invoke(["path": .string(escape)])
                Issue.record("\(escape) was read")
            } catch let error as ToolError {
                #expect(error.message.contains("outside the allowed folder"), "\(escape): \(error.message)")
            }
        }
        await #expect(throws: ToolError.self) { try await tool.invoke(["path": "missing.txt"]) }
    }

    @Test("every built-in tool has a valid name and a schema the grammar engine compiles")
    func builtInSchemas() throws {
        let tools = try BuiltInTools.all(folder: NSTemporaryDirectory())
        #expect(tools.map(\.name) == ["calculator", "current_datetime", "json_query", "run_python", "read_file"])
        _ = try ToolSet(tools)
        for tool in tools { _ = try JSONSchemaGrammar(schema: tool.parameters) }
        _ = try JSONSchemaGrammar(schema: ToolCallSchema.call(for: tools.map(\.definition)))
    }
}
