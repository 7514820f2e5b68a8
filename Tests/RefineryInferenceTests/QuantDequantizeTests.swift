import RefineryCore
import Foundation
import Testing
import RefineryInference

/// Loads a committed quant fixture (see scripts/reference/make_quant_fixtures.py).
func quantFixture(_ name: String, _ ext: String) throws -> Data {
    let url = try #require(
        Bundle.module.url(forResource: "quant/\(name)", withExtension: ext, subdirectory: "Fixtures"))
    return try Data(contentsOf: url)
}

/// Distance in units in the last place between two finite floats.
func ulpDistance(_ a: Float, _ b: Float) -> UInt32 {
    func ordered(_ x: Float) -> Int64 {
        let bits = Int64(x.bitPattern)
        return bits & 0x8000_0000 != 0 ? -(bits & 0x7FFF_FFFF) : bits
    }
    let d = ordered(a) - ordered(b)
    return UInt32(clamping: d < 0 ? -d : d)
}

@Suite("Dequantization against the gguf package's reference")
struct QuantDequantizeTests {
    static let supported: [GGMLType] = [
        .f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K,
    ]

    @Test("every supported format dequantizes random blocks within 1 ulp", arguments: supported)
    func matchesReference(type: GGMLType) throws {
        let blocks = try quantFixture(type.description, "blocks")
        let expected = try quantFixture(type.description, "f32").withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        let actual = try blocks.withUnsafeBytes { try Dequantizer.dequantize(type, bytes: $0, tensor: "fixture") }
        try #require(actual.count == expected.count)
        var worst: UInt32 = 0
        for i in 0..<actual.count { worst = max(worst, ulpDistance(actual[i], expected[i])) }
        #expect(worst <= 1, "\(type): worst difference \(worst) ulp")
    }

    @Test("a row read at an odd address gives the same floats")
    func unalignedRows() throws {
        for type in [GGMLType.q4_K, .q5_K, .q6_K, .q8_0, .f16] {
            let blocks = try quantFixture(type.description, "blocks")
            let aligned = try blocks.withUnsafeBytes { try Dequantizer.dequantize(type, bytes: $0) }
            let shifted = try (Data([0]) + blocks).withUnsafeBytes {
                try Dequantizer.dequantize(type, bytes: UnsafeRawBufferPointer(rebasing: $0.dropFirst()))
            }
            #expect(aligned.map(\.bitPattern) == shifted.map(\.bitPattern))
        }
    }

    @Test("unsupported formats throw an error naming the type and tensor")
    func unsupportedType() {
        for type in [GGMLType.iq2_xxs, .iq4_xs, .tq1_0, .q8_1, .i32] {
            #expect(throws: QuantError.self) {
                try Dequantizer.validate(type, count: 256, tensor: "blk.0.ffn_down.weight")
            }
            do {
                try Dequantizer.validate(type, count: 256, tensor: "blk.0.ffn_down.weight")
            } catch {
                #expect(error.code == .unsupportedType)
                #expect(error.type == type)
                #expect(error.message.contains("blk.0.ffn_down.weight"))
                #expect(error.message.contains(type.description))
            }
        }
    }

    @Test("a count that is not a whole number of blocks is refused")
    func partialBlock() {
        do {
            try Dequantizer.validate(.q4_K, count: 896, tensor: "t")
            Issue.record("896 values of Q4_K accepted")
        } catch {
            #expect(error.code == .partialBlock)
            #expect(error.value == 896)
        }
        #expect(throws: QuantError.self) {
            _ = try [UInt8](repeating: 0, count: 19).withUnsafeBytes { try Dequantizer.dequantize(.q4_0, bytes: $0) }
        }
    }
}
