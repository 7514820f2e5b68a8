import RefineryCore
import Foundation
import RefineryInference

/// Compiles one user Swift file against the library this `refinery` was built with, and
/// caches the executable by the file's content.
///
/// The build folder that holds `refinery` also holds the compiled modules of every library and
/// the object files that make them up; its build manifest (`<scratch>/<configuration>.yaml`)
/// records how the `research-pipeline` example — which depends on `RefineryKit`, the umbrella
/// of all the libraries — was compiled and linked. A script is compiled with the same flags and
/// linked with the same objects, its own `main` taking the example's place, so it may
/// `import RefineryKit` (or any of the modules under it): about ten seconds, against minutes
/// for a package build of its own. The executable is cached at
/// `$REFINERY_HOME/scripts/<key>/script`, the key hashing the script's bytes with the
/// library's build (its module file's size and time), so a second run starts at once and a
/// rebuilt library recompiles.
struct ScriptBuilder {
    /// The folder holding `refinery` and the libraries' build products.
    let buildFolder: String
    /// The cache root (`$REFINERY_HOME/scripts`).
    let cache: String

    /// The example target whose compile and link commands scripts copy: it depends on
    /// `RefineryKit`, so everything is importable and linked.
    static let referenceTarget = "research-pipeline"

    /// The builder for the running `refinery` (or `$REFINERY_BUILD_DIR`).
    static func current(environment: [String: String] = ProcessInfo.processInfo.environment) -> ScriptBuilder {
        let executable =
            Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        let folder =
            environment["REFINERY_BUILD_DIR"]
            ?? executable.resolvingSymlinksInPath().deletingLastPathComponent().path
        let home = environment["REFINERY_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() + "/.cache/refinery")
        return ScriptBuilder(buildFolder: folder, cache: home + "/scripts")
    }

    /// The cached executable for `source` (the script's bytes), building it first when absent.
    /// `log` hears what happens ("compiling …").
    func executable(for source: [UInt8], name: String, log: (String) -> Void) throws(ScriptError) -> String {
        let identity = try libraryIdentity()
        let key = Self.hash(source + Array(identity.utf8))
        let folder = "\(cache)/\(key)"
        let binary = "\(folder)/script"
        if FileManager.default.isExecutableFile(atPath: binary) { return binary }
        log("compiling \(name) against the library in \(buildFolder)")
        let (compile, link) = try commands()
        // Build in a fresh folder beside the final one, then rename: a concurrent run or an
        // interrupted build never leaves a half-written executable under the key.
        let (work, main) = try workFolder(".build-\(key)", holding: source)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let objects = try linkObjects(link.fileList)
        let objectList = "\(work)/objects"
        guard FileManager.default.createFile(atPath: objectList, contents: Data(objects.joined(separator: "\n").utf8))
        else { throw .cache("cannot write \(objectList)") }
        let (hookSources, hookFlags) = try topLevelErrorHook(in: work)
        let arguments =
            compile.flags + ["-module-name", "refinery_script", main] + hookSources
            + link.flags + hookFlags + ["@" + objectList, "-o", "\(work)/script"]
        let (status, output) = Self.run(compile.swiftc, arguments)
        guard status == 0 else { throw .compile(name, Self.diagnostics(output, copy: main, file: name)) }
        do {
            try? FileManager.default.removeItem(atPath: folder)
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try FileManager.default.moveItem(atPath: "\(work)/script", toPath: binary)
            try Data(source).write(to: URL(fileURLWithPath: "\(folder)/main.swift"))
        } catch {
            throw .cache("cannot install the script in \(folder): \(error)")
        }
        return binary
    }

    /// Type-checks `source` (the script's bytes) against the libraries without compiling or
    /// running it: what `refinery script --check` does, and how the README's code is tested.
    func typecheck(_ source: [UInt8], name: String) throws(ScriptError) {
        let (compile, _) = try commands()
        let (work, main) = try workFolder(".check", holding: source)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let flags = compile.flags.filter { $0 != "-emit-executable" }
        let (status, output) = Self.run(compile.swiftc, flags + ["-typecheck", "-module-name", "refinery_script", main])
        guard status == 0 else { throw .compile(name, Self.diagnostics(output, copy: main, file: name)) }
    }

    /// The compiler's output about `copy` (the hidden `main.swift`) as if about the user's `file`
    /// — its lines are the same — without the driver's note that a sub-command failed.
    static func diagnostics(_ output: String, copy: String, file: String) -> String {
        output.replacingOccurrences(of: copy, with: file)
            .split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !($0.hasPrefix("error: ") && $0.contains(" command failed with exit code ")) }
            .joined(separator: "\n")
    }

