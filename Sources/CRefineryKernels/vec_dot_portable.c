/* Portable dot products: weight row (ggml layout, read in place) times activations prepared by
 * refinery_quantize_activations. Integer sums inside a block are exact; blocks are accumulated
 * in row order, so the result depends only on the row length. */
#include "kernels_internal.h"
#include "vec_dot.h"
#include <stddef.h>

/* 32-value formats: activations are arrays d[nb], s[nb] (d * sum of quants), qs[nb][32]. */
#define RK_ACT_D(a, i) rk_load_f32((a) + 4 * (i))
#define RK_ACT_S(a, nb, i) rk_load_f32((a) + 4 * ((nb) + (i)))
#define RK_ACT_Q(a, nb, i) ((const int8_t *)((a) + 8 * (nb) + QK32 * (i)))

/* Low (values 0..15) and high (16..31) halves of block i's activation quants for the nibble
 * formats, whose full groups of four blocks store four low halves, then four high halves. */
static inline void rk_act_halves(const uint8_t *a, int64_t nb, int64_t i, const int8_t **lo, const int8_t **hi) {
    const uint8_t *qs = a + 8 * nb;
    if (i < nb / 4 * 4) {
        const uint8_t *group = qs + QK32 * (i / 4 * 4);
        *lo = (const int8_t *)(group + 16 * (i % 4));
        *hi = (const int8_t *)(group + 64 + 16 * (i % 4));
    } else {
        *lo = (const int8_t *)(qs + QK32 * i);
        *hi = *lo + 16;
    }
}

/* Exact dot product of `count` int8 pairs. */
static inline int32_t rk_dot_i8(const int8_t *x, const int8_t *y, int count) {
    int32_t s = 0;
    for (int j = 0; j < count; j++) s += (int32_t)x[j] * (int32_t)y[j];
    return s;
}

/* The 32 unsigned quants of a Q4/Q5 block (low nibbles, then high nibbles, plus the 5th bits). */
static inline __attribute__((always_inline)) void rk_unpack_q45(const uint8_t *qs, const uint8_t *qh, int8_t q[32]) {
    for (int j = 0; j < 16; j++) {
        q[j] = (int8_t)(qs[j] & 0xF);
        q[j + 16] = (int8_t)(qs[j] >> 4);
    }
    if (qh) {
        const uint32_t bits = rk_load_u32(qh);
        for (int j = 0; j < 32; j++) q[j] |= (int8_t)(((bits >> j) & 1) << 4);
    }
}

static inline __attribute__((always_inline)) float rk_q45_portable(int64_t n, const uint8_t *w, const uint8_t *a, int64_t ws, int qs_off, int qh_off,
                                    int has_min, float offset) {
    const int64_t nb = n / QK32;
    float acc = 0.0f;
    int8_t q[32];
    for (int64_t i = 0; i < nb; i++, w += ws) {
        rk_unpack_q45(w + qs_off, qh_off ? w + qh_off : NULL, q);
        const int8_t *lo, *hi;
        rk_act_halves(a, nb, i, &lo, &hi);
        const int32_t s = rk_dot_i8(q, lo, 16) + rk_dot_i8(q + 16, hi, 16);
        const float d = rk_f16_at(w);
        if (has_min) acc += d * RK_ACT_D(a, i) * (float)s + rk_f16_at(w + 2) * RK_ACT_S(a, nb, i);
        else acc += d * RK_ACT_D(a, i) * (float)s + offset * d * RK_ACT_S(a, nb, i);
    }
    return acc;
}

float rk_dot_q4_0_portable(int64_t n, const uint8_t *w, const uint8_t *a) { return rk_q45_portable(n, w, a, SIZE_Q4_0, 2, 0, 0, -8.0f); }
float rk_dot_q4_1_portable(int64_t n, const uint8_t *w, const uint8_t *a) { return rk_q45_portable(n, w, a, SIZE_Q4_1, 4, 0, 1, 0.0f); }
float rk_dot_q5_0_portable(int64_t n, const uint8_t *w, const uint8_t *a) { return rk_q45_portable(n, w, a, SIZE_Q5_0, 6, 2, 0, -16.0f); }
float rk_dot_q5_1_portable(int64_t n, const uint8_t *w, const uint8_t *a) { return rk_q45_portable(n, w, a, SIZE_Q5_1, 8, 4, 1, 0.0f); }

