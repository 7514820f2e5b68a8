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
            The file is top-level Swift that may `import RefineryKit` (every Refinery module: steps \
            and combinators, agents, the engine and LocalModel, the remote backend, the ready \
            agents) or any module under it; it reads its input from CommandLine.arguments \
            (ARGUMENT… are passed on). With --check the file is only type-checked, not run, and \
            ARGUMENT… are more files to check. The first run \
            compiles it against the library this refinery was built with (about ten seconds); \
            the executable is cached in $REFINERY_HOME/scripts by the file's content, so later \
            runs start at once, and an edit or a rebuilt library compiles again. Compiler \
            diagnostics go to standard error and name FILE and its lines. The exit status is the \
            script's own; an error thrown out of its top-level code is printed as one line, \
            'error: <the error>', with exit status 1.
            """
    )

    @Argument(help: ArgumentHelp("The Swift file.", valueName: "FILE"))
    var file: String

    @Flag(name: .long, help: "Only type-check the file (and the files given after it); do not run anything.")
    var check = false

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("Arguments for the script.", valueName: "ARGUMENT"))
    var arguments: [String] = []

    func run() throws {
        if check { return try checkFiles([file] + arguments) }
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

    /// Type-checks each of `files`, printing the diagnostics of those that fail; fails when any does.
    private func checkFiles(_ files: [String]) throws {
        let builder = ScriptBuilder.current()
        var failed = 0
        for path in files {
            guard let data = FileManager.default.contents(atPath: path) else {
                StandardError.line("error: cannot read \(path)")
                failed += 1
                continue
            }
            do {
                try builder.typecheck(Array(data), name: path)
            } catch {
                StandardError.line("error: \(error)")
                failed += 1
            }
        }
        if failed > 0 {
            StandardError.line("\(failed) of \(files.count) file(s) do not compile")
            throw ExitCode.failure
        }
    }
}
