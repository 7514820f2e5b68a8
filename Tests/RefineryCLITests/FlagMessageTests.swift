import RefineryCore
import Foundation
import Testing

/// Every bad flag value is refused with a message that names the flag and says what it wants.
@Suite("Bad flag values")
struct FlagMessageTests {
    /// The value names of flags that take numbers or times (see `ArgumentErrors.wanted`).
    static let numericValueNames: Set<String> = ["n", "k", "ms", "time", "t", "p", "r", "s", "seconds"]

    /// Every option of every subcommand: its command path, long name and value name.
    static func options(_ cli: CLIRunner) async throws -> [(path: [String], name: String, valueName: String)] {
        let dump = try await cli.run("--experimental-dump-help")
        let json = try JSONValue(parsing: dump.stdout)
        var found: [(path: [String], name: String, valueName: String)] = []
        func walk(_ command: JSONValue, _ path: [String]) {
            for argument in command["arguments"]?.arrayValue ?? [] where argument["kind"] == "option" {
                let long = argument["names"]?.arrayValue?.first { $0["kind"] == "long" }?["name"]?.stringValue
                if let long, let valueName = argument["valueName"]?.stringValue { found.append((path, long, valueName)) }
            }
            for sub in command["subcommands"]?.arrayValue ?? [] {
                walk(sub, path + [sub["commandName"]?.stringValue ?? ""])
            }
        }
        walk(try #require(json["command"]), [])
        return found
    }

    @Test("every numeric or time flag of every subcommand refuses a word, naming the flag and what it wants")
    func everyNumericFlag() async throws {
        let cli = try CLIRunner()
        let numeric = try await Self.options(cli).filter { Self.numericValueNames.contains($0.valueName) }
        #expect(numeric.count >= 40)
        // Every option with a value name outside the vocabulary takes text (names, paths, lists).
        let others = Set(try await Self.options(cli).map(\.valueName)).subtracting(Self.numericValueNames)
        #expect(others.isSubset(of: ["FILE", "VAR", "command", "file", "folder", "host", "list", "log-level", "name",
                                     "name|path", "path", "preset|url", "str", "text"]), "\(others)")
        for option in numeric {
            let result = try await cli.run(option.path + ["--\(option.name)", "nonsense"])
            #expect(result.status == 64, "\(option.path) --\(option.name)")
            #expect(result.stderr.contains("'--\(option.name) <\(option.valueName)>': expected "), "\(result.stderr)")
        }
    }

    @Test("a negative or out-of-range value is read as the flag's value and refused for what it is, never as 'missing value'")
    func negativeAndOutOfRange() async throws {
        let cli = try CLIRunner()
        let cases: [([String], String)] = [
            (["run", "writer", "x", "--deadline", "-1s"], "'--deadline <time>': expected a time above zero such as 250ms, 1.5s or 2s"),
            (["run", "writer", "x", "--deadline", "5"], "'--deadline <time>': expected a time above zero"),
            (["run", "writer", "x", "--deadline"], "Missing value for '--deadline <time>': expected a time above zero"),
            (["generate", "--max-tokens", "-5", "hi"], "--max-tokens must be at least 1"),
            (["generate", "--seed", "-1", "hi"], "'--seed <s>': expected a whole number from 0 up"),
            (["chat", "--temperature", "-0.5"], "--temperature must not be negative"),
            (["serve", "--port", "-1"], "--port must be between 0 and 65535"),
            (["serve", "--port", "70000"], "--port must be between 0 and 65535"),
            (["serve", "--agent-deadline-ms", "-3"], "--agent-deadline-ms must be positive"),
            (["tools", "call", "--timeout", "-2", "calculator"], "--timeout must be more than 0"),
            (["--log-level", "loud", "models", "list"], "'--log-level <log-level>'. Please provide one of the following"),
            (["eval", "bfcl", "--categories", ","], "--categories names no category"),
            (["bench", "--model", "x", "--scenario", "nope"], "unknown scenario 'nope'"),
        ]
        for (arguments, message) in cases {
            let result = try await cli.run(arguments)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            if !message.hasPrefix("Missing value") { #expect(!result.stderr.contains("Missing value"), "\(arguments)") }
        }
    }
}