    /// The Swift runtime reports an error thrown out of top-level code as a crash: "Fatal error:
    /// Error raised at top level" and a long backtrace, with a signal's exit status. A script's
    /// failing `try` is an ordinary failure, so its executable prints `error: <the error>` as one
    /// line on standard error and exits with status 1 instead. The runtime calls
    /// `swift_errorInMain` for such an error; the linker's `--wrap` sends that call to the
    /// script's own handler (`__wrap_swift_errorInMain`), without redefining a runtime symbol.
    /// ELF linkers only: elsewhere the runtime's report stays.
    private func topLevelErrorHook(in work: String) throws(ScriptError) -> (sources: [String], linkFlags: [String]) {
        #if os(Linux)
        let path = "\(work)/refinery_top_level_error.swift"
        guard FileManager.default.createFile(atPath: path, contents: Data(Self.topLevelErrorHandler.utf8)) else {
            throw .cache("cannot write \(path)")
        }
        return ([path], ["-Xlinker", "--wrap=swift_errorInMain"])
        #else
        return ([], [])
        #endif
    }

    /// The handler ``topLevelErrorHook(in:)`` compiles into every script.
    static let topLevelErrorHandler = """
        import Glibc

        /// A top-level error: one line on standard error, exit status 1 (buffered output is flushed).
        @_silgen_name("__wrap_swift_errorInMain")
        public func __refineryScriptTopLevelError(_ error: any Error) {
            let line = Array("error: \\(String(describing: error))\\n".utf8)
            _ = line.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count) }
            exit(1)
        }

        """

    /// A fresh folder in the cache, named `label` and a unique suffix, holding `source` as its
    /// `main.swift`; the caller removes it.
    private func workFolder(_ label: String, holding source: [UInt8]) throws(ScriptError) -> (folder: String, main: String) {
        let work = "\(cache)/\(label)-\(UUID().uuidString)"
        do {
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        } catch {
            throw .cache("cannot create \(work): \(error)")
        }
        let main = "\(work)/main.swift"
        guard FileManager.default.createFile(atPath: main, contents: Data(source)) else {
            try? FileManager.default.removeItem(atPath: work)
            throw .cache("cannot write \(main)")
        }
        return (work, main)
    }

