import RefineryCore
import RefineryTesting
import Testing
import RefineryInference


/// Random weight rows of a format: random bytes, with every f16 scale field set to a finite value
/// in a range real models use.
func randomWeightRow(_ type: GGMLType, count: Int, using rng: inout SplitMix64) -> [UInt8] {
    let blocks = count / type.blockSize
    var bytes = (0..<blocks * type.typeSize).map { _ in UInt8.random(in: 0...255, using: &rng) }
    func half(_ value: Float) -> (UInt8, UInt8) {
        let bits = Float16(value).bitPattern
        return (UInt8(bits & 0xFF), UInt8(bits >> 8))
    }
    let fields: [Int] =
        switch type {
        case .q4_0, .q5_0, .q8_0: [0]
        case .q4_1, .q5_1, .q4_K, .q5_K: [0, 2]
        case .q2_K: [80, 82]
        case .q3_K: [108]
        case .q6_K: [208]
        default: []
        }
    switch type {
    case .f32:
        bytes = (0..<count).flatMap { _ in
            withUnsafeBytes(of: Float.random(in: -1...1, using: &rng).bitPattern.littleEndian, Array.init)
        }
    case .f16:
        bytes = (0..<count).flatMap { _ in
            withUnsafeBytes(of: Float16(Float.random(in: -1...1, using: &rng)).bitPattern.littleEndian, Array.init)
        }
    case .bf16:
        bytes = (0..<count).flatMap { _ in
            withUnsafeBytes(of: UInt16(Float.random(in: -1...1, using: &rng).bitPattern >> 16).littleEndian, Array.init)
        }
    default:
        for b in 0..<blocks {
            for offset in fields {
                let sign: Float = offset == fields[0] || Bool.random(using: &rng) ? 1 : -1
                let (lo, hi) = half(sign * Float.random(in: 0.0005...0.05, using: &rng))
                bytes[b * type.typeSize + offset] = lo
                bytes[b * type.typeSize + offset + 1] = hi
            }
        }
    }
    return bytes
}

/// Prepared activations for `x` against weights of `type`.
func preparedActivations(_ type: GGMLType, _ x: [Float]) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: QuantizedDot.activationRowSize(for: type, count: x.count))
    x.withUnsafeBufferPointer { xs in
        out.withUnsafeMutableBytes { QuantizedDot.quantizeActivations(for: type, xs.baseAddress!, into: $0.baseAddress!, count: x.count) }
    }
    return out
}

func kernelDot(_ type: GGMLType, _ row: [UInt8], _ act: [UInt8], count: Int, level: KernelLevel) -> Float {
    row.withUnsafeBytes { r in
        act.withUnsafeBytes { a in
            QuantizedDot.dot(type, count: count, row: r.baseAddress!, activations: a.baseAddress!, level: level)
        }
    }
}

/// Runs `body` for each kernel level this CPU has (without switching the process's level, which
/// other suites running in parallel rely on).
func atEachLevel<T>(_ body: (KernelLevel) throws -> T) rethrows -> [(KernelLevel, T)] {
    try KernelLevel.available.map { level in (level, try body(level)) }
}

@Suite("Quantized dot products")
struct QuantDotTests {
    static let types: [GGMLType] = [
        .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .f16, .bf16, .f32,
    ]

    static func lengths(_ type: GGMLType) -> [Int] {
        switch type.blockSize {
        case 32: [32, 64, 96, 160, 480, 576, 896]
        case 256: [256, 512, 768, 4864]
        default: [1, 7, 33, 64, 576, 1000]
        }
    }

