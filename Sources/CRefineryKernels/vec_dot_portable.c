/* Portable dot products: weight row (ggml layout, read in place) times activations prepared by
 * refinery_quantize_activations. Integer sums inside a block are exact; blocks are accumulated
 * in row order, so the result depends only on the row length. */
#include "kernels_internal.h"
#include "vec_dot.h"

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

float rk_dot_q4_0_portable(int64_t n, const uint8_t *w, const uint8_t *a) {
    const int64_t nb = n / QK32;
    float acc = 0.0f;
    for (int64_t i = 0; i < nb; i++, w += SIZE_Q4_0) {
        const uint8_t *qs = w + 2;
        const int8_t *lo, *hi;
        rk_act_halves(a, nb, i, &lo, &hi);
        int32_t s = 0;
        for (int j = 0; j < 16; j++) s += (qs[j] & 0xF) * lo[j] + (qs[j] >> 4) * hi[j];
        const float d = rk_f16_at(w);
        acc += d * RK_ACT_D(a, i) * (float)s - 8.0f * d * RK_ACT_S(a, nb, i);
    }
    return acc;
}

float rk_dot_q4_1_portable(int64_t n, const uint8_t *w, const uint8_t *a) {
    const int64_t nb = n / QK32;
    float acc = 0.0f;
    for (int64_t i = 0; i < nb; i++, w += SIZE_Q4_1) {
        const uint8_t *qs = w + 4;
        const int8_t *lo, *hi;
        rk_act_halves(a, nb, i, &lo, &hi);
        int32_t s = 0;
        for (int j = 0; j < 16; j++) s += (qs[j] & 0xF) * lo[j] + (qs[j] >> 4) * hi[j];
        acc += rk_f16_at(w) * RK_ACT_D(a, i) * (float)s + rk_f16_at(w + 2) * RK_ACT_S(a, nb, i);
    }
    return acc;
}

static inline int32_t rk_q5_sum(const uint8_t *qs, uint32_t qh, const int8_t *alo, const int8_t *ahi) {
    int32_t s = 0;
    for (int j = 0; j < 16; j++) {
        const int lo = (qs[j] & 0xF) | (int)(((qh >> j) & 1) << 4);
        const int hi = (qs[j] >> 4) | (int)(((qh >> (j + 16)) & 1) << 4);
        s += lo * alo[j] + hi * ahi[j];
    }
    return s;
}

float rk_dot_q5_0_portable(int64_t n, const uint8_t *w, const uint8_t *a) {
    const int64_t nb = n / QK32;
    float acc = 0.0f;
    for (int64_t i = 0; i < nb; i++, w += SIZE_Q5_0) {
        const int8_t *lo, *hi;
        rk_act_halves(a, nb, i, &lo, &hi);
        const int32_t s = rk_q5_sum(w + 6, rk_load_u32(w + 2), lo, hi);
        const float d = rk_f16_at(w);
        acc += d * RK_ACT_D(a, i) * (float)s - 16.0f * d * RK_ACT_S(a, nb, i);
    }
    return acc;
}

float rk_dot_q5_1_portable(int64_t n, const uint8_t *w, const uint8_t *a) {
    const int64_t nb = n / QK32;
    float acc = 0.0f;
    for (int64_t i = 0; i < nb; i++, w += SIZE_Q5_1) {
        const int8_t *lo, *hi;
        rk_act_halves(a, nb, i, &lo, &hi);
        const int32_t s = rk_q5_sum(w + 8, rk_load_u32(w + 4), lo, hi);
        acc += rk_f16_at(w) * RK_ACT_D(a, i) * (float)s + rk_f16_at(w + 2) * RK_ACT_S(a, nb, i);
    }
    return acc;
}

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

