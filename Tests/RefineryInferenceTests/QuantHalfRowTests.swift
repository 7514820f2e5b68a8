import RefineryCore
import RefineryTesting
import Testing
import RefineryInference

@Suite("F16 rows for the KV cache")
struct QuantHalfRowTests {
    static func interestingFloats() -> [Float] {
        var rng = SplitMix64(state: 11)
        var values: [Float] = [0, -0, 1, -1, 65504, 65520, 70000, -70000, .infinity, -.infinity,
                               5.96e-8, 2.98e-8, 2.99e-8, 6.1e-5, 6.0e-5, 1e-10, 0.1, 1.0009765, 1.00048828125]
        values += (0..<1000).map { _ in Float.random(in: -10...10, using: &rng) }
        values += (0..<200).map { _ in Float(bitPattern: UInt32.random(in: 0...0xFFFF_FFFF, using: &rng) & 0xBFFF_FFFF) }
        return values
    }

    @Test("float to half rounds to nearest even like Float16, and back is exact, at every level")
    func conversions() {
        let x = Self.interestingFloats().filter { !$0.isNaN }
        let expected = x.map { Float16($0).bitPattern }
        _ = atEachLevel { level in
            var halves = [UInt16](repeating: 0, count: x.count)
            var back = [Float](repeating: 0, count: x.count)
            x.withUnsafeBufferPointer { src in
                halves.withUnsafeMutableBufferPointer { HalfRow.fromFloat(src.baseAddress!, into: $0.baseAddress!, count: x.count, level: level) }
            }
            halves.withUnsafeBufferPointer { src in
                back.withUnsafeMutableBufferPointer { HalfRow.toFloat(src.baseAddress!, into: $0.baseAddress!, count: x.count, level: level) }
            }
            #expect(halves == expected, "\(level)")
            #expect(back.map(\.bitPattern) == expected.map { Float(Float16(bitPattern: $0)).bitPattern }, "\(level)")
        }
    }

    @Test("every half bit pattern converts to the float Float16 gives")
    func allHalves() {
        let all = (0...UInt16.max).map { $0 }
        _ = atEachLevel { level in
            var out = [Float](repeating: 0, count: all.count)
            all.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { HalfRow.toFloat(src.baseAddress!, into: $0.baseAddress!, count: all.count, level: level) }
            }
            var mismatches = 0
            for i in 0..<all.count {
                let want = Float(Float16(bitPattern: all[i]))
                if want.isNaN ? !out[i].isNaN : want.bitPattern != out[i].bitPattern { mismatches += 1 }
            }
            #expect(mismatches == 0, "\(level)")
        }
    }

    @Test("the query-key dot product matches a Double reference for many lengths")
    func halfDot() {
        var rng = SplitMix64(state: 3)
        for count in [1, 8, 31, 64, 100, 256] {
            let keys = (0..<count).map { _ in Float16(Float.random(in: -1...1, using: &rng)).bitPattern }
            let query = (0..<count).map { _ in Float.random(in: -1...1, using: &rng) }
            var exact = 0.0, magnitude = 0.0
            for i in 0..<count {
                let p = Double(Float(Float16(bitPattern: keys[i]))) * Double(query[i])
                exact += p
                magnitude += abs(p)
            }
            let value = HalfRow.dot(keys, query, count: count)
            do {
                let level = KernelLevel.current
                #expect(abs(Double(value) - exact) <= magnitude * 1e-6, "n=\(count) \(level)")
            }
        }
    }
}
