import RefineryInference
import RefineryCore
import Dispatch
import Foundation
import Refinery
import Testing

/// A real MCP server, written with the `mcp` PyPI package, spoken to over stdio.
///
/// The server needs a Python with `mcp` importable: `$REFINERY_TEST_MCP_PYTHON`, else a venv
/// cached at `~/.cache/refinery/test-venvs/mcp` (created here with `pip install mcp` on first
/// use, about 40 s), else the test is skipped with the reason.
@Suite("MCP tools", .serialized)
struct ToolMCPTests {
    static let server = """
        try:
            from mcp.server.mcpserver import MCPServer  # mcp 2.x
            from mcp.server.mcpserver.exceptions import ToolError
        except ImportError:
            from mcp.server.fastmcp import FastMCP as MCPServer  # mcp 1.x
            from mcp.server.fastmcp.exceptions import ToolError

        server = MCPServer("refinery-test")

        @server.tool()
        def add(a: int, b: int) -> int:
            \"\"\"Adds two integers.\"\"\"
            return a + b

        @server.tool()
        def shout(text: str, times: int = 1) -> str:
            \"\"\"Upper-cases text, repeated.\"\"\"
            return " ".join([text.upper()] * times)

        @server.tool()
        def fail(reason: str) -> str:
            \"\"\"Always fails.\"\"\"
            raise ToolError(reason)

        if __name__ == "__main__":
            server.run()
        """

    /// A Python that imports `mcp`, or why there is none.
    static let python: Result<String, MCPSetupSkip> = {
        func importsMCP(_ python: String) -> Bool {
            FileManager.default.isExecutableFile(atPath: python) && run(python, ["-c", "import mcp"]) == 0
        }
        if let explicit = ProcessInfo.processInfo.environment["REFINERY_TEST_MCP_PYTHON"] {
            return importsMCP(explicit) ? .success(explicit) : .failure(MCPSetupSkip(reason: "\(explicit) cannot import mcp"))
        }
        let home = ProcessInfo.processInfo.environment["REFINERY_HOME"] ?? (NSHomeDirectory() + "/.cache/refinery")
        let venv = home + "/test-venvs/mcp"
        if importsMCP(venv + "/bin/python") { return .success(venv + "/bin/python") }
        guard run("/usr/bin/env", ["python3", "-m", "venv", "--clear", venv]) == 0 else {
            return .failure(MCPSetupSkip(reason: "python3 -m venv failed (no python3-venv?)"))
        }
        guard run(venv + "/bin/pip", ["install", "--quiet", "mcp"]) == 0, importsMCP(venv + "/bin/python") else {
            return .failure(MCPSetupSkip(reason: "pip install mcp failed (offline?)"))
        }
        return .success(venv + "/bin/python")
    }()

    /// Whether the server can run; finding or installing `mcp` waits on a Dispatch thread, not
    /// on the cooperative pool. Prints the reason when it cannot.
    static func available() async -> Bool {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                if case .failure(let skip) = python {
                    FileHandle.standardError.write(Data("ToolMCPTests skipped: MCP test server unavailable: \(skip.reason)\n".utf8))
                }
                continuation.resume(returning: (try? python.get()) != nil)
            }
        }
    }

    static func run(_ executable: String, _ arguments: [String]) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return -1 }
        p.waitUntilExit()
        return p.terminationStatus
    }

    static func launch() async throws -> (MCPServerConnection, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("refinery-mcp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let script = dir.appendingPathComponent("server.py")
        try server.write(to: script, atomically: true, encoding: .utf8)
        let connection = try await MCPServerConnection.launch(executable: try python.get(), arguments: [script.path])
        return (connection, dir.path)
    }

    @Test("tools are imported from a real MCP server and called through the executor", .enabled("needs a Python with the mcp package (pip install mcp)") { await available() })
    func roundTrip() async throws {
        let (connection, dir) = try await Self.launch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(await connection.serverName == "refinery-test")
        let imported = try await connection.tools()
        #expect(imported.map(\.name) == ["add", "shout", "fail"])
        let add = try #require(imported.first { $0.name == "add" })
        #expect(add.description == "Adds two integers.")
        #expect(add.parameters["required"] == ["a", "b"])
        if case .object(let properties)? = add.parameters["properties"] { #expect(properties.map(\.key) == ["a", "b"]) }
        // The imported schema drives the grammar engine like any other.
        _ = try JSONSchemaGrammar(schema: ToolCallSchema.call(for: imported.map(\.definition)))

        let tools = try ToolSet(imported + [AnyTool(CalculatorTool())])
        let results = await ToolInvoker(callTimeout: .seconds(20)).execute([
            ToolCall(id: "1", name: "add", arguments: ["a": 2, "b": 40]),
            ToolCall(id: "2", name: "shout", arguments: ["text": "hi", "times": 2]),
            ToolCall(id: "3", name: "fail", arguments: ["reason": "no luck"]),
            ToolCall(id: "4", name: "add", arguments: ["a": "two", "b": 40]),
            ToolCall(id: "5", name: "calculator", arguments: ["expression": "2+2"]),
        ], in: tools)
        #expect(results[0].content == "42")
        #expect(results[1].content == "HI HI")
        #expect(results[2].content.hasPrefix("error: tool 'fail' failed:") && results[2].content.contains("no luck"), "\(results[2].content)")
        #expect(results[3].error?.isInvalidArguments == true)
        #expect(results[4].content == "4")

        let prefixed = try await connection.tools(prefix: "py")
        #expect(prefixed.map(\.name) == ["py_add", "py_shout", "py_fail"])
        #expect(try await prefixed[0].invoke(["a": 1, "b": 1]) == .text("2"))
        await connection.close()
    }

    @Test("a server that is not there is a typed error")
    func missingServer() async {
        await #expect(throws: MCPError.self) { try await MCPServerConnection.launch(executable: "/nonexistent/mcp-server") }
    }
}

struct MCPSetupSkip: Error {
    let reason: String
}
