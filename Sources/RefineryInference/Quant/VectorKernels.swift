import RefineryCore
import CRefineryKernels

/// Whole-vector reductions the sampler runs over a row of logits, vectorized per kernel level.
public enum VectorKernels {
    /// The index of the largest of `count` floats: the lowest index among equals; NaN never wins,
    /// and 0 when no value is above -infinity (or `count` is 0). Every level gives the same index;
    /// `level` (capped at the CPU's) is for tests, `nil` uses the current level.
    public static func argmax(_ values: UnsafePointer<Float>, count: Int, level: KernelLevel? = nil) -> Int {
        if let level { return Int(refinery_argmax_at_level(Int32(level.rawValue), values, Int64(count))) }
        return Int(refinery_argmax(values, Int64(count)))
    }
}