float rk_dot_q8_0_portable(int64_t n, const uint8_t *w, const uint8_t *a) {
    const int64_t nb = n / QK32;
    float acc = 0.0f;
    for (int64_t i = 0; i < nb; i++, w += SIZE_Q8_0) {
        const int8_t *qs = (const int8_t *)(w + 2);
        const int8_t *aq = RK_ACT_Q(a, nb, i);
        int32_t s = 0;
        for (int j = 0; j < 32; j++) s += qs[j] * aq[j];
        acc += rk_f16_at(w) * RK_ACT_D(a, i) * (float)s;
    }
    return acc;
}

/* K-quants: each block's quants are first unpacked to bytes (loops the compiler vectorizes), then
 * dotted with the activations per 16 or 32 values in exact integer arithmetic. */

float rk_dot_q2_k_portable(int64_t n, const uint8_t *w, const uint8_t *a) {
    float acc = 0.0f;
    int8_t q[QKK];
    for (int64_t i = 0; i < n / QKK; i++, w += SIZE_Q2_K, a += SIZE_A256) {
        const uint8_t *scales = w, *qs = w + 16;
        const int8_t *aq = (const int8_t *)(a + A256_QS);
        for (int t = 0; t < 8; t++)
            for (int j = 0; j < 32; j++) q[32 * t + j] = (int8_t)((qs[(t >> 2) * 32 + j] >> (2 * (t & 3))) & 3);
        int32_t isum = 0, msum = 0;
        for (int g = 0; g < 16; g++) {
            isum += (scales[g] & 0xF) * rk_dot_i8(q + 16 * g, aq + 16 * g, 16);
            msum += (scales[g] >> 4) * rk_load_i16(a + A256_BSUMS + 2 * g);
        }
        const float da = rk_load_f32(a);
        acc += rk_f16_at(w + 80) * da * (float)isum - rk_f16_at(w + 82) * da * (float)msum;
    }
    return acc;
}

float rk_dot_q3_k_portable(int64_t n, const uint8_t *w, const uint8_t *a) {
    float acc = 0.0f;
    int8_t q[QKK];
    for (int64_t i = 0; i < n / QKK; i++, w += SIZE_Q3_K, a += SIZE_A256) {
        const uint8_t *hmask = w, *qs = w + 32;
        int8_t sc[16];
        rk_scales_q3k(w + 96, sc);
        const int8_t *aq = (const int8_t *)(a + A256_QS);
        for (int t = 0; t < 8; t++)
            for (int j = 0; j < 32; j++)
                q[32 * t + j] = (int8_t)(((qs[(t >> 2) * 32 + j] >> (2 * (t & 3))) & 3) - ((((hmask[j] >> t) & 1) ^ 1) << 2));
        int32_t isum = 0;
        for (int g = 0; g < 16; g++) isum += sc[g] * rk_dot_i8(q + 16 * g, aq + 16 * g, 16);
        acc += rk_f16_at(w + 108) * rk_load_f32(a) * (float)isum;
    }
    return acc;
}

static inline float rk_dot_q45_k(int64_t n, const uint8_t *w, const uint8_t *a, int five) {
    const int64_t bs = five ? SIZE_Q5_K : SIZE_Q4_K;
    float acc = 0.0f;
    int8_t q[QKK];
    for (int64_t i = 0; i < n / QKK; i++, w += bs, a += SIZE_A256) {
        const uint8_t *scales = w + 4, *qh = w + 16, *qs = w + (five ? 48 : 16);
        const int8_t *aq = (const int8_t *)(a + A256_QS);
        for (int c = 0; c < 4; c++)
            for (int j = 0; j < 32; j++) {
                q[64 * c + j] = (int8_t)(qs[32 * c + j] & 0xF);
                q[64 * c + 32 + j] = (int8_t)(qs[32 * c + j] >> 4);
            }
        if (five)
            for (int g = 0; g < 8; g++)
                for (int j = 0; j < 32; j++) q[32 * g + j] |= (int8_t)(((qh[j] >> g) & 1) << 4);
        int32_t isum = 0, msum = 0;
        for (int g = 0; g < 8; g++) {
            uint8_t sc, m;
            rk_scale_min_k4(g, scales, &sc, &m);
            isum += sc * rk_dot_i8(q + 32 * g, aq + 32 * g, 32);
            msum += m * (rk_load_i16(a + A256_BSUMS + 4 * g) + rk_load_i16(a + A256_BSUMS + 4 * g + 2));
        }
        const float da = rk_load_f32(a);
        acc += rk_f16_at(w) * da * (float)isum - rk_f16_at(w + 2) * da * (float)msum;
    }
    return acc;
}

