import RefineryCore
import Foundation
import Testing
import RefineryTesting

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

    @Test("compiler diagnostics point at the user's file and lines, not at the hidden copy", arguments: [false, true])
    func diagnosticsMapping(check: Bool) async throws {
        let cli = try CLIRunner()
        let folder = try Scratch.folder("script-diagnostics")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = "\(folder)/typo.swift"
        try "import Refinery\n\nlet greeting = \"hi\"\nprint(greting)\n".write(toFile: file, atomically: true, encoding: .utf8)
        let result = try await cli.run(check ? ["script", "--check", file] : ["script", file])
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(file):4:7: error: cannot find 'greting' in scope"), "\(result.stderr)")
        #expect(!result.stderr.contains("main.swift"))
        #expect(!result.stderr.contains("/scripts/."))
    }

    @Test("an error thrown at top level is one line on standard error and exit status 1, after the output so far")
    func topLevelError() async throws {
        let cli = try CLIRunner()
        let folder = try Scratch.folder("script-throws")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = "\(folder)/throws.swift"
        let source = """
            struct EmptyInput: Error, CustomStringConvertible {
                var description: String { "the input is empty" }
            }
            func read() async throws -> String { throw EmptyInput() }
            print("before")
            let text = try await read()
            print(text)
            """
        try source.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try await cli.run("script", file)
        #expect(result.status == 1)
        #expect(result.stdout == "before\n")
        let lines = result.stderr.split(separator: "\n").filter { !$0.hasPrefix("compiling ") }
        #expect(lines == ["error: the input is empty"], "\(result.stderr)")
    }

    @Test("--check type-checks files against everything RefineryKit exports, and runs nothing")
    func checkOnly() async throws {
        let cli = try CLIRunner()
        let folder = try Scratch.folder("script-check")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let good = "\(folder)/good.swift", bad = "\(folder)/bad.swift"
        let pipeline = """
            import RefineryKit

            let pipeline = Pipeline("checked") {
                Draft(maxTokens: 16)
                Refine()
            }
            print(pipeline.name, CalculatorTool().name, LocalModel.self)
            """
        try pipeline.write(toFile: good, atomically: true, encoding: .utf8)
        try "import RefineryKit\nlet notAStep: Draft = 1\n".write(toFile: bad, atomically: true, encoding: .utf8)

        let passing = try await cli.run("script", "--check", good)
        #expect(passing.status == 0, "\(passing.stderr)")
        #expect(passing.stdout.isEmpty)  // checked, not run

        let failing = try await cli.run("script", "--check", good, bad)
        #expect(failing.status != 0)
        #expect(failing.stderr.contains("bad.swift does not compile"))
        #expect(failing.stderr.contains("1 of 2 file(s) do not compile"))
    }

    /// A script with `@Generable` types — nested structs, an enum, an array, an optional — whose
    /// model replies with a fixed document, so it needs no model file.
    static let generableScript = """
        import RefineryKit

        @Generable struct Order {
            @Guide(description: "Who ordered", .pattern("^[A-Z][a-z]+$")) var customer: String
            var size: Size
            @Guide(.count(1...3)) var items: [Item]
            var note: String?
        }
        @Generable struct Item {
            var name: String
            @Guide(.range(1...9)) var quantity: Int
        }
        @Generable enum Size { case small, large }

        struct FixedModel: LanguageModel {
            let name = "fixed"
            var capabilities: ModelCapabilities {
                ModelCapabilities(constrainedDecoding: false, prefixCache: false, batching: false, toolCalls: false, contextLength: 4096)
            }
            func generate(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationEvent, any Error> {
                let reply = #"{"customer": "Ana", "size": "large", "items": [{"name": "tea", "quantity": 2}]}"#
                return AsyncThrowingStream { continuation in
                    continuation.yield(.text(reply, tokens: []))
                    continuation.yield(.finished(GenerationStats(
                        finishReason: .stop, promptTokens: 10, generatedTokens: 20, prefillTime: .zero, decodeTime: .milliseconds(1))))
                    continuation.finish()
                }
            }
        }

        let order = try await FixedModel().respond(to: CommandLine.arguments.dropFirst().joined(separator: " "), generating: Order.self)
        print(order.customer, order.size, order.items.map { "\\($0.quantity) \\($0.name)" }, order.note ?? "no note")
        print(Order.jsonSchema["required"]!.serialized())
        """

    @Test("a script with @Generable types (nested struct, enum, array, optional) compiles and decodes respond(to:generating:)")
    func generableScript() async throws {
        let cli = try CLIRunner()
        let folder = try Scratch.folder("script-generable")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = "\(folder)/order.swift"
        try Self.generableScript.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try await cli.run("script", file, "Two teas for Ana, large.")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "Ana large [\"2 tea\"] no note\n[\"customer\",\"size\",\"items\"]\n")
    }

    @Test("the sample recipe script writes a @Generable recipe on SmolLM2")
    func sampleRecipeScript() async throws {
        guard let model = TestModels.pathOrSkip(TestModels.smolLM2) else { return }
        var cli = try CLIRunner()
        cli.environment = ["REFINERY_MODEL": model]
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Examples/scripts/recipe.swift").path
        let result = try await cli.run("script", script, "Pancakes")
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("title: ") == true, "\(result.stdout)")
        #expect(lines.contains { ["difficulty: easy", "difficulty: medium", "difficulty: hard"].contains($0) })
        #expect(lines.contains { $0.hasPrefix("ingredient: ") })
        #expect(lines.last?.hasPrefix("tip: ") == true)
    }

    @Test("the sample pipeline script composes steps with combinators and answers by its deadline")
    func samplePipelineScript() async throws {
        guard let model = TestModels.pathOrSkip(TestModels.smolLM2) else { return }
        var cli = try CLIRunner()
        cli.environment = ["REFINERY_MODEL": model, "REFINERY_DEADLINE": "4s"]
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Examples/scripts/pipeline.swift").path
        let result = try await cli.run("script", script, "Why", "do", "cats", "purr?")
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let summary = lines.last ?? ""
        #expect(lines.count >= 2 && !lines[0].isEmpty, "an answer, then the summary: \(result.stdout)")
        #expect(summary.hasPrefix("[completed in ") || summary.hasPrefix("[cut_off in "), "\(summary)")
        #expect(summary.contains(" ms of 4000 ms: first_answer"))
        let elapsed = summary.split(separator: " ").dropFirst(2).first.flatMap { Int64($0) } ?? .max
        #expect(elapsed <= 4000 + RunCommandTests.slackMS)
    }
}
