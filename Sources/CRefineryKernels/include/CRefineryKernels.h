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
/// blocks for the 32-value formats, Q8_K-style for the K-quants, plain F32/F16 where faster).
void refinery_quantize_activations(int weight_type, const float *x, void *dst, int64_t n);

/// The dot product of one weight row of `weight_type` (length `n`) with activations prepared by
/// `refinery_quantize_activations`. The summation order depends only on `n`, never on threads
/// or batch (batch invariance).
float refinery_vec_dot(int weight_type, int64_t n, const void *weight_row, const void *activations);

#endif
