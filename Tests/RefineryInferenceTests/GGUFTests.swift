import RefineryCore
import RefineryInferenceTesting
import Foundation
import RefineryInference
import RefineryTesting
import Testing

@Suite("GGUF reader")
struct GGUFTests {
    static func sample() -> GGUFWriter {
        var w = GGUFWriter()
        w.add("general.architecture", .string("llama"))
        w.add("general.name", .string("tiny ☃"))
        w.add("llama.block_count", .uint32(2))
        w.add("llama.rope.freq_base", .float32(10000))
        w.add("flag", .bool(true))
        w.add("big", .int64(-5))
        w.add("tokens", .array([.string("a"), .string("b▁"), .string("<0x0A>")]))
        w.add("nested", .array([.array([.int32(1), .int32(2)]), .array([.int32(3)])]))
        w.addTensor(name: "w", shape: [4, 2], floats: [1, 2, 3, 4, 5, 6, 7, 8])
        w.addTensor(name: "q", type: .q8_0, shape: [32, 1], data: [UInt8](repeating: 7, count: 34))
        return w
    }

    @Test("a written file reads back: metadata, order, tensors and data")
    func roundTrip() throws {
        let file = try GGUFFile(bytes: Self.sample().bytes())
        #expect(file.version == 3)
        #expect(file.architecture == "llama")
        #expect(file.string("general.name") == "tiny ☃")
        #expect(file.int("llama.block_count") == 2)
        #expect(file.float("llama.rope.freq_base") == 10000)
        #expect(file.bool("flag") == true)
        #expect(file.int("big") == -5)
        #expect(file.stringArray("tokens") == ["a", "b▁", "<0x0A>"])
        #expect(file.metadata["nested"] == .array([.array([.int32(1), .int32(2)]), .array([.int32(3)])]))
        #expect(file.metadataKeys.first == "general.architecture")
        let w = try #require(file.tensor(named: "w"))
        #expect(w.shape == [4, 2] && w.rowLength == 4 && w.rowCount == 2 && w.byteCount == 32)
        #expect(w.offset % 32 == 0)
        let floats = file.bytes(for: w).withMemoryRebound(to: Float.self) { Array($0) }
        #expect(floats == [1, 2, 3, 4, 5, 6, 7, 8])
        let q = try #require(file.tensor(named: "q"))
        #expect(q.type == .q8_0 && q.byteCount == 34)
        #expect(file.bytes(for: q).allSatisfy { $0 == 7 })
    }

    @Test("malformed headers give typed errors naming field and offset")
    func malformed() throws {
        let good = Self.sample().bytes()
        func error(_ bytes: [UInt8]) -> GGUFError? {
            do { _ = try GGUFFile(bytes: bytes); return nil } catch { return error }
        }
        var bad = good
        bad[0] = 0x00
        #expect(error(bad)?.isKind(of: .badMagic(found: 0)) == true)
        bad = good
        bad[4] = 9
        #expect(error(bad) == .unsupportedVersion(9))
        #expect(error(Array(good.prefix(3)))?.isKind(of: .truncated(field: "", offset: 0, needed: 0)) == true)
        // A huge tensor count is refused before anything is allocated.
        bad = good
        for i in 8..<16 { bad[i] = 0xFF }
        #expect(error(bad)?.isKind(of: .tooLarge(field: "", offset: 0, value: 0)) == true)
        #expect(error(bad)?.offset == 8)
        // Truncating inside the tensor data is caught at open, not by a SIGBUS later.
        let e = error(Array(good.dropLast(40)))
        #expect(e?.isKind(of: .badTensor("", offset: nil, "")) == true)
        #expect(e?.field == "q")
    }

    @Test("invalid UTF-8, duplicate keys, bad tensor types and overlaps are refused")
    func hostileContent() throws {
        var w = GGUFWriter()
        w.add("k", .string("x"))
        w.add("k", .string("y"))
        #expect(throws: GGUFError.duplicateKey("k", offset: 46)) { _ = try GGUFFile(bytes: w.bytes()) }
        var u = GGUFWriter()
        u.add("name", .string("ab"))
        var bytes = u.bytes()
        if let i = bytes.lastIndex(of: UInt8(ascii: "b")) { bytes[i] = 0xC3 } // lone lead byte
        do {
            _ = try GGUFFile(bytes: bytes)
            Issue.record("invalid UTF-8 accepted")
        } catch {
            #expect(error.field == "name")
        }
        var t = GGUFWriter()
        t.addTensor(name: "odd", type: .q4_0, shape: [10], data: [UInt8](repeating: 0, count: 18))
        #expect(throws: GGUFError.self) { _ = try GGUFFile(bytes: t.bytes()) }
    }

    @Test("every real model file present opens, with tensors inside the file", arguments: [TestModels.smolLM2, TestModels.qwen05, TestModels.gemma3])
    func realModels(name: String) throws {
        guard let path = TestModels.path(name) else {
            print("skipped: \(TestModels.missingReason(name))")
            return
        }
        let file = try GGUFFile.open(path: path)
        #expect(file.architecture != nil)
        #expect(!file.tensors.isEmpty)
        #expect(file.tensors.allSatisfy { $0.offset >= file.dataOffset && $0.offset + $0.byteCount <= file.fileSize })
    }

    @Test("the real SmolLM2 file opens with its metadata and tensors")
    func realModel() throws {
        guard let path = TestModels.path(TestModels.smolLM2) else {
            print("skipped: \(TestModels.missingReason(TestModels.smolLM2))")
            return
        }
        let file = try GGUFFile.open(path: path)
        #expect(file.architecture == "llama")
        #expect(file.int("llama.block_count") == 30)
        #expect(file.int("llama.embedding_length") == 576)
        #expect(file.stringArray("tokenizer.ggml.tokens")?.count == 49152)
        #expect(file.tensors.count == 272)
        let embed = try #require(file.tensor(named: "token_embd.weight"))
        #expect(embed.shape == [576, 49152])
        #expect(file.tensors.allSatisfy { $0.offset + $0.byteCount <= file.fileSize })
    }

    @Test("10,000 random mutations of synthetic and real headers never crash")
    func fuzz() throws {
        var rng = SplitMix64(seed: 42)
        var seeds: [[UInt8]] = [Self.sample().bytes()]
        var v2 = Self.sample()
        v2.version = 2
        seeds.append(v2.bytes())
        if let path = TestModels.path(TestModels.smolLM2) {
            // The header of the real file (metadata and tensor infos), without the weights.
            let file = try GGUFFile.open(path: path)
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            seeds.append([UInt8](handle.readData(ofLength: file.dataOffset)))
        }
        var accepted = 0
        for i in 0..<10_000 {
            // The real header is large (its vocabulary): mutate it every 20th round so the test stays quick.
            let seed = i % 20 == 0 ? seeds[seeds.count - 1] : seeds[i % 2]
            var bytes = seed
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let at = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 5 {
                case 0: bytes[at] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
                case 1: bytes[at] = 0xFF
                case 2:
                    let v = rng.next()
                    for k in 0..<8 where at + k < bytes.count { bytes[at + k] = UInt8(truncatingIfNeeded: v >> (8 * k)) }
                case 3: bytes.removeSubrange(at...)
                default: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: at)
                }
                if bytes.isEmpty { break }
            }
            if (try? GGUFFile(bytes: bytes)) != nil { accepted += 1 }
        }
        #expect(accepted < 10_000)
    }
}
