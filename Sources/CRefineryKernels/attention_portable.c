/* Attention and activation arithmetic (portable level; the SIMD levels in attention_simd.inc give
 * the same bits). See CRefineryKernels.h for what each computes.
 *
 * Attention sums in one order at every level, chosen to be fast with wide vectors and the same
 * for a token however it is batched:
 *   - a score is the dot product of a key row and a query in 16 lanes, lane l a chain of fused
 *     multiply-adds over elements l, l + 16, l + 32, ..., then rk_reduce16's tree, times the scale;
 *   - softmax takes ggml's vector expf (a polynomial with its own rounding) of each score minus
 *     the largest, sums them in 16 lanes (lane l: scores l, l + 16, ... in order) with
 *     rk_reduce16's tree, multiplies each by the float inverse of the sum and rounds it to F16
 *     (as ggml rounds the weights before its F16 product with the values);
 *   - an output element is one chain of fused multiply-adds over the cache positions in order,
 *     starting from zero.
 * SiLU also uses ggml's vector expf. */
#include "kernels_internal.h"
#include "vec_dot.h"
#include <math.h>
#include <string.h>

#pragma clang fp contract(off)

float rk_ggml_scalef(float j, float n) {
    if (fabsf(n) > 192.0f) return n <= 0.0f ? 0.0f : INFINITY;
    if (n != n) return n;
    return ldexpf(j, (int)n);
}

float rk_ggml_expf(float x) {
    const float r = 0x1.8p23f;
    const float z = __builtin_fmaf(x, 0x1.715476p+0f, r);
    const float n = z - r;
    const float b = __builtin_fmaf(-n, 0x1.7f7d1cp-20f, __builtin_fmaf(-n, 0x1.62e4p-1f, x));
    const float u = b * b;
    const float j = __builtin_fmaf(__builtin_fmaf(__builtin_fmaf(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u,
                                                  __builtin_fmaf(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)),
                                   u, __builtin_fmaf(0x1.ffffecp-1f, b, 1.0f));
    return rk_ggml_scalef(j, n);
}

/* The horizontal sum of 16 lanes (as ggml's _mm512_reduce_add_ps under GCC): halves, quarters,
 * then lanes 0 + 2 and 1 + 3, then those two. */
float rk_reduce16(const float v[16]) {
    float t[8], s[4];
    for (int i = 0; i < 8; i++) t[i] = v[i] + v[i + 8];
    for (int i = 0; i < 4; i++) s[i] = t[i] + t[i + 4];
    return (s[0] + s[2]) + (s[1] + s[3]);
}

int64_t rk_argmax_portable(const float *x, int64_t n) {
    int64_t best = 0;
    float largest = -INFINITY;
    for (int64_t i = 0; i < n; i++)
        if (x[i] > largest) {
            largest = x[i];
            best = i;
        }
    return best;
}

void rk_exp_shifted_portable(const float *x, float shift, float *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = rk_ggml_expf(x[i] - shift);
}

void rk_swiglu_portable(float *gate, const float *up, int64_t n) {
    const int64_t vectorized = n / 16 * 16;
    for (int64_t i = 0; i < n; i++) {
        const float g = gate[i];
        /* ggml's vector SiLU for full groups of 16, libm's expf for the rest of the row. */
        const float e = i < vectorized ? rk_ggml_expf(0.0f - g) : expf(-g);
        gate[i] = (g / (1.0f + e)) * up[i];
    }
}

void rk_attention_scores_portable(int64_t dim, int64_t heads, const float *queries, int64_t query_stride, const uint16_t *keys,
                                  int64_t row_stride, const int32_t *table, int64_t block_size, int64_t first, int64_t count,
                                  float scale, float *scores) {
    RK_FOR_CACHE_ROWS(keys, row_stride, table, block_size, first, count, i, row, {
        const uint8_t *k = (const uint8_t *)row;
        for (int64_t h = 0; h < heads; h++) {
            const float *q = queries + h * query_stride;
            float lanes[16] = {0};
            for (int64_t d = 0; d < dim; d++) lanes[d % 16] = __builtin_fmaf(rk_f16_at(k + 2 * d), q[d], lanes[d % 16]);
            scores[h * count + i] = rk_reduce16(lanes) * scale;
        }
    });
}

void rk_attention_weights_portable(float *w, int64_t count) {
    if (count <= 0) return;
    float max = w[0];
    for (int64_t j = 1; j < count; j++) max = w[j] > max ? w[j] : max;
    rk_exp_shifted_portable(w, max, w, count);
    float lanes[16] = {0};
    for (int64_t j = 0; j < count; j++) lanes[j % 16] += w[j];
    const float inverse = 1.0f / rk_reduce16(lanes);
    for (int64_t j = 0; j < count; j++) w[j] = rk_f16_to_f32(rk_f32_to_f16(w[j] * inverse));
}

void rk_attention_values_portable(int64_t dim, int64_t heads, const float *weights, const uint16_t *values, int64_t row_stride,
                                  const int32_t *table, int64_t block_size, int64_t first, int64_t count, float *out,
                                  int64_t out_stride) {
    for (int64_t h = 0; h < heads; h++)
        for (int64_t d = 0; d < dim; d++) out[h * out_stride + d] = 0.0f;
    RK_FOR_CACHE_ROWS(values, row_stride, table, block_size, first, count, i, row, {
        const uint8_t *v = (const uint8_t *)row;
        for (int64_t h = 0; h < heads; h++) {
            const float w = weights[h * count + i];
            float *o = out + h * out_stride;
            for (int64_t d = 0; d < dim; d++) o[d] = __builtin_fmaf(w, rk_f16_at(v + 2 * d), o[d]);
        }
    });
}
