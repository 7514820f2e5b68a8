import RefineryCore
import CRefineryKernels

/// Half-float rows for the F16 KV cache: conversions and the query-key dot product, in SIMD
/// where the CPU has F16C.
public enum HalfRow {
    /// Converts `count` IEEE half floats (bit patterns) to floats, exactly.
    @inlinable
    public static func toFloat(_ source: UnsafePointer<UInt16>, into output: UnsafeMutablePointer<Float>, count: Int) {
        refinery_f16_to_f32_row(source, output, Int64(count))
    }

    /// Converts `count` floats to IEEE half floats (bit patterns), rounding to nearest even.
    @inlinable
    public static func fromFloat(_ source: UnsafePointer<Float>, into output: UnsafeMutablePointer<UInt16>, count: Int) {
        refinery_f32_to_f16_row(source, output, Int64(count))
    }

    /// ``toFloat(_:into:count:)`` with the kernels of `level` (capped at the CPU's): for tests.
    public static func toFloat(
        _ source: UnsafePointer<UInt16>, into output: UnsafeMutablePointer<Float>, count: Int, level: KernelLevel
    ) {
        refinery_f16_to_f32_row_at_level(Int32(level.rawValue), source, output, Int64(count))
    }

    /// ``fromFloat(_:into:count:)`` with the kernels of `level` (capped at the CPU's): for tests.
    public static func fromFloat(
        _ source: UnsafePointer<Float>, into output: UnsafeMutablePointer<UInt16>, count: Int, level: KernelLevel
    ) {
        refinery_f32_to_f16_row_at_level(Int32(level.rawValue), source, output, Int64(count))
    }

    /// The dot product of `count` half floats (a cached key row) with `count` floats (a query);
    /// the summation order depends only on `count`.
    @inlinable
    public static func dot(_ keys: UnsafePointer<UInt16>, _ query: UnsafePointer<Float>, count: Int) -> Float {
        refinery_dot_f16_f32(Int64(count), keys, query)
    }
}
