import RefineryCore
import ArgumentParser
import Foundation
import Refinery

/// `refinery tools`: the built-in tools (or an MCP server's) and their argument schemas, and a
/// way to call one by hand.
struct ToolsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tools",
        abstract: "List the built-in tools and their argument schemas, or call one.",
        subcommands: [ToolsListCommand.self, ToolsCallCommand.self],
        defaultSubcommand: ToolsListCommand.self
    )
}

/// Where the tools come from: the built-ins, or an MCP server's over stdio.
struct ToolSourceOptions: ParsableArguments {
    @Option(help: "The folder read_file is confined to (default: the current directory).")
    var folder: String?

    @Option(help: ArgumentHelp("List or call the tools of an MCP server started with this command line instead.",
                               valueName: "command"))
    var mcp: String?

    /// The tools, and the MCP connection to close afterwards.
    func load() async throws -> ([AnyTool], MCPServerConnection?) {
        guard let mcp else { return (try BuiltInTools.all(folder: folder), nil) }
        let words = mcp.split(whereSeparator: \.isWhitespace).map(String.init)
        guard let program = words.first else { throw ValidationError("--mcp needs a command line") }
        let executable = program.contains("/") ? program : Self.which(program) ?? program
        let connection = try await MCPServerConnection.launch(executable: executable, arguments: Array(words.dropFirst()))
        return (try await connection.tools(), connection)
    }

    static func which(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }
}

/// `refinery tools list [--json]`.
struct ToolsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List tools with their descriptions and argument schemas."
    )

    @OptionGroup var source: ToolSourceOptions

    @Flag(help: "Print a JSON array of {name, description, parameters} objects.")
    var json = false

    func run() async throws {
        let (tools, connection) = try await source.load()
        if json {
            let list = JSONValue.array(tools.map { tool in
                .object([("name", .string(tool.name)), ("description", .string(tool.description)), ("parameters", tool.parameters)])
            })
            print(list.serialized(.pretty))
        } else {
            for (i, tool) in tools.enumerated() {
                if i > 0 { print() }
                print("\(tool.name): \(tool.description)")
                print("  arguments: \(tool.parameters.serialized(.python))")
            }
        }
        await connection?.close()
    }
}

/// `refinery tools call NAME JSON`.
struct ToolsCallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Call a tool with JSON arguments, validated against its schema, and print its output."
    )

    @OptionGroup var source: ToolSourceOptions

    @Argument(help: "The tool's name.")
    var name: String

    @Argument(help: "The arguments as a JSON object.")
    var arguments: String = "{}"

    @Option(help: ArgumentHelp("Seconds the call may take.", valueName: "seconds"))
    var timeout: Double = 30

    func validate() throws {
        guard timeout > 0, timeout <= 86_400 else { throw ValidationError("--timeout must be more than 0 and at most 86400 seconds") }
    }

    func run() async throws {
        let (tools, connection) = try await source.load()
        defer { if let connection { Task { await connection.close() } } }
        let set = try ToolSet(tools)
        let parsed: JSONValue
        do { parsed = try JSONValue(parsing: arguments) } catch {
            throw ValidationError("the arguments are not valid JSON: \(error)")
        }
        let result = await ToolInvoker(callTimeout: .milliseconds(Int64(timeout * 1000)))
            .execute([ToolCall(id: "cli", name: name, arguments: parsed)], in: set).first!
        await connection?.close()
        if let error = result.error {
            StandardError.line("refinery: \(error.message)")
            throw ExitCode(2)
        }
        print(result.content)
    }
}
