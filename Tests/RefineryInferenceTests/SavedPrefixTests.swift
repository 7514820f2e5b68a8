import Foundation
import RefineryCore
import RefineryInferenceTesting
import Testing
@testable import RefineryInference
import RefineryTesting

/// Prompt prefixes saved to disk by one engine and loaded by the next, on a tiny synthetic
/// model: round trip, what gets written, every broken file ignored and written again, hostile
/// headers, concurrent writers, eviction and turning it off.
@Suite("Saved prompt prefixes (tiny model)", .serialized)
struct SavedPrefixTests {
    /// A fresh folder for one test's files.
    static func folder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("refinery-prefixes-\(UUID().uuidString)").path
    }

    static func engine(_ folder: String?, minimumTokens: Int = 64, maxFiles: Int = 8, architecture: String = "llama",
                       prefixCache: Bool = true) throws -> InferenceEngine {
        var writer = TinyGGUFWriter(architecture: architecture)
        writer.weightType = .q8_0
        let saved = folder.map { SavedPrefixOptions(folder: $0, minimumTokens: minimumTokens, maxFiles: maxFiles) }
        return try InferenceEngine(file: GGUFFile(bytes: writer.bytes()),
                                   options: .init(threads: 2, contextLength: 256, maxSequences: 4,
                                                  prefixCacheTokens: prefixCache ? nil : 0, savedPrefixes: saved))
    }

    /// The files of the one model folder under `folder`.
    static func files(_ folder: String) -> [String] {
        let models = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return models.flatMap { model in
            ((try? FileManager.default.contentsOfDirectory(atPath: folder + "/" + model)) ?? []).map { model + "/" + $0 }
        }.sorted()
    }

    static func run(_ engine: InferenceEngine, _ prompt: [Int32], maxTokens: Int = 8) async throws -> ([Int32], EngineStats) {
        let result = try await EngineGenerationTests.run(engine, prompt, GenerationOptions(sampling: .greedy, maxTokens: maxTokens))
        engine.waitForSavedPrefixes()
        return result
    }

    /// A fixed prefix of `count` tokens followed by a question varied by `seed`.
    static func prompt(fixed count: Int = 200, question seed: Int32 = 0) -> [Int32] {
        EnginePrefixCacheTests.prompt(count) + (0..<9).map { 1 + ($0 &* 11 &+ seed &* 17) % 200 }
    }

    /// The tokens an engine with no caches at all generates.
    static func reference(_ prompt: [Int32]) async throws -> [Int32] {
        try await run(engine(nil, prefixCache: false), prompt).0
    }

    @Test("a prefix computed by one engine is loaded by the next, with the same tokens as computing it")
    func roundTrip() async throws {
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let first = try Self.engine(folder)
        let (_, firstStats) = try await Self.run(first, Self.prompt())
        #expect(firstStats.cachedTokens == 0)
        let files = Self.files(folder)
        #expect(files.count == 1 && files[0].hasSuffix(".kv"), "\(files)")
        #expect(first.savedPrefixCounters?.savedFiles == 1)

        let second = try Self.engine(folder)
        let next = Self.prompt(question: 1)
        let (tokens, stats) = try await Self.run(second, next)
        #expect(stats.cachedTokens == 192, "six full blocks of the shared 200 tokens")
        #expect(second.savedPrefixCounters?.loadedBlocks == 6)
        #expect(tokens == (try await Self.reference(next)))
        #expect(Self.files(folder) == files, "a new question after the saved prefix writes nothing")
        // Within the process the loaded blocks are in the prefix cache: no second read.
        let (_, again) = try await Self.run(second, Self.prompt(question: 2))
        #expect(again.cachedTokens == 192)
        #expect(second.savedPrefixCounters?.loadedBlocks == 6)
    }

    @Test("short prompts, and prompts whose new part is short, are not written")
    func whatIsWritten() async throws {
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let engine = try Self.engine(folder, minimumTokens: 96)
        _ = try await Self.run(engine, EnginePrefixCacheTests.prompt(90))
        #expect(Self.files(folder).isEmpty)
        _ = try await Self.run(engine, Self.prompt(fixed: 128))
        #expect(Self.files(folder).count == 1)
        // 64 more positions than the saved file: under the minimum of 96.
        _ = try await Self.run(engine, EnginePrefixCacheTests.prompt(200))
        #expect(Self.files(folder).count == 1)
        _ = try await Self.run(engine, EnginePrefixCacheTests.prompt(240))
        #expect(Self.files(folder).count == 2)
    }

    /// Saves the standard prompt's prefix and returns the file's path.
    static func savedFile(in folder: String) async throws -> String {
        _ = try await run(engine(folder), prompt())
        let files = Self.files(folder)
        try #require(files.count == 1)
        return folder + "/" + files[0]
    }

    /// Runs a fresh engine on the next question after `damage` was done to the saved file: it
    /// must ignore the file, answer as if computing, and write the file anew.
    static func expectIgnoredAndRewritten(_ damage: (String) throws -> Void) async throws {
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = try await savedFile(in: folder)
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        try damage(path)
        let engine = try Self.engine(folder)
        let next = Self.prompt(question: 3)
        let (tokens, stats) = try await Self.run(engine, next)
        #expect(stats.cachedTokens == 0)
        #expect(engine.savedPrefixCounters?.rejectedFiles == 1)
        #expect(tokens == (try await Self.reference(next)))
        let files = Self.files(folder)
        #expect(files.count == 1 && !files[0].contains(".tmp-"), "\(files)")
        let rewritten = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + files[0]))
        #expect(rewritten.count == original.count, "written again, whole")
    }

    @Test("a flipped byte in the data fails its block checksum; the file is ignored and written again")
    func corruptData() async throws {
        try await Self.expectIgnoredAndRewritten { path in
            var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            bytes[bytes.count - 100] ^= 0x40
            try bytes.write(to: URL(fileURLWithPath: path))
        }
    }

    @Test("a truncated file fails the size check")
    func truncated() async throws {
        try await Self.expectIgnoredAndRewritten { path in
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            try bytes.prefix(bytes.count - 1000).write(to: URL(fileURLWithPath: path))
        }
    }

    @Test("a changed token id fails the header checksum")
    func corruptHeader() async throws {
        try await Self.expectIgnoredAndRewritten { path in
            var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            bytes[SavedPrefixFormat.headerSize + 8] ^= 1
            try bytes.write(to: URL(fileURLWithPath: path))
        }
    }

    @Test("a file of another format version is ignored")
    func otherVersion() async throws {
        try await Self.expectIgnoredAndRewritten { path in
            var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            bytes[4] = 99
            try bytes.write(to: URL(fileURLWithPath: path))
        }
    }

    @Test("a file saved for another model is ignored, even when copied into this model's folder")
    func otherModel() async throws {
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = try await Self.savedFileOfOtherModel(in: folder)
        let engine = try Self.engine(folder)
        let store = try #require(engine.savedPrefixStore)
        try FileManager.default.createDirectory(atPath: store.folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: path, toPath: store.folder + "/" + (path as NSString).lastPathComponent)
        let (_, stats) = try await Self.run(engine, Self.prompt(question: 4))
        #expect(stats.cachedTokens == 0)
        #expect(engine.savedPrefixCounters?.rejectedFiles == 1)
    }

    static func savedFileOfOtherModel(in folder: String) async throws -> String {
        let other = try engine(folder, architecture: "qwen2")
        _ = try await run(other, prompt())
        return folder + "/" + files(folder)[0]
    }

    @Test("hostile headers (huge counts, garbage, empty files) are rejected without reading past them")
    func hostileHeaders() async throws {
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let engine = try Self.engine(folder)
        let store = try #require(engine.savedPrefixStore)
        try FileManager.default.createDirectory(atPath: store.folder, withIntermediateDirectories: true)
        func header(layers: UInt32, kv: UInt32, block: UInt32, blocks: UInt32) -> Data {
            var bytes = Data()
            for value in [SavedPrefixFormat.magic, SavedPrefixFormat.version] { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
            withUnsafeBytes(of: store.identity.littleEndian) { bytes.append(contentsOf: $0) }
            for value in [layers, kv, block, blocks] { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
            return bytes + Data(count: 16)
        }
        let cases: [Data] = [
            Data(), Data("not a prefix".utf8), Data(count: 4096),
            header(layers: 2, kv: 32, block: 32, blocks: .max), header(layers: .max, kv: .max, block: .max, blocks: .max),
            header(layers: 2, kv: 32, block: 32, blocks: 0), header(layers: 2, kv: 32, block: 32, blocks: 1 << 15),
        ]
        for (index, bytes) in cases.enumerated() {
            try bytes.write(to: URL(fileURLWithPath: store.folder + "/\(index)000000000000000.kv"))
        }
        let (tokens, stats) = try await Self.run(engine, Self.prompt())
        #expect(stats.cachedTokens == 0)
        #expect(engine.savedPrefixCounters?.rejectedFiles == cases.count)
        #expect(tokens == (try await Self.reference(Self.prompt())))
        #expect(Self.files(folder).count == 1, "the hostile files are gone; the real prefix is saved")
    }

    @Test("engines writing the same prefix at once leave one whole file and no temporary ones")
    func concurrentWriters() async throws {
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let engines = try (0..<3).map { _ in try Self.engine(folder) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for engine in engines { group.addTask { _ = try await Self.run(engine, Self.prompt()) } }
            try await group.waitForAll()
        }
        let files = Self.files(folder)
        #expect(files.count == 1 && files[0].hasSuffix(".kv"), "\(files)")
        let reader = try Self.engine(folder)
        let (_, stats) = try await Self.run(reader, Self.prompt(question: 5))
        #expect(stats.cachedTokens == 192)
        #expect(reader.savedPrefixCounters?.rejectedFiles == 0)
    }

    @Test("a temporary file of a process that is gone is removed; one of a live process is left alone")
    func staleTemporaryFiles() async throws {
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let engine = try Self.engine(folder)
        let store = try #require(engine.savedPrefixStore)
        try FileManager.default.createDirectory(atPath: store.folder, withIntermediateDirectories: true)
        let live = store.folder + "/0123456789abcdef.kv.tmp-\(getpid())-1"
        let dead = store.folder + "/0123456789abcdef.kv.tmp-2147483000-1"
        for path in [live, dead] { try Data(count: 10).write(to: URL(fileURLWithPath: path)) }
        _ = try await Self.run(engine, Self.prompt())
        #expect(FileManager.default.fileExists(atPath: live))
        #expect(!FileManager.default.fileExists(atPath: dead))
        #expect(SavedPrefixStore.writerProcess(ofTemporary: "x.kv.tmp-42-7") == 42)
        #expect(SavedPrefixStore.writerProcess(ofTemporary: "x.kv") == nil)
    }

    @Test("only the most recently used files are kept")
    func eviction() async throws {
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let engine = try Self.engine(folder, maxFiles: 2)
        for seed in 0..<3 {
            _ = try await Self.run(engine, EnginePrefixCacheTests.prompt(150, seed: Int32(seed + 1)))
            try await Task.sleep(for: .milliseconds(20))  // distinct modification times
        }
        #expect(Self.files(folder).count == 2)
        let reader = try Self.engine(folder)
        let (_, oldest) = try await Self.run(reader, EnginePrefixCacheTests.prompt(150, seed: 1))
        #expect(oldest.cachedTokens == 0, "the oldest was evicted")
        let (_, newest) = try await Self.run(reader, EnginePrefixCacheTests.prompt(150, seed: 3))
        #expect(newest.cachedTokens == 128)
    }

    @Test("with saved prefixes off nothing is written, and the environment can turn them off")
    func disabled() async throws {
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let engine = try Self.engine(nil)
        _ = try await Self.run(engine, Self.prompt())
        #expect(engine.savedPrefixStore == nil)
        #expect(!FileManager.default.fileExists(atPath: folder))
        for value in ["off", "0", "false", "NO"] {
            #expect(SavedPrefixOptions.fromEnvironment(["REFINERY_PREFIX_CACHE": value, "REFINERY_HOME": "/h"]) == nil)
        }
        #expect(SavedPrefixOptions.fromEnvironment(["REFINERY_HOME": "/h"])?.folder == "/h/prefixes")
        #expect(SavedPrefixOptions.fromEnvironment(["REFINERY_PREFIX_CACHE": "on", "REFINERY_HOME": "/h"]) != nil)
    }

    @Test("the checksum sees flipped, dropped and zeroed bytes")
    func checksum() {
        let bytes: [UInt8] = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let base = bytes.withUnsafeBytes { SavedPrefixFormat.checksum($0) }
        var flipped = bytes
        flipped[517] ^= 1
        var zeroed = bytes
        for i in 100..<140 { zeroed[i] = 0 }
        for other in [flipped, Array(bytes.dropLast()), zeroed, Array(bytes.dropFirst())] {
            #expect(other.withUnsafeBytes { SavedPrefixFormat.checksum($0) } != base)
        }
    }
}