    /// The compiled `Refinery` module: its size and modification time identify the build.
    private func libraryIdentity() throws(ScriptError) -> String {
        let module = "\(buildFolder)/Modules/Refinery.swiftmodule"
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: module),
            let size = attributes[.size] as? NSNumber, let date = attributes[.modificationDate] as? Date
        else {
            throw .noLibrary(buildFolder)
        }
        return "\(buildFolder)|\(size)|\(date.timeIntervalSince1970)"
    }

    private struct Compile {
        var swiftc: String
        var flags: [String]
    }

    private struct Link {
        var fileList: String
        var flags: [String]
    }

    /// The compile flags and link inputs of ``referenceTarget``, read from the build manifest.
    private func commands() throws(ScriptError) -> (Compile, Link) {
        let folder = URL(fileURLWithPath: buildFolder)
        let configuration = folder.lastPathComponent
        let manifest = folder.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("\(configuration).yaml").path
        guard let text = try? String(contentsOfFile: manifest, encoding: .utf8) else { throw .noLibrary(buildFolder) }
        var moduleArgs: [String]?
        var linkArgs: [String]?
        var current: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  \"C.\(Self.referenceTarget)-") {
                current = line.hasSuffix(".module\":") ? "module" : line.hasSuffix(".exe\":") ? "exe" : nil
            } else if line.hasPrefix("  \"") {
                current = nil
            } else if let kind = current, line.hasPrefix("    args: ") {
                let json = try? JSONValue(parsing: String(line.dropFirst("    args: ".count)))
                let args = json?.arrayValue?.compactMap(\.stringValue)
                if kind == "module" { moduleArgs = args } else { linkArgs = args }
            }
        }
        guard let moduleArgs, let linkArgs, let swiftc = moduleArgs.first else { throw .noLibrary(buildFolder) }

        // Keep what makes the libraries' modules importable and the code alike: search paths,
        // C module maps and their cache, target, language mode and features, optimisation, defines.
        var flags: [String] = []
        var index = 1
        let withValue: Set<String> = [
            "-I", "-target", "-swift-version", "-enable-upcoming-feature", "-Xcc", "-module-cache-path",
        ]
        while index < moduleArgs.count {
            let arg = moduleArgs[index]
            // The compiler plugin of the macros `RefineryGenerable` declares (`@Generable`), which
            // SwiftPM hands the frontend as `-Xfrontend -load-plugin-executable -Xfrontend PATH#MODULE`.
            if arg == "-Xfrontend", index + 3 < moduleArgs.count, moduleArgs[index + 1] == "-load-plugin-executable" {
                flags += moduleArgs[index...(index + 3)]
                index += 4
                continue
            }
            if withValue.contains(arg), index + 1 < moduleArgs.count {
                flags += [arg, moduleArgs[index + 1]]
                index += 2
                continue
            }
            if arg == "-O" || arg == "-Onone" || arg == "-Osize" || arg == "-g" || arg.hasPrefix("-D") {
                flags.append(arg)
            }
            index += 1
        }
        // Link as the example does, minus its own objects and entry-point renaming.
        var linkFlags: [String] = []
        var fileList: String?
        index = 1
        while index < linkArgs.count {
            let arg = linkArgs[index]
            if arg.hasPrefix("@") {
                fileList = String(arg.dropFirst())
            } else if arg == "-L", index + 1 < linkArgs.count {
                linkFlags += [arg, linkArgs[index + 1]]
                index += 1
            } else if arg == "-Xlinker", index + 1 < linkArgs.count {
                let value = linkArgs[index + 1]
                if value == "--defsym", index + 3 < linkArgs.count {
                    index += 3  // --defsym main=research_pipeline_main
                } else {
                    linkFlags += [arg, value]
                    index += 1
                }
            } else if arg.hasPrefix("-l") {
                linkFlags.append(arg)
            }
            index += 1
        }
        guard let fileList else { throw .noLibrary(buildFolder) }
        return (Compile(swiftc: swiftc, flags: flags + ["-emit-executable"]), Link(fileList: fileList, flags: linkFlags))
    }

    /// The example's link inputs without the example's own objects.
    private func linkObjects(_ fileList: String) throws(ScriptError) -> [String] {
        guard let text = try? String(contentsOfFile: fileList, encoding: .utf8) else { throw .noLibrary(buildFolder) }
        let ownObjects = "/" + Self.referenceTarget.replacingOccurrences(of: "-", with: "_") + ".build/"
        let objects = text.split(separator: "\n").map(String.init).filter { !$0.contains(ownObjects) }
        guard !objects.isEmpty else { throw .noLibrary(buildFolder) }
        return objects.map { $0.contains(" ") ? "\"\($0)\"" : $0 }
    }

    /// Runs `executable arguments…` and returns its status and combined output.
    private static func run(_ executable: String, _ arguments: [String]) -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do { try process.run() } catch { return (-1, "cannot run \(executable): \(error)") }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    /// A 128-bit FNV-1a of `bytes` (two 64-bit lanes with different offsets), as hex: a cache key.
    static func hash(_ bytes: [UInt8]) -> String {
        var a: UInt64 = 0xcbf2_9ce4_8422_2325
        var b: UInt64 = 0x6c62_272e_07bb_0142
        for byte in bytes {
            a = (a ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            b = (b ^ UInt64(byte ^ 0x5a)) &* 0x0000_0100_0000_01b3
        }
        return String(a, radix: 16) + String(b, radix: 16)
    }
}

/// Why a script could not be compiled or run.
struct ScriptError: Error, Sendable, CustomStringConvertible {
    private enum Code: Sendable { case noLibrary, compile, cache }
    private let code: Code
    let message: String

    static func noLibrary(_ folder: String) -> ScriptError {
        ScriptError(
            code: .noLibrary,
            message: """
                no compiled library beside this refinery (\(folder)): `refinery script` compiles against the \
                package's build — run it from a build of the package (`make build`, or `swift build -c release`), \
                or set REFINERY_BUILD_DIR to that build's folder
                """)
    }
    static func compile(_ name: String, _ output: String) -> ScriptError {
        ScriptError(code: .compile, message: "\(name) does not compile:\n\(output)")
    }
    static func cache(_ reason: String) -> ScriptError { ScriptError(code: .cache, message: reason) }

    var description: String { message }
}
