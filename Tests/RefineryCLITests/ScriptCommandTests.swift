import RefineryCore
import Foundation
import Testing

/// `refinery script FILE INPUT`: one Swift file compiled against the library, cached by content.
@Suite("refinery script", .serialized, .timeLimit(.minutes(5)))
struct ScriptCommandTests {
    /// An agent script that needs no model file: its model answers by rule, and a check by code
    /// makes the agent refine once.
    static func script(greeting: String) -> String {
        """
        import Refinery
        import RefineryAgents

        /// Drafts "<greeting> <input>" in lower case; a rewrite shouts it.
        struct RuleModel: LanguageModel {
            let name = "rules"
            var capabilities: ModelCapabilities {
                ModelCapabilities(constrainedDecoding: false, prefixCache: false, batching: false, toolCalls: false, contextLength: 4096)
            }
            func generate(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationEvent, any Error> {
                guard case .messages(let messages) = request.prompt else { fatalError() }
                let rewrite = messages.count > 2
                let text = rewrite ? "\(greeting.uppercased()) \\(messages[1].content.uppercased())" : "\(greeting) \\(messages[1].content)"
                return AsyncThrowingStream { continuation in
                    continuation.yield(.text(text, tokens: []))
                    continuation.yield(.finished(GenerationStats(
                        finishReason: .stop, promptTokens: 10, generatedTokens: 3, prefillTime: .zero, decodeTime: .milliseconds(1))))
                    continuation.finish()
                }
            }
        }

        let shouted = Verify("shouted") { answer, _ in answer == answer.uppercased() ? .pass : .fail("not in capitals") }
        let agent = Agent(name: "greeter", instructions: "Greet.", model: RuleModel(), verifiers: [shouted], refine: Refine())
        let input = CommandLine.arguments.dropFirst().joined(separator: " ")
        let result = await agent.run(input, timeout: .seconds(5))
        print(result.answer)
        print(result.outcome.rawValue, result.steps.map(\\.kind.rawValue).joined(separator: ","))
        """
    }

    @Test("a script compiles once, runs with its input, and starts at once the second time")
    func compileCacheAndRun() async throws {
        let cli = try CLIRunner()
        let folder = try Scratch.folder("script")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = "\(folder)/greeter.swift"
        try Self.script(greeting: "hello").write(toFile: file, atomically: true, encoding: .utf8)

        let first = try await cli.run("script", file, "big", "world")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout == "HELLO BIG WORLD\ncomplete draft,verify,refine,verify\n")
        #expect(first.stderr.contains("compiling"))

        let start = ContinuousClock.now
        let second = try await cli.run("script", file, "sea")
        let wall = start.duration(to: .now)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.hasPrefix("HELLO SEA\n"))
        #expect(!second.stderr.contains("compiling"))  // cached by the file's content
        #expect(wall < .seconds(3))

        // An edit compiles again.
        try Self.script(greeting: "ahoy").write(toFile: file, atomically: true, encoding: .utf8)
        let edited = try await cli.run("script", file, "sea")
        #expect(edited.stdout.hasPrefix("AHOY SEA\n"))
        #expect(edited.stderr.contains("compiling"))
    }

    @Test("a script that does not compile fails with the compiler's diagnostics")
    func compileError() async throws {
        let cli = try CLIRunner()
        let folder = try Scratch.folder("script")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = "\(folder)/broken.swift"
        try "import Refinery\nlet x: Int = \"not a number\"\n".write(toFile: file, atomically: true, encoding: .utf8)
        let result = try await cli.run("script", file)
        #expect(result.status != 0)
        #expect(result.stderr.contains("does not compile"))
        #expect(result.stderr.contains("cannot convert value"))
        let missing = try await cli.run("script", "\(folder)/absent.swift")
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("cannot read"))
    }
}
