import RefineryCore
import Dispatch
import Foundation
import RefineryTesting
import Testing

/// `refinery chat` read the way `ollama run` reads: markers on a terminal, `"""` blocks,
/// commands, blank lines skipped.
@Suite("refinery chat", .serialized, .timeLimit(.minutes(5)))
struct ChatCommandTests {
    /// The prompt-token counts of the `--verbose` lines, one per reply.
    static func promptTokens(_ stderr: String) -> [Int] {
        stderr.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("["), let count = line.dropFirst().split(separator: " ").first else { return nil }
            return line.contains(" prompt tokens, ") ? Int(count) : nil
        }
    }

    @Test("driven through stdin: blank lines are skipped, a \"\"\" block is one turn, /clear resets, /bye ends")
    func stdinSession() async throws {
        guard let model = TestModels.pathOrSkip(TestModels.smolLM2) else { return }
        let cli = try CLIRunner()
        let input = """
            Hello

               
            \"\"\"
            Tell me
            about cats
            \"\"\"
            /clear
            Hello
            /nonsense
            /bye
            This line is never sent

            """
        let result = try await cli.run(["chat", "--model", model, "--greedy", "--max-tokens", "3", "--verbose"], stdin: input)
        #expect(result.status == 0, "\(result.stderr)")
        // Three replies: "Hello", the block, "Hello" again; nothing after /bye.
        let prompts = Self.promptTokens(result.stderr)
        #expect(prompts.count == 3, "\(result.stderr)")
        // The block went as one turn on top of the first exchange; /clear made the third
        // conversation the same as the first.
        if prompts.count == 3 {
            #expect(prompts[1] > prompts[0])
            #expect(prompts[2] == prompts[0])
        }
        #expect(result.stderr.contains("Cleared the conversation."))
        #expect(result.stderr.contains("Unknown command '/nonsense'. Type /? for help."))
        // Not a terminal: no markers in the output.
        #expect(!result.stdout.contains(">>>"))
    }

    @Test("end of input ends the chat; a \"\"\" block left open is still sent")
    func endOfInput() async throws {
        guard let model = TestModels.pathOrSkip(TestModels.smolLM2) else { return }
        let cli = try CLIRunner()
        let result = try await cli.run(["chat", "--model", model, "--greedy", "--max-tokens", "2", "--verbose"],
                                       stdin: "Hi\n\"\"\"first line\nsecond line\n")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(Self.promptTokens(result.stderr).count == 2)
    }

    @Test("on a terminal: a '>>> ' marker, '... ' inside a block, /? lists the commands, /bye ends")
    func pseudoTerminal() async throws {
        guard let model = TestModels.pathOrSkip(TestModels.smolLM2) else { return }
        let cli = try CLIRunner()
        // Python's pty module runs the chat on a pseudo-terminal (standard input, output and
        // error all a terminal) and copies our input to it and its output to us.
        let spawn = "import os, pty, sys; sys.exit(os.waitstatus_to_exitcode(pty.spawn(sys.argv[1:])))"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", spawn, CLIRunner.executable, "chat", "--model", model, "--greedy", "--max-tokens", "2"]
        var environment = ProcessInfo.processInfo.environment
        environment["REFINERY_HOME"] = cli.home
        process.environment = environment
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(Data("/?\n\"\"\"\nA block\n\"\"\"\n/bye\n".utf8))
        try input.fileHandleForWriting.close()
        let transcript = try await Self.offPool {
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return String(decoding: data, as: UTF8.self)
        }
        #expect(process.terminationStatus == 0, "\(transcript)")
        #expect(transcript.contains("Chatting with"))
        #expect(transcript.contains(">>> "))
        #expect(transcript.contains("... "))
        #expect(transcript.contains("Available commands"))
    }

    static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }
}
