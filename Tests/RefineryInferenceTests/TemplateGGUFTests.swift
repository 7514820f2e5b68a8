import RefineryCore
import Foundation
import Testing
import RefineryInference

/// The templates embedded in the real GGUF files are the committed fixtures, so the reference
/// renderings apply to what the models actually ship.
@Suite("Chat templates embedded in GGUF models")
struct TemplateGGUFTests {
    static func modelsDirectories() -> [URL] {
        var dirs: [URL] = []
        if let env = ProcessInfo.processInfo.environment["REFINERY_TEST_MODELS_DIR"] { dirs.append(URL(fileURLWithPath: env)) }
        let home = ProcessInfo.processInfo.environment["REFINERY_HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/refinery")
        dirs.append(home.appendingPathComponent("models"))
        dirs.append(URL(fileURLWithPath: "/work/models"))
        return dirs
    }

    /// `tokenizer.chat_template` read straight from the GGUF metadata bytes (key, type 8 =
    /// string, little-endian u64 length, UTF-8 bytes): enough for this check, independent of
    /// the engine's GGUF reader.
    static func embeddedTemplate(_ file: String) throws -> String? {
        guard let url = modelsDirectories().map({ $0.appendingPathComponent(file) })
            .first(where: { FileManager.default.fileExists(atPath: $0.path) }) else {
            print("skipping \(file): model not found (set REFINERY_TEST_MODELS_DIR)")
            return nil
        }
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        let data = try handle.read(upToCount: 64 << 20) ?? Data()
        let key = Data("tokenizer.chat_template".utf8)
        guard let range = data.range(of: key) else { return nil }
        var offset = range.upperBound
        guard offset + 12 <= data.count else { return nil }
        let type = data[offset..<offset + 4].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
        guard UInt32(littleEndian: type) == 8 else { return nil }
        offset += 4
        let length = Int(UInt64(littleEndian: data[offset..<offset + 8].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }))
        offset += 8
        guard length < 1 << 20, offset + length <= data.count else { return nil }
        return String(decoding: data[offset..<offset + length], as: UTF8.self)
    }

    @Test("Qwen2.5 and SmolLM2 ship the fixture templates, which render as the reference", arguments: [
        ("qwen2.5-coder-0.5b-instruct.gguf", "qwen2.5-coder-0.5b-instruct"),
        ("smollm2-135m-instruct.gguf", "smollm2-135m-instruct"),
    ])
    func embedded(file: String, fixture: String) throws {
        guard let source = try Self.embeddedTemplate(file) else { return }
        #expect(source == (try TemplateFixtures.text(fixture + ".jinja")))
        let template = try ChatTemplate(source: source)
        let cases = try TemplateFixtures.cases("cases.json").filter { $0.name.hasPrefix(fixture + "/") && $0.expected != nil }
        #expect(cases.count >= 10)
        for c in cases {
            #expect(try template.render(context: c.context, clock: TemplateFixtures.clock) == c.expected, "\(c.name)")
        }
    }
}
