import RefineryCore
import Foundation
import Refinery
import Testing

/// The sandbox's limits, against a real `python3`. Isolation checks need root and util-linux
/// (`unshare`, `setpriv`); they are skipped, with the reason, elsewhere.
@Suite("Python sandbox", .serialized)
struct ToolSandboxTests {
    static let isolated = SandboxIsolation.available == .full
    static let hasPython = access(PythonSandbox.defaultInterpreter, X_OK) == 0 || PythonSandbox.defaultInterpreter == "python3"

    @Test("a program runs in its own folder and its output comes back")
    func runs() async throws {
        let run = try await PythonSandbox().run("import os\nprint(sum(range(10)))\nopen('f.txt','w').write('ok')\nprint(open('f.txt').read())")
        #expect(run.exitStatus == 0, "\(run.standardError)")
        #expect(run.standardOutput == "45\nok\n")
        #expect(run.stop == nil)
    }

    @Test("a runaway loop is killed at its CPU limit")
    func cpuLimit() async throws {
        // The wall clock is far off, so only the CPU limit can stop the loop in time.
        let sandbox = PythonSandbox(limits: SandboxLimits(cpuSeconds: 1, wallClock: .seconds(60)))
        let start = ContinuousClock.now
        let run = try await sandbox.run("while True:\n    pass\n")
        let elapsed = start.duration(to: .now)
        #expect(run.stop == .cpuLimit, "\(run)")
        #expect(run.signal == SIGXCPU || run.signal == SIGKILL)
        #expect(elapsed < .seconds(45), "took \(elapsed)")
    }

    @Test("a sleeping program is killed at the wall-clock limit, with its children")
    func wallClock() async throws {
        let sandbox = PythonSandbox(limits: SandboxLimits(wallClock: .milliseconds(500)))
        let start = ContinuousClock.now
        let run = try await sandbox.run("import subprocess, time\nsubprocess.Popen(['sleep', '30'])\nprint('started', flush=True)\ntime.sleep(30)")
        #expect(run.stop == .wallClock)
        #expect(run.standardOutput == "started\n")
        #expect(start.duration(to: .now) < .seconds(20))
    }

    @Test("memory beyond the limit fails inside the program")
    func memoryLimit() async throws {
        let sandbox = PythonSandbox(limits: SandboxLimits(memoryBytes: 256 << 20))
        let run = try await sandbox.run("x = bytearray(1 << 30)\nprint('allocated')")
        #expect(run.exitStatus != 0)
        #expect(run.standardError.contains("MemoryError"), "\(run.standardError)")
        #expect(!run.standardOutput.contains("allocated"))
    }

    @Test("output is capped")
    func outputCap() async throws {
        let sandbox = PythonSandbox(limits: SandboxLimits(outputBytes: 100))
        let run = try await sandbox.run("print('x' * 100000)")
        #expect(run.outputTruncated)
        #expect(run.standardOutput.hasPrefix(String(repeating: "x", count: 100) + "\n[… output truncated at 100 bytes]"))
        #expect(run.exitStatus == 0)
    }

    @Test("writes outside the work folder are refused", .enabled(if: isolated, "needs root and util-linux unshare/setpriv for full isolation"))
    func writesRefused() async throws {
        let victim = NSTemporaryDirectory() + "/refinery-victim-\(UUID().uuidString)"
        let code = """
            import os
            for p in [\(victim.debugDescription), '../escape.txt', '/tmp/escape.txt', '/var/tmp/escape.txt', '/dev/shm/x', '/etc/escape']:
                try:
                    open(p, 'w').write('x')
                    print('WROTE', p)
                except OSError as e:
                    print('refused', e.errno)
            open('inside.txt', 'w').write('fine')
            print('inside ok')
            """
        let run = try await PythonSandbox().run(code)
        #expect(!run.standardOutput.contains("WROTE"), "\(run.standardOutput)")
        #expect(run.standardOutput.components(separatedBy: "refused").count == 7)
        #expect(run.standardOutput.hasSuffix("inside ok\n"))
        #expect(!FileManager.default.fileExists(atPath: victim))
    }

    @Test("the network is unreachable", .enabled(if: isolated, "needs root and util-linux unshare for a network namespace"))
    func noNetwork() async throws {
        let code = """
            import socket
            for host in [('1.1.1.1', 53), ('127.0.0.1', 22)]:
                try:
                    socket.create_connection(host, timeout=2)
                    print('CONNECTED', host)
                except OSError as e:
                    print('refused')
            """
        let run = try await PythonSandbox().run(code)
        #expect(run.standardOutput == "refused\nrefused\n", "\(run.standardOutput) \(run.standardError)")
    }

    @Test("the work folder is removed afterwards")
    func cleanup() async throws {
        let run = try await PythonSandbox().run("import os\nprint(os.environ['TMPDIR'])")
        let before = try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter { $0.hasPrefix("refinery-sandbox-") }
        #expect(run.exitStatus == 0)
        #expect(before.isEmpty || !before.contains { run.standardOutput.contains($0) })
    }

    @Test("the run_python tool reports status, output and a stop")
    func tool() async throws {
        let tool = AnyTool(PythonTool(sandbox: PythonSandbox(limits: SandboxLimits(cpuSeconds: 1))))
        let ok = try await tool.invoke(["code": "print(6*7)"])
        #expect(ok == .json(["exit_status": 0, "stdout": "42\n", "stderr": ""]))
        let failing = try await tool.invoke(["code": "raise SystemExit(3)"])
        if case .json(let v) = failing { #expect(v["exit_status"] == 3) }
        let loop = try await tool.invoke(["code": "while True: pass"])
        if case .json(let v) = loop { #expect(v["stopped"] == "stopped at the CPU-time limit of 1 s") }
    }
}

@Suite("Python sandbox limits on files and processes", .serialized)
struct ToolSandboxResourceTests {
    @Test("a file past the size limit cannot be written")
    func fileSize() async throws {
        let sandbox = PythonSandbox(limits: SandboxLimits(fileSizeBytes: 1 << 20))
        let run = try await sandbox.run("open('big.bin', 'wb').write(b'x' * (2 << 20))\nprint('wrote')")
        #expect(run.exitStatus != 0)
        #expect(run.standardError.contains("File too large"), "\(run.standardError)")
        #expect(!run.standardOutput.contains("wrote"))
    }

    @Test("the process limit stops a fork loop", .enabled(if: ToolSandboxTests.isolated, "root ignores RLIMIT_NPROC; needs the nobody user of full isolation"))
    func processes() async throws {
        let sandbox = PythonSandbox(limits: SandboxLimits(processes: 4, wallClock: .seconds(10)))
        let code = """
            import subprocess
            started = 0
            try:
                for _ in range(20):
                    subprocess.Popen(['sleep', '5'])
                    started += 1
            except OSError as e:
                print('refused after', started, e.errno)
            """
        let run = try await sandbox.run(code)
        #expect(run.standardOutput.hasPrefix("refused after"), "\(run.standardOutput) \(run.standardError)")
        let started = Int(run.standardOutput.split(separator: " ")[2]) ?? 99
        #expect(started < 4)
    }
}
