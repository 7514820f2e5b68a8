import RefineryCore
import CRefineryKernels

/// Dot products of weight rows, read in place in their GGUF format, with activation rows.
///
/// Activations are first prepared for the weight format with ``quantizeActivations(for:_:into:count:)``
/// (8-bit blocks for the quantized formats, plain floats for F32/F16/BF16), once per activation row;
/// every weight row is then multiplied with them by ``dot(_:count:row:activations:)``. Each result
/// is summed in an order that depends only on the row length, so a row gives the same bits alone,
/// in a batch (``matMat(_:count:weights:rowStride:rows:activations:activationStride:columns:into:outputStride:)``)
/// or on another thread.
public enum QuantizedDot {
    /// Checks that weight rows of `count` values of `type` can be multiplied, naming `tensor` in the error.
    public static func validate(_ type: GGMLType, count: Int, tensor: String = "") throws(QuantError) {
        try Dequantizer.validate(type, count: count, tensor: tensor)
    }

    /// Bytes that the prepared activations for rows of `count` values of `type` take
    /// (0 for an unsupported type or a partial block).
    @inlinable
    public static func activationRowSize(for type: GGMLType, count: Int) -> Int {
        Int(refinery_activation_row_size(Int32(type.rawValue), Int64(count)))
    }

    /// Prepares `count` activations for dot products with weight rows of `type`, writing
    /// ``activationRowSize(for:count:)`` bytes to `output`.
    @inlinable
    public static func quantizeActivations(
        for type: GGMLType, _ input: UnsafePointer<Float>, into output: UnsafeMutableRawPointer, count: Int
    ) {
        refinery_quantize_activations(Int32(type.rawValue), input, output, Int64(count))
    }

    /// ``quantizeActivations(for:_:into:count:)`` with the routines of `level` (capped at the CPU's),
    /// whatever level the process uses: for tests that compare levels.
    public static func quantizeActivations(
        for type: GGMLType, _ input: UnsafePointer<Float>, into output: UnsafeMutableRawPointer, count: Int, level: KernelLevel
    ) {
        refinery_quantize_activations_at_level(Int32(level.rawValue), Int32(type.rawValue), input, output, Int64(count))
    }

    /// The dot product of one weight row of `type` (`count` values, any alignment) with prepared activations.
    @inlinable
    public static func dot(
        _ type: GGMLType, count: Int, row: UnsafeRawPointer, activations: UnsafeRawPointer
    ) -> Float {
        refinery_vec_dot(Int32(type.rawValue), Int64(count), row, activations)
    }

    /// ``dot(_:count:row:activations:)`` with the kernels of `level` (capped at the CPU's), whatever
    /// level the process uses: for tests that compare levels.
    public static func dot(
        _ type: GGMLType, count: Int, row: UnsafeRawPointer, activations: UnsafeRawPointer, level: KernelLevel
    ) -> Float {
        refinery_vec_dot_at_level(Int32(level.rawValue), Int32(type.rawValue), Int64(count), row, activations)
    }

    /// `output[r]` = the dot product of weight row `r` (rows `rowStride` bytes apart) with the activations.
    ///
    /// With `interleaved`, the weights are rows that ``interleave(_:count:rows:from:rowStride:into:)``
    /// wrote (`rowStride` still a row's packed bytes): `weights` must point at a tile's first row,
    /// and `rows` span whole tiles or reach the matrix's last row. The results are the same bits
    /// either way.
    @inlinable
    public static func matVec(
        _ type: GGMLType, count: Int, weights: UnsafeRawPointer, rowStride: Int, rows: Int,
        activations: UnsafeRawPointer, into output: UnsafeMutablePointer<Float>, interleaved: Bool = false
    ) {
        refinery_mat_vec(kernelType(type, interleaved: interleaved), Int64(count), weights, rowStride, Int64(rows), activations, output)
    }

    /// ``matVec(_:count:weights:rowStride:rows:activations:into:interleaved:)`` with the kernels of
    /// `level` (capped at the CPU's), whatever level the process uses: for tests that compare levels.
    public static func matVec(
        _ type: GGMLType, count: Int, weights: UnsafeRawPointer, rowStride: Int, rows: Int,
        activations: UnsafeRawPointer, into output: UnsafeMutablePointer<Float>, interleaved: Bool = false, level: KernelLevel
    ) {
        refinery_mat_vec_at_level(
            Int32(level.rawValue), kernelType(type, interleaved: interleaved), Int64(count), weights, rowStride, Int64(rows),
            activations, output)
    }

