import RefineryCore
import CRefineryKernels

/// Attention and activation arithmetic: the pieces ``Transformer`` runs per (token, KV head),
/// exposed for tests and tools.
///
/// Attention sums in one order, the fastest with wide vectors, whatever the batch, the row's
/// origin or the kernel level: every level (AVX-512, AVX2, portable) gives the same bits. It keeps
/// llama.cpp's roundings (the query and the softmax weights rounded to F16, ggml's softmax and its
/// vector expf), so its distributions stay close to llama.cpp's (judged by KL divergence). `level`
/// (capped at the CPU's) is for tests; `nil` uses the current level.
public enum AttentionKernels {
    /// Attention of `heads` query vectors that share one KV head over the `count` cache positions
    /// from `firstPosition` of a paged F16 cache.
    ///
    /// Position `p` lives in row `blockTable[p / blockSize] * blockSize + p % blockSize`, rows
    /// `rowStride` elements apart from `keys` and from `values` (both pointing at the KV head's
    /// first element). Head `h`'s query is at `queries + h * queryStride` (`dimension` floats that
    /// are F16 values); its output goes to `output + h * outputStride`. The scores are scaled by
    /// `scale`; `scratch` holds `heads * count` floats.
    ///
    /// Order: a score is a 16-lane dot product (lane `l` a fused multiply-add chain over elements
    /// `l`, `l + 16`, …) summed by halves, quarters, then `(0 + 2) + (1 + 3)`, times `scale`; the
    /// weights are ``weights(_:count:level:)``; an output element is one fused multiply-add chain
    /// over the positions in order. Nothing else decides it.
    public static func attend(
        dimension: Int, heads: Int, queries: UnsafePointer<Float>, queryStride: Int, keys: UnsafePointer<UInt16>,
        values: UnsafePointer<UInt16>, rowStride: Int, blockTable: UnsafePointer<Int32>, blockSize: Int, firstPosition: Int,
        count: Int, scale: Float, scratch: UnsafeMutablePointer<Float>, into output: UnsafeMutablePointer<Float>, outputStride: Int,
        level: KernelLevel? = nil
    ) {
        if let level {
            refinery_attention_at_level(Int32(level.rawValue), Int64(dimension), Int64(heads), queries, Int64(queryStride), keys, values,
                                        Int64(rowStride), blockTable, Int64(blockSize), Int64(firstPosition), Int64(count), scale,
                                        scratch, output, Int64(outputStride))
        } else {
            refinery_attention(Int64(dimension), Int64(heads), queries, Int64(queryStride), keys, values, Int64(rowStride), blockTable,
                               Int64(blockSize), Int64(firstPosition), Int64(count), scale, scratch, output, Int64(outputStride))
        }
    }

    /// Attention weights from `count` (scaled) scores, in place: softmax with ggml's vector expf,
    /// the sum in 16 lanes, each weight rounded to F16 (as llama.cpp rounds them before its F16
    /// product with the values).
    public static func weights(_ scores: UnsafeMutablePointer<Float>, count: Int, level: KernelLevel? = nil) {
        if let level {
            refinery_attention_weights_at_level(Int32(level.rawValue), scores, Int64(count))
        } else {
            refinery_attention_weights(scores, Int64(count))
        }
    }

    /// `gate[i] = silu(gate[i]) * up[i]` over one row of `count` values.
    public static func swiglu(_ gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int, level: KernelLevel? = nil) {
        if let level {
            refinery_swiglu_at_level(Int32(level.rawValue), gate, up, Int64(count))
        } else {
            refinery_swiglu(gate, up, Int64(count))
        }
    }

    /// `output[i] = exp(x[i] - shift)` with ggml's vector expf.
    public static func exp(_ x: UnsafePointer<Float>, minus shift: Float, into output: UnsafeMutablePointer<Float>, count: Int,
                           level: KernelLevel? = nil) {
        if let level {
            refinery_exp_shifted_at_level(Int32(level.rawValue), x, shift, output, Int64(count))
        } else {
            refinery_exp_shifted(x, shift, output, Int64(count))
        }
    }
}
