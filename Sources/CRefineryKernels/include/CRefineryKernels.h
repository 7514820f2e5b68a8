#ifndef CREFINERY_KERNELS_H
#define CREFINERY_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// Which instruction set the dispatched kernels use: 0 portable, 1 AVX2, 2 AVX-512.
/// `REFINERY_KERNELS=portable|avx2|avx512` caps the choice (for tests and old CPUs).
int refinery_kernels_level(void);

/* The interface the engine multiplies through (implemented in this target; `type` is the
 * ggml type number, as in the Swift `GGMLType`). Rows are read in place (unaligned is fine). */

/// Dequantizes `n` values (a whole number of blocks) of `type` from `src` into `dst`.
/// Returns 0, or -1 if the type is unsupported or `n` is not a whole number of blocks.
int refinery_dequantize_row(int type, const void *src, float *dst, int64_t n);

/// Bytes needed to hold `n` activations quantized for dot products with weights of `type`.
size_t refinery_activation_row_size(int weight_type, int64_t n);

/// Quantizes `n` activations for dot products with weight rows of `weight_type` (Q8_0-style
/// blocks for the 32-value formats, Q8_K-style for the K-quants, plain F32 for F32/F16/BF16),
/// writing `refinery_activation_row_size(weight_type, n)` bytes; writes nothing when that is 0.
/// Each row is quantized on its own (the bytes never depend on other rows or the CPU path).
void refinery_quantize_activations(int weight_type, const float *x, void *dst, int64_t n);

/// `refinery_quantize_activations` with the routines of `level` (capped at the CPU's), whatever
/// level the process uses: every level writes the same bytes, which tests check.
void refinery_quantize_activations_at_level(int level, int weight_type, const float *x, void *dst, int64_t n);

/// The dot product of one weight row of `weight_type` (length `n`) with activations prepared by
/// `refinery_quantize_activations`. The summation order depends only on `n` (and the kernel
/// level, fixed once per process), never on threads or batch (batch invariance). Returns NaN for
/// an unsupported type.
float refinery_vec_dot(int weight_type, int64_t n, const void *weight_row, const void *activations);

/// The highest level this CPU supports (0 portable, 1 AVX2+FMA+F16C, 2 AVX-512 F/BW/VL), before
/// any `REFINERY_KERNELS` cap. At level 2 the integer kernels use AVX512-VNNI where the CPU has
/// it and the AVX2 ones otherwise.
int refinery_kernels_max_level(void);

/// Switches every dispatched kernel to `level`, capped at `refinery_kernels_max_level()` (the
/// environment override only sets the starting level); returns the level now in use. For tests
/// and benchmarks: do not call it while other threads run kernels.
int refinery_kernels_set_level(int level);

/// `refinery_vec_dot` with the kernels of `level` (capped at the CPU's), whatever level is in use:
/// for tests that compare levels without switching the whole process.
float refinery_vec_dot_at_level(int level, int weight_type, int64_t n, const void *weight_row, const void *activations);

/// `refinery_f16_to_f32_row` / `refinery_f32_to_f16_row` with the kernels of `level` (capped).
void refinery_f16_to_f32_row_at_level(int level, const uint16_t *src, float *dst, int64_t n);
void refinery_f32_to_f16_row_at_level(int level, const float *src, uint16_t *dst, int64_t n);

/// Converts `n` IEEE half floats to floats (exact).
void refinery_f16_to_f32_row(const uint16_t *src, float *dst, int64_t n);

/// Converts `n` floats to IEEE half floats, rounding to nearest even.
void refinery_f32_to_f16_row(const float *src, uint16_t *dst, int64_t n);

/// The dot product of `n` half floats (an F16 KV-cache row) with `n` floats (a query). The same
/// kernel as `refinery_vec_dot` for F16 weights; the order depends only on `n`.
float refinery_dot_f16_f32(int64_t n, const uint16_t *keys, const float *query);

/// gate[i] = silu(gate[i]) * up[i] for one row of `n` values, as llama.cpp's CPU backend computes it
/// (ggml_vec_swiglu_f32: ggml's vector expf for full groups of 16 values, libm's expf after).
void refinery_swiglu(float *gate, const float *up, int64_t n);

/// The index of the largest of `n` floats, the first one on a tie; NaN never wins, and 0 when no
/// value is above -infinity (n == 0 too). The same at every level.
int64_t refinery_argmax(const float *x, int64_t n);
int64_t refinery_argmax_at_level(int level, const float *x, int64_t n);

/// y[i] = exp(x[i] - shift) with ggml's vector expf (x and y may be the same array).
void refinery_exp_shifted(const float *x, float shift, float *y, int64_t n);

/// Attention weights from `count` scores, in place: softmax (ggml's vector expf of each score
/// minus the largest; their sum in 16 lanes, lane l taking scores l, l + 16, ... in order, summed
/// by halves, quarters, then (0 + 2) + (1 + 3); each times the float inverse of the sum), each
/// rounded to F16 as ggml rounds the weights before its F16 product with the values.
void refinery_attention_weights(float *scores, int64_t count);