    /// `output[c * outputStride + r]` = the dot product of weight row `r` with activation row `c`,
    /// tiled so weight rows are read once per tile; bit-identical to ``dot(_:count:row:activations:)``.
    /// `interleaved` as for ``matVec(_:count:weights:rowStride:rows:activations:into:interleaved:)``.
    @inlinable
    public static func matMat(
        _ type: GGMLType, count: Int, weights: UnsafeRawPointer, rowStride: Int, rows: Int,
        activations: UnsafeRawPointer, activationStride: Int, columns: Int,
        into output: UnsafeMutablePointer<Float>, outputStride: Int, interleaved: Bool = false
    ) {
        refinery_mat_mat(
            kernelType(type, interleaved: interleaved), Int64(count), weights, rowStride, Int64(rows), activations, activationStride,
            Int64(columns), output, Int64(outputStride))
    }

    /// The type number the kernels take for rows of `type`, in ggml's layout or interleaved.
    @usableFromInline
    static func kernelType(_ type: GGMLType, interleaved: Bool) -> Int32 {
        interleaved ? refinery_interleaved_type(Int32(type.rawValue)) : Int32(type.rawValue)
    }

    /// Rows per tile of the interleaved layout.
    public static let interleavedTileRows = 16

    /// Whether rows of `type` have an interleaved layout that the matrix products read faster
    /// (Q5_0, Q4_1, Q8_0: tiles of 16 rows, one row per vector lane).
    public static func hasInterleavedLayout(_ type: GGMLType) -> Bool {
        refinery_interleaved_type(Int32(type.rawValue)) >= 0
    }

    /// Copies `rows` rows of `count` values of `type` (`rowStride` bytes apart) into `destination`
    /// in the interleaved layout, which takes `rows` times the packed row size in bytes: tiles of
    /// ``interleavedTileRows`` rows, then any rows past the last full tile as they were. Throws
    /// for a type without that layout, a partial block, no rows, or a `rowStride` shorter than a
    /// packed row; nothing is written then.
    public static func interleave(
        _ type: GGMLType, count: Int, rows: Int, from source: UnsafeRawPointer, rowStride: Int,
        into destination: UnsafeMutableRawPointer
    ) throws(QuantError) {
        guard hasInterleavedLayout(type) else { throw .unsupported(type, tensor: "") }
        guard count > 0, count % type.blockSize == 0, let packed = type.byteCount(forElements: count) else {
            throw .partialBlock(type, tensor: "", count: count)
        }
        guard rows > 0 else { throw .sizeMismatch(type, tensor: "", expected: 1, actual: rows) }
        guard rowStride >= packed,
              refinery_interleave_rows(Int32(type.rawValue), Int64(count), source, rowStride, Int64(rows), destination) == 0 else {
            throw .sizeMismatch(type, tensor: "", expected: packed, actual: rowStride)
        }
    }

    /// Writes row `row` (below ``interleavedTileRows``) of the interleaved tile at `tile` back in
    /// ggml's layout (a packed row's bytes) to `destination`.
    public static func deinterleaveRow(
        _ type: GGMLType, count: Int, tile: UnsafeRawPointer, row: Int, into destination: UnsafeMutableRawPointer
    ) {
        _ = refinery_deinterleave_row(refinery_interleaved_type(Int32(type.rawValue)), Int64(count), tile, Int64(row), destination)
    }

    /// Single-threaded matrix-vector speed with the kernels of `level`, timed for at least `seconds`:
    /// weight bytes read per second in GB/s, for a `rows` x `count` matrix of random `type` blocks,
    /// or `nil` for a bad shape.
    public static func benchmarkMatVec(
        _ type: GGMLType, count: Int, rows: Int, seconds: Double, level: KernelLevel = .current
    ) -> Double? {
        let result = refinery_bench_mat_vec(
            Int32(level.rawValue), Int32(type.rawValue), Int64(count), Int64(rows), seconds)
        return result < 0 ? nil : result
    }

    /// Single-threaded speed of ``matMat(_:count:weights:rowStride:rows:activations:activationStride:columns:into:outputStride:)``
    /// with the current kernels, timed for at least `seconds`: weight bytes times activation rows
    /// per second in GB/s (comparable with ``benchmarkMatVec(_:count:rows:seconds:level:)``), or `nil`.
    public static func benchmarkMatMat(_ type: GGMLType, count: Int, rows: Int, columns: Int, seconds: Double) -> Double? {
        let result = refinery_bench_mat_mat(Int32(type.rawValue), Int64(count), Int64(rows), Int64(columns), seconds)
        return result < 0 ? nil : result
    }
}
