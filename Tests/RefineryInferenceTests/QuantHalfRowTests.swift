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

    @Test("scores over a strided key cache equal one dot product per row")
    func scoresOverRows() {
        var rng = SplitMix64(state: 21)
        // Groups of eight rows are summed together, then single rows; lengths with and without a tail.
        for count in [7, 64, 100, 256] {
            let rows = 19, stride = count + 16 // halves per row: a padded cache row
            let cache = (0..<rows * stride).map { _ in Float16(Float.random(in: -1...1, using: &rng)).bitPattern }
            var query = (0..<count).map { _ in Float.random(in: -1...1, using: &rng) }
            if count == 7 { query = query.map { _ in -0.0 } } // every product -0: the sum's sign must survive as one row's would
            var scores = [Float](repeating: 0, count: rows)
            cache.withUnsafeBufferPointer { k in
                HalfRow.dotRows(k.baseAddress!, keyStride: stride * 2, rows: rows, query: query, count: count, into: &scores)
                for j in 0..<rows {
                    #expect(scores[j].bitPattern == HalfRow.dot(k.baseAddress! + j * stride, query, count: count).bitPattern,
                            "n=\(count) row \(j)")
                }
            }
        }
    }

    @Test("adding a scaled F16 value row is one fused multiply-add per element")
    func addScaled() {
        var rng = SplitMix64(state: 8)
        for count in [1, 7, 8, 45, 64] {
            let values = (0..<count).map { _ in Float16(Float.random(in: -2...2, using: &rng)).bitPattern }
            let start = (0..<count).map { _ in Float.random(in: -2...2, using: &rng) }
            let alpha = Float.random(in: -1...1, using: &rng)
            var y = start
            HalfRow.addScaled(alpha, values, into: &y, count: count)
            let expected = (0..<count).map { start[$0].addingProduct(alpha, Float(Float16(bitPattern: values[$0]))) }
            #expect(y.map(\.bitPattern) == expected.map(\.bitPattern), "n=\(count)")
        }
    }

    @Test("accumulating many value rows at once gives the bits of one accumulation per row")
    func addScaledRows() {
        var rng = SplitMix64(state: 13)
        for count in [5, 64, 100] {
            let rows = 11, stride = count + 3
            let cache = (0..<rows * stride).map { _ in Float16(Float.random(in: -1...1, using: &rng)).bitPattern }
            let weights = (0..<rows).map { _ in Float.random(in: 0...1, using: &rng) }
            let start = (0..<count).map { _ in Float.random(in: -1...1, using: &rng) }
            var together = start, oneByOne = start
            cache.withUnsafeBufferPointer { v in
                HalfRow.addScaledRows(weights, v.baseAddress!, valueStride: stride * 2, rows: rows, into: &together, count: count)
                for j in 0..<rows {
                    HalfRow.addScaled(weights[j], v.baseAddress! + j * stride, into: &oneByOne, count: count)
                }
            }
            #expect(together.map(\.bitPattern) == oneByOne.map(\.bitPattern), "n=\(count)")
        }
    }
}