/// Attention of `heads` query vectors that share one KV head (one token's query heads of a
/// group) over the `count` cache positions from `first_position`, in a paged F16 cache: position p
/// lives in row block_table[p / block_size] * block_size + p % block_size, rows `row_stride`
/// elements apart from `keys` and from `values` (both already offset to the KV head's first
/// element). For each head h (query at queries + h * query_stride, `dim` floats holding F16
/// values; output at out + h * out_stride):
///   score_j = dot(key_j, query) in 16 lanes (lane l a fused multiply-add chain over elements
///             l, l + 16, ...) summed by halves, then quarters, then (0 + 2) + (1 + 3), times scale;
///   weights = refinery_attention_weights(scores);
///   out[d]  = the fused multiply-add chain over j, in position order from zero, of weight_j *
///             value_j[d].
/// The order depends on nothing but `dim` and the positions: not on `heads`, on other tokens, or
/// on the kernel level. `scratch` holds heads * count floats.
void refinery_attention(int64_t dim, int64_t heads, const float *queries, int64_t query_stride, const uint16_t *keys,
                        const uint16_t *values, int64_t row_stride, const int32_t *block_table, int64_t block_size,
                        int64_t first_position, int64_t count, float scale, float *scratch, float *out, int64_t out_stride);

/// The functions above with the kernels of `level` (capped at the CPU's): for tests.
void refinery_swiglu_at_level(int level, float *gate, const float *up, int64_t n);
void refinery_exp_shifted_at_level(int level, const float *x, float shift, float *y, int64_t n);
void refinery_attention_weights_at_level(int level, float *scores, int64_t count);
void refinery_attention_at_level(int level, int64_t dim, int64_t heads, const float *queries, int64_t query_stride,
                                 const uint16_t *keys, const uint16_t *values, int64_t row_stride, const int32_t *block_table,
                                 int64_t block_size, int64_t first_position, int64_t count, float scale, float *scratch,
                                 float *out, int64_t out_stride);

/// out[r] = dot(weight row r, activations) for `rows` rows of `n` values spaced `row_stride` bytes
/// apart: exactly `refinery_vec_dot` per row.
void refinery_mat_vec(int weight_type, int64_t n, const void *weights, size_t row_stride, int64_t rows,
                      const void *activations, float *out);

/// `refinery_mat_vec` with the kernels of `level` (capped at the CPU's), whatever level is in use.
void refinery_mat_vec_at_level(int level, int weight_type, int64_t n, const void *weights, size_t row_stride, int64_t rows,
                               const void *activations, float *out);

/// For `cols` activation rows (each prepared by `refinery_quantize_activations`, `act_stride` bytes
/// apart) and `rows` weight rows: out[c * out_stride + r] = dot(weight row r, activation row c).
/// Tiled so each tile of weight rows is read once for a tile of activation rows; every output is
/// bit-identical to `refinery_vec_dot` on the same row pair (same per-row routine).
void refinery_mat_mat(int weight_type, int64_t n, const void *weights, size_t row_stride, int64_t rows,
                      const void *activations, size_t act_stride, int64_t cols, float *out, int64_t out_stride);

/// The interleaved layout Refinery keeps for weights of `weight_type` (Q5_0: rows interleaved in
/// tiles of 16, which matrix products read front to back, one row per vector lane), or -1 where the
/// type is used in ggml's layout. It is a type number of its own for `refinery_mat_vec` and
/// `refinery_mat_mat` (not for `refinery_vec_dot`), and takes the activations of `weight_type`.
int refinery_interleaved_type(int weight_type);

/// Writes `rows` rows of `n` values of `weight_type` (rows `row_stride` bytes apart) to `dst` in
/// the type's interleaved layout: as many bytes as the rows take in ggml's layout, the row of index
/// r at the place of r in `rows` rows of (n / 32) blocks (so a tile of 16 rows starts where its
/// first row would). Matrix products take the interleaved rows with that packed row size as
/// `row_stride`, from a multiple of 16 rows and for a multiple of 16 rows, and give the same bits
/// as on the rows in ggml's layout. Returns 0, or -1 (nothing written) for a type without an
/// interleaved layout, a partial block, or `rows` not a multiple of 16.
int refinery_interleave_rows(int weight_type, int64_t n, const void *src, size_t row_stride, int64_t rows, void *dst);

/// Writes row `row` (0..15) of the interleaved tile at `tile` back in ggml's layout to `dst`
/// (the packed row's bytes). Returns 0, or -1 for a bad type, size or row.
int refinery_deinterleave_row(int interleaved_type, int64_t n, const void *tile, int64_t row, void *dst);

/// Microbenchmark: times single-threaded matrix-vector products (for at least `seconds` of the
/// calling thread's CPU time, so that other load on the machine does not count) of a `rows` x `n`
/// matrix of `weight_type` (random blocks with small finite scales) with the kernels of `level`
/// (capped at the CPU's; the same loop as `refinery_mat_vec`) and
/// returns the weight bytes read per second, in GB/s (10^9 bytes). Returns a negative number for
/// an unsupported type or size, or when memory runs out.
double refinery_bench_mat_vec(int level, int weight_type, int64_t n, int64_t rows, double seconds);

/// Microbenchmark of `refinery_mat_mat` with the current kernels: `cols` activation rows against a
/// `rows` x `n` matrix, single-threaded; returns weight bytes times activation rows per second of
/// the thread's CPU time, in GB/s (comparable with `refinery_bench_mat_vec`), or a negative number.
double refinery_bench_mat_mat(int weight_type, int64_t n, int64_t rows, int64_t cols, double seconds);

#endif