float rk_dot_q4_k_portable(int64_t n, const uint8_t *w, const uint8_t *a) { return rk_dot_q45_k(n, w, a, 0); }
float rk_dot_q5_k_portable(int64_t n, const uint8_t *w, const uint8_t *a) { return rk_dot_q45_k(n, w, a, 1); }

float rk_dot_q6_k_portable(int64_t n, const uint8_t *w, const uint8_t *a) {
    float acc = 0.0f;
    int8_t q[QKK];
    for (int64_t i = 0; i < n / QKK; i++, w += SIZE_Q6_K, a += SIZE_A256) {
        const uint8_t *ql = w, *qh = w + 128;
        const int8_t *scales = (const int8_t *)(w + 192);
        const int8_t *aq = (const int8_t *)(a + A256_QS);
        for (int half = 0; half < 2; half++) {
            const uint8_t *l = ql + 64 * half, *h = qh + 32 * half;
            int8_t *o = q + 128 * half;
            for (int j = 0; j < 32; j++) {
                o[j] = (int8_t)(((l[j] & 0xF) | ((h[j] & 3) << 4)) - 32);
                o[32 + j] = (int8_t)(((l[32 + j] & 0xF) | (((h[j] >> 2) & 3) << 4)) - 32);
                o[64 + j] = (int8_t)(((l[j] >> 4) | (((h[j] >> 4) & 3) << 4)) - 32);
                o[96 + j] = (int8_t)(((l[32 + j] >> 4) | (((h[j] >> 6) & 3) << 4)) - 32);
            }
        }
        int32_t isum = 0;
        for (int g = 0; g < 16; g++) isum += scales[g] * rk_dot_i8(q + 16 * g, aq + 16 * g, 16);
        acc += rk_f16_at(w + 208) * rk_load_f32(a) * (float)isum;
    }
    return acc;
}

/* Float rows: eight partial sums (element j goes to sum j % 8), added pairwise at the end. */
#define RK_FLOAT_DOT(NAME, LOAD)                                                   \
    float NAME(int64_t n, const uint8_t *w, const uint8_t *a) {                    \
        float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};                                     \
        int64_t j = 0;                                                             \
        for (; j + 8 <= n; j += 8)                                                 \
            for (int l = 0; l < 8; l++) s[l] += LOAD(w, j + l) * rk_load_f32(a + 4 * (j + l)); \
        for (int l = 0; j < n; j++, l++) s[l] += LOAD(w, j) * rk_load_f32(a + 4 * j); \
        return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));   \
    }

#define RK_LOAD_F32(w, j) rk_load_f32((w) + 4 * (j))
#define RK_LOAD_F16(w, j) rk_f16_to_f32(rk_load_u16((w) + 2 * (j)))
#define RK_LOAD_BF16(w, j) rk_bits_f32((uint32_t)rk_load_u16((w) + 2 * (j)) << 16)

RK_FLOAT_DOT(rk_dot_f32_portable, RK_LOAD_F32)
RK_FLOAT_DOT(rk_dot_f16_portable, RK_LOAD_F16)
RK_FLOAT_DOT(rk_dot_bf16_portable, RK_LOAD_BF16)

void rk_f16_to_f32_row_portable(const uint16_t *src, float *dst, int64_t n) {
    for (int64_t i = 0; i < n; i++) dst[i] = rk_f16_to_f32(src[i]);
}

void rk_f32_to_f16_row_portable(const float *src, uint16_t *dst, int64_t n) {
    for (int64_t i = 0; i < n; i++) dst[i] = rk_f32_to_f16(src[i]);
}

void rk_axpy_f16_portable(int64_t n, float alpha, const uint16_t *v, float *y) {
    for (int64_t i = 0; i < n; i++) y[i] = __builtin_fmaf(alpha, rk_f16_to_f32(v[i]), y[i]);
}

void rk_dot_f16_rows_portable(int64_t n, const uint16_t *keys, size_t stride, int64_t count, const float *query, float *out) {
    for (int64_t j = 0; j < count; j++)
        out[j] = rk_dot_f16_portable(n, (const uint8_t *)keys + (size_t)j * stride, (const uint8_t *)query);
}

void rk_axpy_f16_rows_portable(int64_t n, int64_t count, const float *weights, const uint16_t *values, size_t stride, float *y) {
    for (int64_t j = 0; j < count; j++)
        rk_axpy_f16_portable(n, weights[j], (const uint16_t *)(const void *)((const uint8_t *)values + (size_t)j * stride), y);
}
