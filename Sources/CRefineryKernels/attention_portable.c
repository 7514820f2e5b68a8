/* Attention and activation arithmetic in llama.cpp's CPU order (portable level; the SIMD levels
 * in attention_simd.inc give the same bits). See CRefineryKernels.h for what each computes.
 *
 * llama.cpp evaluates a batch of several tokens through its tiled matrix product (llamafile's
 * tinyBLAS: 16 float lanes, each a chain of fused multiply-adds over every 16th element, then
 * one horizontal sum) and a single token through ggml's F16 dot product (64 lanes in four
 * 16-lane accumulators, combined pairwise, then the same horizontal sum). Its exp in softmax and
 * SiLU is ggml's vector expf, a polynomial with its own rounding. Reproducing these operation by
 * operation is what lets greedy decoding give llama.cpp's tokens: a small model amplifies a
 * difference in the last bit into a different token within a few dozen steps. */
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

/* The horizontal sum of 16 lanes as ggml's _mm512_reduce_add_ps (GCC): halves, quarters, then
 * lanes 0 + 2 and 1 + 3, then those two. */
float rk_reduce16(const float v[16]) {
    float t[8], s[4];
    for (int i = 0; i < 8; i++) t[i] = v[i] + v[i + 8];
    for (int i = 0; i < 4; i++) s[i] = t[i] + t[i + 4];
    return (s[0] + s[2]) + (s[1] + s[3]);
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

void rk_attention_scores_portable(int64_t n, const uint16_t *keys, size_t stride, int64_t count, const float *query,
                                  float *out, int batched) {
    const uint8_t *k = (const uint8_t *)keys;
    for (int64_t r = 0; r < count; r++, k += stride) {
        if (batched && n % 16 == 0) {
            float lanes[16] = {0};
            for (int64_t i = 0; i < n; i += 16)
                for (int l = 0; l < 16; l++) lanes[l] = __builtin_fmaf(rk_f16_at(k + 2 * (i + l)), query[i + l], lanes[l]);
            out[r] = rk_reduce16(lanes);
        } else {
            float acc[4][16] = {{0}};
            const int64_t full = n / 64 * 64;
            for (int64_t i = 0; i < full; i += 64)
                for (int a = 0; a < 4; a++)
                    for (int l = 0; l < 16; l++)
                        acc[a][l] = __builtin_fmaf(rk_f16_at(k + 2 * (i + 16 * a + l)), query[i + 16 * a + l], acc[a][l]);
            float x[16];
            for (int l = 0; l < 16; l++) x[l] = (acc[0][l] + acc[2][l]) + (acc[1][l] + acc[3][l]);
            double sum = rk_reduce16(x);
            for (int64_t i = full; i < n; i++) sum += (double)(rk_f16_at(k + 2 * i) * query[i]);
            out[r] = (float)sum;
        }
    }
}

void rk_attention_values_portable(int64_t n, int64_t count, int64_t first, const float *weights, const uint16_t *values,
                                  size_t stride, float *lanes, int batched) {
    const int64_t lane_count = batched ? 16 : 64;
    const uint8_t *v = (const uint8_t *)values;
    for (int64_t j = 0; j < count; j++, v += stride) {
        float *row = lanes + ((first + j) % lane_count) * n;
        for (int64_t i = 0; i < n; i++) row[i] = __builtin_fmaf(rk_f16_at(v + 2 * i), weights[j], row[i]);
    }
}

int rk_lane_touched(int64_t lane, int64_t lane_count, int64_t first, int64_t count) {
    return count >= lane_count || ((lane - first) % lane_count + lane_count) % lane_count < count;
}

/* Output i: the 64-lane combine (when not batched) and the 16-lane sum; untouched lanes are zero
 * (never -0, so skipping their loads changes no bit). */
float rk_lanes_sum_at(const float *lanes, int64_t n, int64_t i, int batched, const int *touched) {
    float v[64], x[16];
    const int64_t lane_count = batched ? 16 : 64;
    for (int64_t l = 0; l < lane_count; l++) v[l] = touched[l] ? lanes[l * n + i] : 0.0f;
    for (int l = 0; l < 16; l++) x[l] = batched ? v[l] : (v[l] + v[l + 32]) + (v[l + 16] + v[l + 48]);
    return rk_reduce16(x);
}

void rk_attention_values_finish_portable(int64_t n, float *lanes, float *out, int batched, int64_t first, int64_t count) {
    const int64_t lane_count = batched ? 16 : 64;
    int touched[64];
    for (int64_t l = 0; l < lane_count; l++) touched[l] = rk_lane_touched(l, lane_count, first, count);
    for (int64_t i = 0; i < n; i++) out[i] = rk_lanes_sum_at(lanes, n, i, batched, touched);
    for (int64_t l = 0; l < lane_count; l++)
        if (touched[l]) memset(lanes + l * n, 0, (size_t)n * sizeof(float));
}
