import RefineryCore
import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `refinery script FILE [ARGUMENT…]`: compiles one Swift file that uses Refinery (an agent,
/// its checks, its model) and runs it with the arguments; the executable is cached by the
/// file's content, so a second run starts at once.
struct ScriptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "script",
        abstract: "Compile and run one Swift file that defines and runs an agent.",
        discussion: """
            The file is top-level Swift that may `import Refinery` and `import RefineryAgents`; it \
            reads its input from CommandLine.arguments (ARGUMENT… are passed on). The first run \
            compiles it against the library this refinery was built with (about ten seconds); \
            the executable is cached in $REFINERY_HOME/scripts by the file's content, so later \
            runs start at once, and an edit or a rebuilt library compiles again. Compiler \
            diagnostics go to standard error; the exit status is the script's own.
            """
    )

    @Argument(help: ArgumentHelp("The Swift file.", valueName: "FILE"))
    var file: String

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("Arguments for the script.", valueName: "ARGUMENT"))
    var arguments: [String] = []

    func run() throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ValidationError("cannot read \(file)")
        }
        let builder = ScriptBuilder.current()
        let binary: String
        do {
            binary = try builder.executable(for: Array(data), name: file) { StandardError.line($0) }
        } catch {
            StandardError.line("error: \(error)")
            throw ExitCode.failure
        }
        // Become the script: its output, input, signals and exit status are the command's.
        let argv = ([binary] + arguments).map { strdup($0) } + [nil]
        execv(binary, argv)
        StandardError.line("error: cannot run \(binary): \(String(cString: strerror(errno)))")
        throw ExitCode.failure
    }
}
