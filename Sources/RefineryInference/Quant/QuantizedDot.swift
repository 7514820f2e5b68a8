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
    @inlinable
    public static func matVec(
        _ type: GGMLType, count: Int, weights: UnsafeRawPointer, rowStride: Int, rows: Int,
        activations: UnsafeRawPointer, into output: UnsafeMutablePointer<Float>
    ) {
        refinery_mat_vec(Int32(type.rawValue), Int64(count), weights, rowStride, Int64(rows), activations, output)
    }

    /// `output[c * outputStride + r]` = the dot product of weight row `r` with activation row `c`,
    /// tiled so weight rows are read once per tile; bit-identical to ``dot(_:count:row:activations:)``.
    @inlinable
    public static func matMat(
        _ type: GGMLType, count: Int, weights: UnsafeRawPointer, rowStride: Int, rows: Int,
        activations: UnsafeRawPointer, activationStride: Int, columns: Int,
        into output: UnsafeMutablePointer<Float>, outputStride: Int
    ) {
        refinery_mat_mat(
            Int32(type.rawValue), Int64(count), weights, rowStride, Int64(rows), activations, activationStride,
            Int64(columns), output, Int64(outputStride))
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
