import RefineryCore
import Foundation
import MCP
import Synchronization
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// A connection to an MCP server started as a child process and spoken to over stdio, whose
/// tools are imported as ``AnyTool``s.
///
/// ```swift
/// let server = try await MCPServerConnection.launch(executable: "/usr/bin/python3", arguments: ["server.py"])
/// let tools = try ToolSet(try await server.tools())
/// // … run the conversation …
/// await server.close()
/// ```
///
/// Imported tools validate their arguments against the server's input schema before the
/// request is sent, like every other tool; a result the server marks as an error becomes a
/// ``ToolError`` with the server's text.
public actor MCPServerConnection {
    private let client: Client
    private let process: Process
    private let toServer: Pipe
    private let fromServer: Pipe
    /// The server's name and version, as it reported them.
    public let serverName: String
    public let serverVersion: String

    private init(client: Client, process: Process, toServer: Pipe, fromServer: Pipe, serverName: String, serverVersion: String) {
        self.client = client
        self.process = process
        self.toServer = toServer
        self.fromServer = fromServer
        self.serverName = serverName
        self.serverVersion = serverVersion
    }

    /// Starts `executable` with `arguments` and completes the MCP handshake.
    ///
    /// - Parameters:
    ///   - environment: the server's environment (the current one when `nil`).
    ///   - timeout: how long the handshake may take.
    public static func launch(
        executable: String, arguments: [String] = [], environment: [String: String]? = nil, timeout: Duration = .seconds(30)
    ) async throws -> MCPServerConnection {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let toServer = Pipe()
        let fromServer = Pipe()
        process.standardInput = toServer
        process.standardOutput = fromServer
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw MCPError.launch(executable, "\(error)")
        }
        let transport = StdioTransport(
            input: FileDescriptor(rawValue: fromServer.fileHandleForReading.fileDescriptor),
            output: FileDescriptor(rawValue: toServer.fileHandleForWriting.fileDescriptor))
        let client = Client(name: "refinery", version: Refinery.version)
        let initialized: Initialize.Result
        do {
            initialized = try await withTimeout(timeout) { try await client.connect(transport: transport) }
        } catch {
            process.terminate()
            throw MCPError.handshake(executable, "\(error)")
        }
        return MCPServerConnection(
            client: client, process: process, toServer: toServer, fromServer: fromServer,
            serverName: initialized.serverInfo.name, serverVersion: initialized.serverInfo.version)
    }

    /// The server's tools (every page of `tools/list`), ready for a ``ToolSet``. Names can be
    /// prefixed (`prefix_name`) to keep several servers' tools apart.
    public func tools(prefix: String? = nil) async throws -> [AnyTool] {
        var listed: [MCP.Tool] = []
        var cursor: String?
        repeat {
            let page = try await client.listTools(cursor: cursor)
            listed += page.tools
            cursor = page.nextCursor
        } while cursor != nil
        return listed.map { tool in
            let remoteName = tool.name
            let localName = prefix.map { "\($0)_\(remoteName)" } ?? remoteName
            return AnyTool(name: localName, description: tool.description ?? "", parameters: MCPValue.json(tool.inputSchema)) {
                [weak self] arguments in
                guard let self else { throw ToolError.failed(tool: localName, "the MCP server connection is closed") }
                return try await self.call(remoteName, arguments: arguments, localName: localName)
            }
        }
    }

    /// Calls `name` on the server with `arguments` (a JSON object).
    public func call(_ name: String, arguments: JSONValue, localName: String? = nil) async throws -> ToolOutput {
        guard case .object(let pairs) = arguments else {
            throw ToolError.invalidArguments(tool: localName ?? name, "arguments must be a JSON object", arguments: arguments.serialized())
        }
        var members: [String: Value] = [:]
        for (k, v) in pairs { members[k] = MCPValue.mcp(v) }
        let result = try await client.callTool(name: name, arguments: members)
        let text = MCPValue.text(result.content)
        if result.isError == true { throw ToolError.failed(tool: localName ?? name, text) }
        return .text(text)
    }

    /// Disconnects and stops the server (waiting for it to exit without blocking a thread).
    public func close() async {
        await client.disconnect()
        try? toServer.fileHandleForWriting.close()
        let process = self.process
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumed = Mutex(false)
            let resume: @Sendable () -> Void = {
                if resumed.withLock({ r in defer { r = true }; return !r }) { continuation.resume() }
            }
            process.terminationHandler = { _ in resume() }
            if process.isRunning { process.terminate() } else { resume() }
        }
    }
}

/// An MCP server that could not be started or did not complete the handshake.
public struct MCPError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    /// The server's executable.
    public let executable: String

    static func launch(_ executable: String, _ detail: String) -> MCPError {
        MCPError(message: "cannot start MCP server \(executable): \(detail)", executable: executable)
    }
    static func handshake(_ executable: String, _ detail: String) -> MCPError {
        MCPError(message: "MCP server \(executable) did not complete the handshake: \(detail)", executable: executable)
    }
    public var description: String { message }
}

/// `body`, or a `CancellationError` once `timeout` passes.
private func withTimeout<T: Sendable>(_ timeout: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw CancellationError()
        }
        let first = try await group.next()!
        group.cancelAll()
        return first
    }
}
