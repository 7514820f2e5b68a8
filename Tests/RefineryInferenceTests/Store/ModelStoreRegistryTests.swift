import RefineryInferenceTesting
import RefineryCore
import Foundation
import Testing

@testable import RefineryInference

@Suite("Model store: list, path, add, rm")
struct ModelStoreRegistryTests {
    /// A fake GGUF file outside the store.
    private func userModel(_ fixture: StoreFixture, name: String = "mine.gguf") throws -> String {
        let path = "\(fixture.packages.folder)/\(name)"
        try Data(FakePackages.ggufBytes(count: 4096, seed: 9)).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("the root is $REFINERY_HOME, else ~/.cache/refinery")
    func root() {
        #expect(ModelStore.defaultRoot(["REFINERY_HOME": "/srv/refinery", "HOME": "/home/a"]) == "/srv/refinery")
        #expect(ModelStore.defaultRoot(["HOME": "/home/a"]) == "/home/a/.cache/refinery")
        let store = ModelStore(root: "/srv/refinery/")
        #expect(store.modelsFolder == "/srv/refinery/models")
        #expect(
            store.installPath(for: ModelCatalog.builtin.entries[0]) == "/srv/refinery/models/qwen2.5-coder-0.5b-instruct.gguf"
        )
        let relative = ModelStore(root: "relative/store")
        #expect(relative.root == FileManager.default.currentDirectoryPath + "/relative/store")
    }

    @Test("the environment can point the store at another catalog file")
    func catalogFromEnvironment() async throws {
        let fixture = try await StoreFixture.make()
        let file = "\(fixture.packages.folder)/catalog.json"
        try JSONEncoder().encode(fixture.catalog).write(to: URL(fileURLWithPath: file))
        let store = try ModelStore.fromEnvironment(["REFINERY_HOME": fixture.root, "REFINERY_CATALOG": file])
        #expect(store.catalog == fixture.catalog)
        #expect(store.root == fixture.root)
        #expect(throws: ModelStoreError.self) {
            try ModelStore.fromEnvironment(["REFINERY_CATALOG": "/nonexistent.json"])
        }
    }

    @Test("list shows every catalog entry with its state, then added files")
    func list() async throws {
        let fixture = try await StoreFixture.make()
        let store = fixture.store()
        #expect(try store.models().map(\.isInstalled) == [false, false])
        _ = try await store.pull("fake-single")
        try store.add(file: try userModel(fixture))
        let models = try store.models()
        #expect(models.map(\.name) == ["fake-single", "fake-joined", "mine"])
        #expect(models.map(\.isInstalled) == [true, false, true])
        #expect(models[0].sizeBytes == Int64(fixture.singleBytes.count))
        #expect(models[2].source == .added)
        #expect(models[0].catalogEntry?.name == "fake-single")
    }

    @Test("path: installed and added models resolve; others fail with their reason")
    func path() async throws {
        let fixture = try await StoreFixture.make()
        let store = fixture.store()
        #expect(throws: ModelStoreError.self) { try store.path(of: "fake-single") }
        do {
            _ = try store.path(of: "fake-single")
        } catch let error as ModelStoreError {
            #expect(error.code == .notInstalled)
            #expect(error.message.contains("refinery models pull fake-single"))
        }
        do {
            _ = try store.path(of: "nope")
        } catch let error as ModelStoreError {
            #expect(error.code == .unknownModel)
            #expect(error.message.contains("fake-single"))
        }
        let file = try userModel(fixture)
        try store.add(file: file, name: "my-model")
        #expect(try store.path(of: "my-model") == file)
        #expect(try store.locate(file) == file)
        #expect(try store.locate("my-model") == file)
        try FileManager.default.removeItem(atPath: file)
        do {
            _ = try store.path(of: "my-model")
        } catch let error as ModelStoreError {
            #expect(error.code == .invalidModelFile)
        }
    }

    @Test("add registers a GGUF under a valid, free name, idempotently, in an atomic JSON registry")
    func add() async throws {
        let fixture = try await StoreFixture.make()
        let store = fixture.store()
        let file = try userModel(fixture)
        let model = try store.add(file: file)
        #expect(model.name == "mine")
        try store.add(file: file)
        let registry = try String(contentsOfFile: store.registryPath, encoding: .utf8)
        #expect(registry.contains("\"name\" : \"mine\""))
        #expect(registry.contains(file))
        #expect(try store.models().filter { $0.source == .added }.count == 1)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: fixture.root).filter { $0.contains(".tmp") }.isEmpty)

        func code(_ body: () throws -> Void) -> ModelStoreError.Code? {
            do { try body() } catch let error as ModelStoreError { return error.code } catch {}
            return nil
        }
        #expect(code { try store.add(file: file, name: "fake-single") } == .nameInUse)
        #expect(code { try store.add(file: try userModel(fixture, name: "other.gguf"), name: "mine") } == .nameInUse)
        #expect(code { try store.add(file: file, name: "bad name") } == .invalidName)
        #expect(code { try store.add(file: "\(fixture.packages.folder)/absent.gguf") } == .invalidModelFile)
        let text = "\(fixture.packages.folder)/notes.gguf"
        try Data("hello".utf8).write(to: URL(fileURLWithPath: text))
        #expect(code { try store.add(file: text) } == .invalidModelFile)
    }

    @Test("rm deletes a pulled model but only forgets an added one")
    func remove() async throws {
        let fixture = try await StoreFixture.make()
        let store = fixture.store()
        _ = try await store.pull("fake-single")
        try store.remove("fake-single")
        #expect(fixture.modelsFolderContents().isEmpty)
        #expect(throws: ModelStoreError.self) { try store.remove("fake-single") }
        let file = try userModel(fixture)
        try store.add(file: file)
        try store.remove("mine")
        #expect(FileManager.default.fileExists(atPath: file))
        #expect(try store.models().count == 2)
        #expect(throws: ModelStoreError.self) { try store.remove("mine") }
    }

    @Test("add into an unwritable store is a clear error")
    func unwritable() async throws {
        let fixture = try await StoreFixture.make()
        let blocker = "\(fixture.root)/blocker"
        _ = FileManager.default.createFile(atPath: blocker, contents: Data())
        let store = ModelStore(root: "\(blocker)/store", catalog: fixture.catalog)
        do {
            try store.add(file: try userModel(fixture))
            Issue.record("add succeeded in an unwritable store")
        } catch let error as ModelStoreError {
            #expect(error.code == .storeNotWritable)
        }
    }
}