    @Test("vec_dot equals the float dot of the dequantized row, within the 8-bit activation error", arguments: types)
    func matchesDequantizedDot(type: GGMLType) throws {
        var rng = SplitMix64(state: 42 &+ UInt64(type.rawValue))
        for count in Self.lengths(type) {
            let row = randomWeightRow(type, count: count, using: &rng)
            let x = (0..<count).map { _ in Float.random(in: -2...2, using: &rng) }
            let weights = try row.withUnsafeBytes { try Dequantizer.dequantize(type, bytes: $0) }
            let act = preparedActivations(type, x)
            // Exact reference in Double, and the worst case error of quantizing x to 8 bits per block.
            let group = type.blockSize == 1 ? 1 : type.blockSize
            var exact = 0.0, magnitude = 0.0, bound = 0.0
            for g in stride(from: 0, to: count, by: group) {
                let amax = Double(x[g..<g + group].map(abs).max()!)
                for i in g..<g + group {
                    exact += Double(weights[i]) * Double(x[i])
                    magnitude += abs(Double(weights[i]) * Double(x[i]))
                    if group > 1 { bound += abs(Double(weights[i])) * amax / 254 }
                }
            }
            let tolerance = bound * 1.001 + magnitude * 2e-6 + 1e-30
            for (level, value) in atEachLevel({ kernelDot(type, row, act, count: count, level: $0) }) {
                #expect(abs(Double(value) - exact) <= tolerance,
                        "\(type) n=\(count) \(level): \(value) vs \(exact) (tolerance \(tolerance))")
            }
            if group > 1 {
                // The quantization error is real but small: about 1/127 of the magnitude at most.
                #expect(bound <= magnitude / 50 + 1e-30 || bound <= 0.02 * weights.map { abs(Double($0)) }.reduce(0, +) * 2)
            }
        }
    }

    @Test("every instruction-set level gives the same bits", arguments: types)
    func levelsAgree(type: GGMLType) {
        var rng = SplitMix64(state: 7 &+ UInt64(type.rawValue))
        for count in Self.lengths(type) {
            for _ in 0..<8 {
                let row = randomWeightRow(type, count: count, using: &rng)
                let x = (0..<count).map { _ in Float.random(in: -1...1, using: &rng) }
                let act = preparedActivations(type, x)
                let results = atEachLevel { kernelDot(type, row, act, count: count, level: $0) }
                // The portable kernels follow the SIMD kernels' integer lanes, float lanes and fused
                // multiply-adds, so a model decodes the same tokens on every CPU.
                let reference = results[0].1
                for (level, value) in results {
                    #expect(value.bitPattern == reference.bitPattern, "\(type) n=\(count) \(level): \(value) vs portable \(reference)")
                }
            }
        }
    }

    @Test("the same row gives the same bits alone, in a matrix-vector and in a tiled matrix-matrix product",
          arguments: [GGMLType.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q6_K, .f16, .f32])
    func batchInvariant(type: GGMLType) {
        var rng = SplitMix64(state: 99)
        // Row lengths with and without a last group of four blocks (896: Qwen's width), with single
        // blocks at the end (576) and with none (1024); 2304 is nine K-quant blocks, more than
        // one repacked Q4_K tile holds (seven), so its rows' accumulators wait between tiles.
        let counts = type.blockSize == 256 ? [512, 1280, 2304] : [576, 896, 1024]
        for count in counts {
            // 31 columns: three groups of 8 (on AVX-512 a Q4/Q5 weight tile is unpacked once for
            // them), then groups of 4 and 2 and a single row (on AVX2: groups of 4, then 2 and 1).
            // 70 rows: four 16-row tiles of repacked Q4_K and six rows alone; eight 8-row steps of
            // the Q4_K matrix-vector product and six rows alone.
            let rows = 70, columns = 31
            let rowBytes = type.byteCount(forElements: count)!
            let weights = (0..<rows).flatMap { _ in randomWeightRow(type, count: count, using: &rng) }
            let actBytes = QuantizedDot.activationRowSize(for: type, count: count)
            let acts = (0..<columns).flatMap { _ in
                preparedActivations(type, (0..<count).map { _ in Float.random(in: -1...1, using: &rng) })
            }
            let level = KernelLevel.current
            var single = [Float](repeating: 0, count: rows * columns)
            var portable = [Float](repeating: 0, count: rows * columns)
            var vector = [Float](repeating: 0, count: rows * columns)
            var matrix = [Float](repeating: .nan, count: rows * columns)
            weights.withUnsafeBytes { w in
                acts.withUnsafeBytes { a in
                    for c in 0..<columns {
                        for r in 0..<rows {
                            let row = w.baseAddress! + r * rowBytes, act = a.baseAddress! + c * actBytes
                            single[c * rows + r] = QuantizedDot.dot(type, count: count, row: row, activations: act)
                            portable[c * rows + r] = QuantizedDot.dot(
                                type, count: count, row: row, activations: act, level: .portable)
                        }
                        vector.withUnsafeMutableBufferPointer {
                            QuantizedDot.matVec(
                                type, count: count, weights: w.baseAddress!, rowStride: rowBytes, rows: rows,
                                activations: a.baseAddress! + c * actBytes, into: $0.baseAddress! + c * rows)
                        }
                    }
                    matrix.withUnsafeMutableBufferPointer {
                        QuantizedDot.matMat(
                            type, count: count, weights: w.baseAddress!, rowStride: rowBytes, rows: rows,
                            activations: a.baseAddress!, activationStride: actBytes, columns: columns,
                            into: $0.baseAddress!, outputStride: rows)
                    }
                }
            }
            #expect(single.map(\.bitPattern) == vector.map(\.bitPattern), "\(type) n=\(count) \(level) mat_vec")
            #expect(single.map(\.bitPattern) == matrix.map(\.bitPattern), "\(type) n=\(count) \(level) mat_mat")
            // The several-column kernels reduce columns together; each result keeps the one-column bits.
            #expect(portable.map(\.bitPattern) == matrix.map(\.bitPattern), "\(type) n=\(count) \(level) mat_mat vs portable")
        }
    }

    @Test("interleaved rows give ggml's rows' bits at every level and column count, and come back unchanged",
          arguments: [GGMLType.q5_0, .q4_1, .q8_0])
    func interleavedRows(type: GGMLType) throws {
        var rng = SplitMix64(state: 31 &+ UInt64(type.rawValue))
        #expect(QuantizedDot.hasInterleavedLayout(type) && !QuantizedDot.hasInterleavedLayout(.q4_K))
        // One block, SmolLM2's, Gemma 3's and Qwen's widths, and Qwen's down projection.
        for count in [32, 576, 640, 896, 4864] {
            let rows = 53, columns = 11  // three tiles and five rows past them; groups of 8, then 3 columns
            let rowBytes = type.byteCount(forElements: count)!
            let weights = (0..<rows).flatMap { _ in randomWeightRow(type, count: count, using: &rng) }
            let actBytes = QuantizedDot.activationRowSize(for: type, count: count)
            let acts = (0..<columns).flatMap { _ in
                preparedActivations(type, (0..<count).map { _ in Float.random(in: -1...1, using: &rng) })
            }
            var tiles = [UInt8](repeating: 0, count: weights.count)
            try weights.withUnsafeBytes { w in
                try tiles.withUnsafeMutableBytes {
                    try QuantizedDot.interleave(type, count: count, rows: rows, from: w.baseAddress!, rowStride: rowBytes, into: $0.baseAddress!)
                }
            }
            #expect(tiles != weights)
            #expect(Array(tiles[(48 * rowBytes)...]) == Array(weights[(48 * rowBytes)...]))
            weights.withUnsafeBytes { w in
                tiles.withUnsafeBytes { t in
                    acts.withUnsafeBytes { a in
                        // The definition: one ggml-layout row at a time (one routine at every level).
                        var reference = [Float](repeating: 0, count: rows * columns)
                        for c in 0..<columns {
                            for r in 0..<rows {
                                reference[c * rows + r] = QuantizedDot.dot(
                                    type, count: count, row: w.baseAddress! + r * rowBytes, activations: a.baseAddress! + c * actBytes,
                                    level: .portable)
                            }
                        }
                        for level in KernelLevel.available {
                            for interleaved in [false, true] {
                                var vector = [Float](repeating: .nan, count: rows * columns)
                                for c in 0..<columns {
                                    vector.withUnsafeMutableBufferPointer {
                                        QuantizedDot.matVec(
                                            type, count: count, weights: interleaved ? t.baseAddress! : w.baseAddress!, rowStride: rowBytes,
                                            rows: rows, activations: a.baseAddress! + c * actBytes, into: $0.baseAddress! + c * rows,
                                            interleaved: interleaved, level: level)
                                    }
                                }
                                #expect(vector.map(\.bitPattern) == reference.map(\.bitPattern), "n=\(count) \(level) interleaved \(interleaved)")
                            }
                        }
                        // Every column count through the current level's matrix-matrix product.
                        for used in 1...columns {
                            var matrix = [Float](repeating: .nan, count: rows * used)
                            matrix.withUnsafeMutableBufferPointer {
                                QuantizedDot.matMat(
                                    type, count: count, weights: t.baseAddress!, rowStride: rowBytes, rows: rows, activations: a.baseAddress!,
                                    activationStride: actBytes, columns: used, into: $0.baseAddress!, outputStride: rows, interleaved: true)
                            }
                            let expected = (0..<used).flatMap { c in reference[c * rows..<(c + 1) * rows] }
                            #expect(matrix.map(\.bitPattern) == expected.map(\.bitPattern), "n=\(count) \(used) columns")
                        }
                        // Each row comes back in ggml's layout byte for byte; rows past the last
                        // full tile stay as they were.
                        var row = [UInt8](repeating: 0, count: rowBytes)
                        for r in 0..<48 {
                            row.withUnsafeMutableBytes {
                                QuantizedDot.deinterleaveRow(type, count: count, tile: t.baseAddress! + r / 16 * 16 * rowBytes, row: r % 16,
                                                             into: $0.baseAddress!)
                            }
                            #expect(row[...] == weights[r * rowBytes..<(r + 1) * rowBytes], "n=\(count) row \(r)")
                        }
                    }
                }
            }
        }
        // What has no interleaved layout is refused with a typed error, and nothing is written.
        let source = [UInt8](repeating: 1, count: 64 * 144)
        var target = [UInt8](repeating: 7, count: source.count)
        func interleave(_ type: GGMLType, count: Int, rows: Int) throws {
            try source.withUnsafeBytes { s in
                try target.withUnsafeMutableBytes { t in
                    try QuantizedDot.interleave(type, count: count, rows: rows, from: s.baseAddress!, rowStride: 22, into: t.baseAddress!)
                }
            }
        }
        #expect(throws: QuantError.self) { try interleave(.q4_K, count: 256, rows: 16) }
        #expect(throws: QuantError.self) { try interleave(.q5_0, count: 33, rows: 16) }
        #expect(throws: QuantError.self) { try interleave(.q5_0, count: 64, rows: 16) }  // 22-byte stride for 44-byte rows
        do {
            try interleave(.q5_0, count: 32, rows: 0)
            Issue.record("no rows")
        } catch let error as QuantError {
            #expect(error.code == .sizeMismatch && error.value == 0)
        }
        #expect(target.allSatisfy { $0 == 7 })
    }

    @Test("activation rows are quantized row by row: the same floats give the same bytes")
    func activationQuantizationIsStable() {
        var rng = SplitMix64(state: 5)
        let x = (0..<512).map { _ in Float.random(in: -3...3, using: &rng) }
        for type in [GGMLType.q4_1, .q4_K] {
            let whole = preparedActivations(type, x)
            let again = preparedActivations(type, Array(x[0..<256]) + Array(x[256...]))
            #expect(whole == again)
            // K-quant activation blocks are self-contained: a row's halves quantize alone to the same bytes.
            if type == .q4_K {
                #expect(whole == preparedActivations(type, Array(x[0..<256])) + preparedActivations(type, Array(x[256...])))
            }
        }
        #expect(QuantizedDot.activationRowSize(for: .q4_K, count: 896) == 0)
        #expect(QuantizedDot.activationRowSize(for: .iq2_xs, count: 256) == 0)
        #expect(QuantizedDot.activationRowSize(for: .q4_0, count: 64) == 80)
        #expect(QuantizedDot.activationRowSize(for: .q6_K, count: 512) == 584)
        #expect(QuantizedDot.activationRowSize(for: .f16, count: 10) == 40)
    }

    @Test("every level quantizes activations to the same bytes, zeros, infinities and NaN included")
    func activationQuantizationLevelsAgree() {
        var rng = SplitMix64(state: 11)
        let count = 512
        var inputs: [[Float]] = (0..<6).map { k in
            (0..<count).map { _ in Float.random(in: -1...1, using: &rng) * Float(1 << (4 * k)) / 4096 }
        }
        inputs.append([Float](repeating: 0, count: count))
        var special = inputs[0]
        special[3] = .nan
        special[40] = .infinity
        special[100] = -.infinity
        special[200] = -0.0
        special[300] = .leastNonzeroMagnitude
        special[301] = .greatestFiniteMagnitude
        inputs.append(special)
        var halfTies = (0..<count).map { Float($0 % 255 - 127) }  // exact quants: rounding ties at 127/amax
        halfTies[7] = 254
        inputs.append(halfTies)
        for type in [GGMLType.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q6_K] {
            let size = QuantizedDot.activationRowSize(for: type, count: count)
            for (index, x) in inputs.enumerated() {
                let bytes = KernelLevel.available.map { level in
                    var out = [UInt8](repeating: 0xAA, count: size)
                    x.withUnsafeBufferPointer { input in
                        out.withUnsafeMutableBytes {
                            QuantizedDot.quantizeActivations(
                                for: type, input.baseAddress!, into: $0.baseAddress!, count: count, level: level)
                        }
                    }
                    return out
                }
                for (level, levelBytes) in zip(KernelLevel.available, bytes) {
                    #expect(levelBytes == bytes[0], "\(type) input \(index): \(level) differs from portable")
                }
            }
        }
    }

    @Test("unsupported weight formats are refused with the tensor's name")
    func unsupportedWeights() {
        do {
            try QuantizedDot.validate(.iq4_nl, count: 64, tensor: "output.weight")
            Issue.record("IQ4_NL accepted")
        } catch {
            #expect(error.code == .unsupportedType)
            #expect(error.message.contains("output.weight") && error.message.contains("IQ4_NL"))
        }
    }
}
