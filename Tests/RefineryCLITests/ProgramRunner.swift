import RefineryCore
import Dispatch
import Foundation

/// Runs one of the package's built executables (the CLI or an example) beside `refinery`.
struct ProgramRunner: Sendable {
    /// The result of one run.
    struct Result: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
        var wall: Duration
    }

    /// The built executable called `name`, in the folder that holds `refinery`.
    static func path(_ name: String) -> String {
        URL(fileURLWithPath: CLIRunner.executable).deletingLastPathComponent().appendingPathComponent(name).path
    }

    /// Runs `name arguments…` in a fresh `$REFINERY_HOME`, with `environment` added (and `removing` taken out), on a Dispatch
    /// thread so parallel tests do not starve the cooperative pool.
    static func run(
        _ name: String, _ arguments: [String], environment: [String: String] = [:], removing: [String] = [],
        input: String? = nil
    ) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(
                    with: Swift.Result {
                        let folder = try Scratch.folder("program")
                        defer { try? FileManager.default.removeItem(atPath: folder) }
                        let process = Process()
                        process.executableURL = URL(fileURLWithPath: path(name))
                        process.arguments = arguments
                        var env = ProcessInfo.processInfo.environment
                        // A store of its own: runs must not teach the user's cost figures.
                        env["REFINERY_HOME"] = folder + "/home"
                        for key in removing { env.removeValue(forKey: key) }
                        for (key, value) in environment { env[key] = value }
                        process.environment = env
                        let out = folder + "/stdout", err = folder + "/stderr", inp = folder + "/stdin"
                        for file in [out, err, inp] { _ = FileManager.default.createFile(atPath: file, contents: nil) }
                        try Data((input ?? "").utf8).write(to: URL(fileURLWithPath: inp))
                        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
                        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
                        process.standardInput =
                            input == nil
                            ? FileHandle.nullDevice : try FileHandle(forReadingFrom: URL(fileURLWithPath: inp))
                        let start = ContinuousClock.now
                        try process.run()
                        process.waitUntilExit()
                        let wall = start.duration(to: .now)
                        return Result(
                            status: process.terminationStatus,
                            stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                            stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "", wall: wall)
                    })
            }
        }
    }
}