float rk_dot_q2_k_portable(int64_t n, const uint8_t *w, const uint8_t *a) {
    float acc = 0.0f;
    for (int64_t i = 0; i < n / QKK; i++, w += SIZE_Q2_K, a += SIZE_A256) {
        const uint8_t *scales = w, *qs = w + 16;
        const int8_t *aq = (const int8_t *)(a + A256_QS);
        int32_t isum = 0, msum = 0;
        for (int g = 0; g < 16; g++) msum += (scales[g] >> 4) * rk_load_i16(a + A256_BSUMS + 2 * g);
        for (int t = 0; t < 8; t++) {
            const uint8_t *q = qs + (t >> 2) * 32;
            const int shift = 2 * (t & 3);
            for (int h = 0; h < 2; h++) {
                int32_t s = 0;
                for (int j = 16 * h; j < 16 * h + 16; j++) s += ((q[j] >> shift) & 3) * aq[t * 32 + j];
                isum += (scales[2 * t + h] & 0xF) * s;
            }
        }
        const float da = rk_load_f32(a);
        acc += rk_f16_at(w + 80) * da * (float)isum - rk_f16_at(w + 82) * da * (float)msum;
    }
    return acc;
}

float rk_dot_q3_k_portable(int64_t n, const uint8_t *w, const uint8_t *a) {
    float acc = 0.0f;
    for (int64_t i = 0; i < n / QKK; i++, w += SIZE_Q3_K, a += SIZE_A256) {
        const uint8_t *hmask = w, *qs = w + 32;
        int8_t sc[16];
        rk_scales_q3k(w + 96, sc);
        const int8_t *aq = (const int8_t *)(a + A256_QS);
        int32_t isum = 0;
        for (int t = 0; t < 8; t++) {
            const uint8_t *q = qs + (t >> 2) * 32;
            const int shift = 2 * (t & 3);
            for (int h = 0; h < 2; h++) {
                int32_t s = 0;
                for (int j = 16 * h; j < 16 * h + 16; j++) {
                    const int v = ((q[j] >> shift) & 3) - ((((hmask[j] >> t) & 1) ^ 1) << 2);
                    s += v * aq[t * 32 + j];
                }
                isum += sc[2 * t + h] * s;
            }
        }
        acc += rk_f16_at(w + 108) * rk_load_f32(a) * (float)isum;
    }
    return acc;
}

static float rk_dot_q45_k(int64_t n, const uint8_t *w, const uint8_t *a, int five) {
    const int64_t bs = five ? SIZE_Q5_K : SIZE_Q4_K;
    float acc = 0.0f;
    for (int64_t i = 0; i < n / QKK; i++, w += bs, a += SIZE_A256) {
        const uint8_t *scales = w + 4, *qh = w + 16, *qs = w + (five ? 48 : 16);
        const int8_t *aq = (const int8_t *)(a + A256_QS);
        int32_t isum = 0, msum = 0;
        for (int g = 0; g < 8; g++) {
            uint8_t sc, m;
            rk_scale_min_k4(g, scales, &sc, &m);
            const uint8_t *q = qs + (g >> 1) * 32;
            const int shift = (g & 1) * 4;
            int32_t s = 0;
            for (int j = 0; j < 32; j++) {
                int v = (q[j] >> shift) & 0xF;
                if (five) v |= ((qh[j] >> g) & 1) << 4;
                s += v * aq[g * 32 + j];
            }
            isum += sc * s;
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
    for (int64_t i = 0; i < n / QKK; i++, w += SIZE_Q6_K, a += SIZE_A256) {
        const uint8_t *ql = w, *qh = w + 128;
        const int8_t *scales = (const int8_t *)(w + 192);
        const int8_t *aq = (const int8_t *)(a + A256_QS);
        int32_t isum = 0;
        for (int g = 0; g < 16; g++) {
            int32_t s = 0;
            for (int k = g * 16; k < g * 16 + 16; k++) {
                const int half = k >> 7, r = k & 127;
                const int low = (ql[half * 64 + (r & 63)] >> (4 * (r >> 6))) & 0xF;
                const int high = (qh[half * 32 + (r & 31)] >> (2 * (r >> 5))) & 3;
                s += ((low | (high << 4)) - 32) * aq[k];
            }
            isum += scales[g] * s;
        }
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
