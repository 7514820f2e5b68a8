import RefineryCore
import Foundation
import Testing
import RefineryInference

/// Prints the single-thread matrix-vector speed of the kernels (weight bytes read per second) for
/// the shapes that carry generation on our models. It measures, it does not assert: run it in
/// release, alone, for figures worth quoting:
///
///     REFINERY_BENCH=1 swift test -c release --filter QuantBenchmarkTests
/// Timing a debug build tells nothing; these print only in release builds.
private let isReleaseBuild: Bool = {
    #if DEBUG
    false
    #else
    true
    #endif
}()

@Suite("Kernel speed (prints GB/s)", .serialized, .enabled(if: isReleaseBuild, "timings need -c release"))
struct QuantBenchmarkTests {
    /// (type, values per row, rows): SmolLM2-135M's FFN up (576 -> 1536) in Q4_1 and Q8_0,
    /// Qwen2.5-0.5B's FFN down (4864 -> 896) in Q4_K and Q6_K and its attention (896) in Q5_0.
    static let shapes: [(GGMLType, Int, Int)] = [
        (.q4_1, 576, 1536), (.q8_0, 576, 1536), (.q4_K, 4864, 896), (.q6_K, 4864, 896), (.q5_0, 896, 896),
        (.f16, 576, 1536),
    ]

    /// Matrices larger than the last-level cache, read from memory as generation reads a model:
    /// all of SmolLM2's Q4_1 weights (56 MB) and a Qwen-sized Q8_0 output head slice (58 MB).
    static let memoryShapes: [(GGMLType, Int, Int)] = [(.q4_1, 576, 49152), (.q8_0, 896, 65536)]

    @Test("single-thread matrix-vector GB/s at every kernel level")
    func matVecSpeed() throws {
        let long = ProcessInfo.processInfo.environment["REFINERY_BENCH"] != nil
        for (type, count, rows) in Self.shapes {
            let bytes = Double(try #require(type.byteCount(forElements: count))) * Double(rows)
            var line = "\(type) \(rows)x\(count) (\(Int(bytes / 1024)) KiB):"
            for level in KernelLevel.available {
                let gbps = try #require(
                    QuantizedDot.benchmarkMatVec(type, count: count, rows: rows, seconds: long ? 1 : 0.02, level: level))
                line += " \(level) \(String(format: "%.1f", gbps)) GB/s"
            }
            print(line)
        }
    }

    @Test("single-thread matrix-vector GB/s from memory (matrices larger than the caches)")
    func matVecFromMemory() throws {
        let long = ProcessInfo.processInfo.environment["REFINERY_BENCH"] != nil
        for (type, count, rows) in Self.memoryShapes {
            let gbps = try #require(
                QuantizedDot.benchmarkMatVec(type, count: count, rows: rows, seconds: long ? 1 : 0.02))
            print("\(type) \(rows)x\(count) from memory, \(KernelLevel.current): \(String(format: "%.1f", gbps)) GB/s")
        }
    }

    @Test("single-thread matrix-matrix speed (16 activation rows, current level) beside matrix-vector")
    func matMatSpeed() throws {
        let long = ProcessInfo.processInfo.environment["REFINERY_BENCH"] != nil
        for (type, count, rows) in Self.shapes {
            let vector = try #require(
                QuantizedDot.benchmarkMatVec(type, count: count, rows: rows, seconds: long ? 1 : 0.02))
            let matrix = try #require(
                QuantizedDot.benchmarkMatMat(type, count: count, rows: rows, columns: 16, seconds: long ? 1 : 0.02))
            print("\(type) \(rows)x\(count) \(KernelLevel.current): mat_vec \(String(format: "%.1f", vector)) GB/s,"
                  + " mat_mat x16 \(String(format: "%.1f", matrix)) GB/s per activation row")
        }
    }
}
