import RefineryCore
import Foundation
import Testing

@Suite("refinery tools")
struct ToolsCommandTests {
    @Test("lists the built-in tools with their schemas, as text and as JSON")
    func list() async throws {
        let cli = try CLIRunner()
        let text = try await cli.run("tools")
        #expect(text.status == 0, "\(text.stderr)")
        for name in ["calculator", "current_datetime", "json_query", "run_python", "read_file"] {
            #expect(text.stdout.contains("\(name): "))
        }
        let json = try await cli.run("tools", "list", "--json")
        #expect(json.status == 0)
        let list = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        #expect(list?.compactMap { $0["name"] as? String } == ["calculator", "current_datetime", "json_query", "run_python", "read_file"])
        let calculator = list?.first?["parameters"] as? [String: Any]
        #expect(calculator?["required"] as? [String] == ["expression"])
    }

    @Test("calls a tool, and refuses invalid arguments with exit status 2")
    func call() async throws {
        let cli = try CLIRunner()
        let ok = try await cli.run("tools", "call", "calculator", #"{"expression": "2^8 - 6"}"#)
        #expect(ok.status == 0)
        #expect(ok.stdout == "250\n")
        let bad = try await cli.run("tools", "call", "calculator", #"{"expr": "1"}"#)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("invalid arguments for 'calculator'"))
    }
}
