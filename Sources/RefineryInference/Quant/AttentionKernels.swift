import RefineryCore
import CRefineryKernels

/// Attention and activation arithmetic in llama.cpp's CPU order, so that greedy decoding gives
/// its tokens: the pieces ``Transformer`` runs per (token, head), exposed for tests and tools.
///
/// llama.cpp sums a prompt evaluated several tokens at a time through llamafile's tiled product
/// (16 lanes) and a token decoded alone through ggml's F16 dot product (64 lanes in four
/// accumulators); `batched` picks the first. Its exp (softmax, SiLU) is ggml's vector expf.
/// Every kernel level gives the same bits. `level` (capped at the CPU's) is for tests; `nil`
/// uses the current level.
public enum AttentionKernels {
    /// Scores of `rows` F16 key rows (`keyStride` bytes apart) against a query of `count` values
    /// that are F16 values (llama.cpp rounds the query to F16 first).
    public static func scores(
        keys: UnsafePointer<UInt16>, keyStride: Int, rows: Int, query: UnsafePointer<Float>, count: Int,
        into output: UnsafeMutablePointer<Float>, batched: Bool, level: KernelLevel? = nil
    ) {
        if let level {
            refinery_attention_scores_at_level(Int32(level.rawValue), Int64(count), keys, keyStride, Int64(rows), query, output,
                                               batched ? 1 : 0)
        } else {
            refinery_attention_scores(Int64(count), keys, keyStride, Int64(rows), query, output, batched ? 1 : 0)
        }
    }

    /// Softmax of `count` scores in place (scaled by `scale` first); the first score belongs to
    /// cache cell `firstPosition`, which decides how ggml groups the sum.
    public static func softmax(_ scores: UnsafeMutablePointer<Float>, count: Int, firstPosition: Int, scale: Float,
                               level: KernelLevel? = nil) {
        if let level {
            refinery_attention_softmax_at_level(Int32(level.rawValue), scores, Int64(count), Int64(firstPosition), scale)
        } else {
            refinery_attention_softmax(scores, Int64(count), Int64(firstPosition), scale)
        }
    }

    /// The lanes ``weightedValues(weights:values:valueStride:rows:firstPosition:count:into:batched:level:)`` needs:
    /// 64 rows of `count` floats.
    public static func laneCount(count: Int) -> Int { 64 * count }

    /// `output` (`count` floats) = the sum over `rows` F16 value rows (`valueStride` bytes apart,
    /// cells `firstPosition` onwards) of `weights[j]` times row `j`, in llama.cpp's order;
    /// `lanes` is scratch of ``laneCount(count:)`` floats, zero before the first call (each call
    /// leaves it zero).
    public static func weightedValues(
        weights: UnsafePointer<Float>, values: UnsafePointer<UInt16>, valueStride: Int, rows: Int, firstPosition: Int, count: Int,
        lanes: UnsafeMutablePointer<Float>, into output: UnsafeMutablePointer<Float>, batched: Bool, level: KernelLevel? = nil
    ) {
        let b: Int32 = batched ? 1 : 0
        if let level {
            let l = Int32(level.rawValue)
            refinery_attention_values_at_level(l, Int64(count), Int64(rows), Int64(firstPosition), weights, values, valueStride, lanes, b)
            refinery_attention_values_finish_at_level(l, Int64(count), lanes, output, b, Int64(firstPosition), Int64(rows))
        } else {
            accumulateValues(weights: weights, values: values, valueStride: valueStride, rows: rows, position: firstPosition,
                             count: count, lanes: lanes, batched: batched)
            finishValues(count: count, lanes: lanes, into: output, batched: batched, firstPosition: firstPosition, rows: rows)
        }
    }

    /// The first half of ``weightedValues(weights:values:valueStride:rows:firstPosition:count:lanes:into:batched:level:)``
    /// for value rows that are not contiguous (a paged cache): adds `weights[j]` times row `j`
    /// of this run of `rows` rows, the first at cache cell `position`, into `lanes`. Call it
    /// for each run in position order, then ``finishValues(count:lanes:into:batched:firstPosition:rows:)``.
    @inlinable
    public static func accumulateValues(
        weights: UnsafePointer<Float>, values: UnsafePointer<UInt16>, valueStride: Int, rows: Int, position: Int, count: Int,
        lanes: UnsafeMutablePointer<Float>, batched: Bool
    ) {
        refinery_attention_values(Int64(count), Int64(rows), Int64(position), weights, values, valueStride, lanes, batched ? 1 : 0)
    }

    /// Sums the `lanes` that ``accumulateValues(weights:values:valueStride:rows:position:count:lanes:batched:)``
    /// filled for `rows` cells from `firstPosition` into `output` (`count` floats), and zeroes them.
    @inlinable
    public static func finishValues(
        count: Int, lanes: UnsafeMutablePointer<Float>, into output: UnsafeMutablePointer<Float>, batched: Bool,
        firstPosition: Int, rows: Int
    ) {
        refinery_attention_values_finish(Int64(count), lanes, output, batched ? 1 : 0, Int64(firstPosition), Int64(rows))
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
