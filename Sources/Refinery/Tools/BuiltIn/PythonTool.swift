import RefineryCore

/// Runs a Python program in a ``PythonSandbox`` and returns its exit status and output.
public struct PythonTool: Tool {
    public struct Arguments: Decodable, Sendable, JSONSchemaConvertible {
        public var code: String
        public static var jsonSchema: JSONValue {
            JSONSchema.object([
                .required("code", JSONSchema.string(description: "A complete Python 3 program; print what you want to see", minLength: 1)),
            ])
        }
    }

    /// The sandbox runs happen in.
    public let sandbox: PythonSandbox

    public init(sandbox: PythonSandbox = PythonSandbox()) { self.sandbox = sandbox }

    public var name: String { "run_python" }
    public var description: String {
        "Runs a Python 3 program in a sandbox (no network, a scratch folder, "
            + "\(sandbox.limits.cpuSeconds) s of CPU) and returns its exit status, standard output and standard error."
    }

    public func call(_ arguments: Arguments) async throws -> ToolOutput {
        let run = try await sandbox.run(arguments.code)
        var pairs: [(key: String, value: JSONValue)] = []
        if let status = run.exitStatus { pairs.append(("exit_status", .int(Int64(status)))) }
        if let signal = run.signal { pairs.append(("signal", .int(Int64(signal)))) }
        if let stop = run.stop {
            let reason: String
            switch stop {
            case .wallClock: reason = "stopped after the wall-clock limit of \(ToolError.seconds(sandbox.limits.wallClock))"
            case .cpuLimit: reason = "stopped at the CPU-time limit of \(sandbox.limits.cpuSeconds) s"
            case .cancelled: reason = "cancelled"
            }
            pairs.append(("stopped", .string(reason)))
        }
        pairs.append(("stdout", .string(run.standardOutput)))
        pairs.append(("stderr", .string(run.standardError)))
        return .json(.object(pairs))
    }
}
