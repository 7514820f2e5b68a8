/* Portable dot products: weight row (ggml layout, read in place) times activations prepared by
 * refinery_quantize_activations, in the x86 SIMD kernels' exact order (see below), so that a model
 * decodes the same tokens on every CPU. */
#include "kernels_internal.h"
#include "vec_dot.h"
#include <stddef.h>

/* Every level gives bit-identical results: integer sums inside a block are exact, and the float
 * work follows the SIMD kernels' order (vec_dot_simd.inc) operation by operation — each 32-value
 * chunk's products summed in eight int32 lanes (lane l takes positions 4l..4l+3), each lane
 * converted, scaled and accumulated with a fused multiply-add in its own float lane, the lanes
 * added at the end in rk_hsum's order. Q4_K, Q5_0, Q4_1 and Q8_0 differ: each block is summed exactly in
 * integers and one float accumulator per row takes the blocks in order, which lets their fastest
 * kernels hold one row per vector lane. Contraction is off so that no other a * b + c fuses. */
#pragma clang fp contract(off)

#define RK_FMA(a, b, c) __builtin_fmaf((a), (b), (c))

/* The horizontal sum of eight float lanes, in the SIMD kernels' order (rk_hsum). */
static inline float rk_hsum8(const float v[8]) {
    const float s0 = v[0] + v[4], s1 = v[1] + v[5], s2 = v[2] + v[6], s3 = v[3] + v[7];
    return (s0 + s2) + (s1 + s3);
}

/* Exact sum of the four products in lane l (positions 4l..4l+3) of a 32-value chunk. */
static inline int32_t rk_lane(const int8_t *x, const int8_t *y, int l) {
    int32_t s = 0;
    for (int t = 4 * l; t < 4 * l + 4; t++) s += (int32_t)x[t] * (int32_t)y[t];
    return s;
}

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

/* Q4_0 and Q5_1 (rk_q4q5_cols). Blocks in full groups of eight (and a last full group of
 * four) go to float accumulator (k / 2) % 2, lanes 4 (k % 2) + j, where k is the block's place in
 * its group and lane j sums values 4j..4j+3 and 16+4j..16+4j+3; later blocks go to a third
 * accumulator in their natural lanes. The offset (or min) terms are summed separately. */
static inline __attribute__((always_inline)) float rk_q45_portable(int64_t n, const uint8_t *w, const uint8_t *a, int64_t ws, int qs_off, int qh_off,
                                    int has_min, float offset) {
    const int64_t nb = n / QK32;
    float acc[2][8] = {{0}}, tail[8] = {0}, extra[8] = {0}, tail_extra = 0.0f;
    const int64_t grouped = nb / 8 * 8 + (nb % 8 >= 4 ? 4 : 0);
    int8_t q[32];
    for (int64_t i = 0; i < nb; i++, w += ws) {
        rk_unpack_q45(w + qs_off, qh_off ? w + qh_off : NULL, q);
        const float d = rk_f16_at(w), m = has_min ? rk_f16_at(w + 2) : d;
        const float scale = d * RK_ACT_D(a, i);
        if (i < grouped) {
            const int k = (int)(i % 8);
            if (i < nb / 8 * 8) extra[k] = RK_FMA(m, RK_ACT_S(a, nb, i), extra[k]);
            else tail_extra = RK_FMA(m, RK_ACT_S(a, nb, i), tail_extra);
            const int8_t *lo, *hi;
            rk_act_halves(a, nb, i, &lo, &hi);
            float *target = acc[(k / 2) % 2];
            for (int j = 0; j < 4; j++) {
                const int32_t s = rk_lane(q, lo, j) + rk_lane(q + 16, hi, j);
                target[4 * (k % 2) + j] = RK_FMA((float)s, scale, target[4 * (k % 2) + j]);
            }
        } else {
            tail_extra = RK_FMA(m, RK_ACT_S(a, nb, i), tail_extra);
            const int8_t *aq = RK_ACT_Q(a, nb, i);
            for (int l = 0; l < 8; l++) tail[l] = RK_FMA((float)rk_lane(q, aq, l), scale, tail[l]);
        }
    }
    float v[8];
    for (int l = 0; l < 8; l++) v[l] = (acc[0][l] + acc[1][l]) + tail[l];
    const float result = rk_hsum8(v);
    const float e = rk_hsum8(extra) + tail_extra;
    return has_min ? result + e : result + offset * e;
}

float rk_dot_q4_0_portable(int64_t n, const uint8_t *w, const uint8_t *a) { return rk_q45_portable(n, w, a, SIZE_Q4_0, 2, 0, 0, -8.0f); }
float rk_dot_q5_1_portable(int64_t n, const uint8_t *w, const uint8_t *a) { return rk_q45_portable(n, w, a, SIZE_Q5_1, 8, 4, 1, 0.0f); }

/* Q5_0, Q4_1 and Q8_0: the formats with an interleaved layout (interleave.c). Each block's sum is
 * exact in integers, the weights' offset included (Q5_0 and Q8_0 activations carry their block
 * sums times the offset), and one float accumulator per row takes fma(sum, d * activation d)
 * block by block, then (Q4_1) fma(m, activation s). The one-row routines here and in
 * vec_dot_simd.inc (rows in ggml's layout) and the tile kernels (16 interleaved rows, one per
 * vector lane) give the same bits. */
static inline float rk_x16_step(int type, float acc, const uint8_t *a, int64_t nb, int64_t i, float d, float m, int32_t sum) {
    acc = RK_FMA((float)sum, d * RK_ACT_D(a, i), acc);
    return type == RT_Q4_1 ? RK_FMA(m, RK_ACT_S(a, nb, i), acc) : acc;
}

/* A block's exact sum: the row's 32 values (unsigned for Q5_0 and Q4_1, signed for Q8_0) with
 * the activations, plus the activations' offset sum (Q5_0). */
static inline int32_t rk_x16_block_sum(int type, const uint8_t *block, const uint8_t *a, int64_t nb, int64_t i) {
    int8_t q[32];
    if (type == RT_Q8_0) memcpy(q, block + 2, 32);
    else rk_unpack_q45(block + (type == RT_Q5_0 ? 6 : 4), type == RT_Q5_0 ? block + 2 : NULL, q);
    const int8_t *aq = RK_ACT_Q(a, nb, i);
    int32_t sum = type == RT_Q5_0 ? rk_load_i32(a + 4 * (nb + i)) : 0;
    for (int j = 0; j < 32; j++) sum += (int32_t)q[j] * (int32_t)aq[j];
    return sum;
}

static inline __attribute__((always_inline)) float rk_x16_dot(int type, int64_t n, const uint8_t *w, const uint8_t *a, int64_t size) {
    const int64_t nb = n / QK32;
    float acc = 0.0f;
    for (int64_t i = 0; i < nb; i++, w += size)
        acc = rk_x16_step(type, acc, a, nb, i, rk_f16_at(w), type == RT_Q4_1 ? rk_f16_at(w + 2) : 0.0f, rk_x16_block_sum(type, w, a, nb, i));
    return acc;
}

#define RK_X16_ROWS_FNS(NAME, TYPE, SIZE)                                                                                    \
    float rk_dot_##NAME##_portable(int64_t n, const uint8_t *w, const uint8_t *a) { return rk_x16_dot(TYPE, n, w, a, SIZE); } \
    void rk_rows_##NAME##_portable(int64_t n, const uint8_t *w, size_t row_stride, int64_t rows, const uint8_t *a, float *out) { \
        for (int64_t r = 0; r < rows; r++) out[r] = rk_x16_dot(TYPE, n, w + (size_t)r * row_stride, a, SIZE);                 \
    }
RK_X16_ROWS_FNS(q5_0, RT_Q5_0, SIZE_Q5_0)
RK_X16_ROWS_FNS(q4_1, RT_Q4_1, SIZE_Q4_1)
RK_X16_ROWS_FNS(q8_0, RT_Q8_0, SIZE_Q8_0)

/* Row r's value v (0..31) of an interleaved block, as the kernels see it (Q8_0: plus 128). */
static inline int32_t rk_x16_value(int type, const uint8_t *block, int r, int v) {
    if (type == RT_Q8_0) return block[RK_X16_Q_Q8_0 + 64 * (v / 4) + 4 * r + v % 4];
    const int k = (v % 16) / 4, t = v % 4;
    const uint8_t byte = block[(type == RT_Q5_0 ? RK_X16_QS_Q5_0 : RK_X16_QS_Q4_1) + 64 * k + 4 * r + t];
    int32_t value = v < 16 ? (byte & 0xF) : (byte >> 4);
    if (type == RT_Q5_0) value |= (int32_t)((rk_load_u64(block + RK_X16_HIGH_Q5_0 + 8 * (v / 4)) >> (4 * r + t)) & 1) << 4;
    return value;
}

static inline __attribute__((always_inline)) void rk_x16_tile(int type, int64_t nb, const uint8_t *tile, const uint8_t *const *acts, int cols,
                                                              float *out, int64_t ostride, int64_t size) {
    for (int c = 0; c < cols; c++) {
        for (int r = 0; r < RK_X16_ROWS; r++) {
            float acc = 0.0f;
            const uint8_t *block = tile;
            for (int64_t i = 0; i < nb; i++, block += RK_X16_ROWS * size) {
                const int8_t *aq = RK_ACT_Q(acts[c], nb, i);
                int32_t sum = type == RT_Q4_1 ? 0 : rk_load_i32(acts[c] + 4 * (nb + i));
                for (int v = 0; v < 32; v++) sum += rk_x16_value(type, block, r, v) * aq[v];
                acc = rk_x16_step(type, acc, acts[c], nb, i, rk_f16_at(block + 2 * r), type == RT_Q4_1 ? rk_f16_at(block + 32 + 2 * r) : 0.0f, sum);
            }
            out[c * ostride + r] = acc;
        }
    }
}

#define RK_X16_TILE(NAME, TYPE, SIZE)                                                                                        \
    void NAME(int64_t nb, const uint8_t *tile, const uint8_t *const *acts, int cols, float *out, int64_t ostride) {             \
        rk_x16_tile(TYPE, nb, tile, acts, cols, out, ostride, SIZE);                                                           \
    }
RK_X16_TILE(rk_x16_tile_q5_0_portable, RT_Q5_0, SIZE_Q5_0)
RK_X16_TILE(rk_x16_tile_q4_1_portable, RT_Q4_1, SIZE_Q4_1)
RK_X16_TILE(rk_x16_tile_q8_0_portable, RT_Q8_0, SIZE_Q8_0)

/* K-quants: each 256-value block's quants are unpacked to bytes (unsigned where the SIMD kernels
 * use unsigned values), then per lane l: the sum over the eight 32-value chunks t of
 * scale(chunk t, lane l) times lane l's products, exactly; a correction per lane (the mins, or the
 * unsigned offset) uses the 16-value sums of groups 2l and 2l+1, as the SIMD kernels' madd does. */

/* Lane l of a block: sum over chunks t of scale[t or 16-value group] times the lane's products. */
static inline int32_t rk_k_lane(const int8_t *q, const int8_t *aq, const int16_t *group_scale, int l) {
    int32_t s = 0;
    for (int t = 0; t < 8; t++) s += group_scale[2 * t + (l >= 4)] * rk_lane(q + 32 * t, aq + 32 * t, l);
    return s;
}

/* Lane l of the SIMD kernels' madd of 16 int16 factors with the block's 16-value sums. */
static inline int32_t rk_bsum_lane(const int16_t *factors, const uint8_t *a, int l) {
    return factors[2 * l] * rk_load_i16(a + A256_BSUMS + 4 * l) + factors[2 * l + 1] * rk_load_i16(a + A256_BSUMS + 4 * l + 2);
}

float rk_dot_q2_k_portable(int64_t n, const uint8_t *w, const uint8_t *a) {
    float acc[8] = {0};
    int8_t q[QKK];
    for (int64_t i = 0; i < n / QKK; i++, w += SIZE_Q2_K, a += SIZE_A256) {
        const uint8_t *qs = w + 16;
        int16_t scales[16], mins[16];
        for (int g = 0; g < 16; g++) {
            scales[g] = w[g] & 0xF;
            mins[g] = w[g] >> 4;
        }
        for (int t = 0; t < 8; t++)
            for (int j = 0; j < 32; j++) q[32 * t + j] = (int8_t)((qs[(t >> 2) * 32 + j] >> (2 * (t & 3))) & 3);
        const float da = rk_load_f32(a), dwda = rk_f16_at(w + 80) * da, dminda = rk_f16_at(w + 82) * da;
        const int8_t *aq = (const int8_t *)(a + A256_QS);
        for (int l = 0; l < 8; l++) {
            acc[l] = RK_FMA((float)rk_k_lane(q, aq, scales, l), dwda, acc[l]);
            acc[l] = RK_FMA(-(float)rk_bsum_lane(mins, a, l), dminda, acc[l]);
        }
    }
    return rk_hsum8(acc);
}

float rk_dot_q3_k_portable(int64_t n, const uint8_t *w, const uint8_t *a) {
    float acc[8] = {0};
    int8_t q[QKK];
    for (int64_t i = 0; i < n / QKK; i++, w += SIZE_Q3_K, a += SIZE_A256) {
        const uint8_t *hmask = w, *qs = w + 32;
        int8_t sc[16];
        rk_scales_q3k(w + 96, sc);
        int16_t scales[16];
        for (int g = 0; g < 16; g++) scales[g] = sc[g];
        /* value + 4, in 0..7 */
        for (int t = 0; t < 8; t++)
            for (int j = 0; j < 32; j++)
                q[32 * t + j] = (int8_t)(((qs[(t >> 2) * 32 + j] >> (2 * (t & 3))) & 3) | (((hmask[j] >> t) & 1) << 2));
        const float dwda = rk_f16_at(w + 108) * rk_load_f32(a);
        const int8_t *aq = (const int8_t *)(a + A256_QS);
        for (int l = 0; l < 8; l++) {
            const int32_t isum = rk_k_lane(q, aq, scales, l) - rk_bsum_lane(scales, a, l) * 4;
            acc[l] = RK_FMA((float)isum, dwda, acc[l]);
        }
    }
    return rk_hsum8(acc);
}

static inline float rk_dot_q45_k(int64_t n, const uint8_t *w, const uint8_t *a, int five) {
    const int64_t bs = five ? SIZE_Q5_K : SIZE_Q4_K;
    float acc[8] = {0};
    int8_t q[QKK];
    for (int64_t i = 0; i < n / QKK; i++, w += bs, a += SIZE_A256) {
        const uint8_t *scale_bytes = w + 4, *qh = w + 16, *qs = w + (five ? 48 : 16);
        for (int c = 0; c < 4; c++)
            for (int j = 0; j < 32; j++) {
                q[64 * c + j] = (int8_t)(qs[32 * c + j] & 0xF);
                q[64 * c + 32 + j] = (int8_t)(qs[32 * c + j] >> 4);
            }
        if (five)
            for (int g = 0; g < 8; g++)
                for (int j = 0; j < 32; j++) q[32 * g + j] |= (int8_t)(((qh[j] >> g) & 1) << 4);
        /* chunk scales per 16-value group (two groups a chunk), mins duplicated per group */
        int16_t scales[16], mins[16];
        for (int g = 0; g < 8; g++) {
            uint8_t sc, m;
            rk_scale_min_k4(g, scale_bytes, &sc, &m);
            scales[2 * g] = scales[2 * g + 1] = sc;
            mins[2 * g] = mins[2 * g + 1] = m;
        }
        const float da = rk_load_f32(a), dwda = rk_f16_at(w) * da, dminda = rk_f16_at(w + 2) * da;
        const int8_t *aq = (const int8_t *)(a + A256_QS);
        for (int l = 0; l < 8; l++) {
            acc[l] = RK_FMA((float)rk_k_lane(q, aq, scales, l), dwda, acc[l]);
            acc[l] = RK_FMA(-(float)rk_bsum_lane(mins, a, l), dminda, acc[l]);
        }
    }
    return rk_hsum8(acc);
}

/* Q4_K sums each block exactly in integers: isum = sum over the eight 32-value chunks of the
 * chunk's scale times its products, msum = sum of each chunk's min times its two activation block
 * sums; then one float accumulator per row takes fma(isum, d * da) and fma(-msum, dmin * da), block
 * by block. One accumulator per row (not per lane) lets the AVX-512 matrix-matrix kernel keep a
 * row in each lane of a register (rk_q4_k_tile_*). */
float rk_dot_q4_k_portable(int64_t n, const uint8_t *w, const uint8_t *a) {
    float acc = 0.0f;
    for (int64_t i = 0; i < n / QKK; i++, w += SIZE_Q4_K, a += SIZE_A256) {
        const uint8_t *qs = w + 16;
        const int8_t *aq = (const int8_t *)(a + A256_QS);
        int32_t isum = 0, msum = 0;
        for (int chunk = 0; chunk < 8; chunk++) {
            uint8_t sc, m;
            rk_scale_min_k4(chunk, w + 4, &sc, &m);
            const int shift = 4 * (chunk & 1);
            int32_t products = 0;
            for (int j = 0; j < 32; j++)
                products += (int32_t)((qs[32 * (chunk / 2) + j] >> shift) & 0xF) * (int32_t)aq[32 * chunk + j];
            isum += (int32_t)sc * products;
            msum += (int32_t)m * ((int32_t)rk_load_i16(a + A256_BSUMS + 4 * chunk) + (int32_t)rk_load_i16(a + A256_BSUMS + 4 * chunk + 2));
        }
        const float da = rk_load_f32(a);
        acc = RK_FMA((float)isum, rk_f16_at(w) * da, acc);
        acc = RK_FMA(-(float)msum, rk_f16_at(w + 2) * da, acc);
    }
    return acc;
}
float rk_dot_q5_k_portable(int64_t n, const uint8_t *w, const uint8_t *a) { return rk_dot_q45_k(n, w, a, 1); }

float rk_dot_q6_k_portable(int64_t n, const uint8_t *w, const uint8_t *a) {
    float acc[8] = {0};
    int8_t q[QKK];
    for (int64_t i = 0; i < n / QKK; i++, w += SIZE_Q6_K, a += SIZE_A256) {
        const uint8_t *ql = w, *qh = w + 128;
        int16_t scales[16];
        for (int g = 0; g < 16; g++) scales[g] = ((const int8_t *)(w + 192))[g];
        /* unsigned values 0..63; the -32 is the per-lane correction below */
        for (int half = 0; half < 2; half++) {
            const uint8_t *l = ql + 64 * half, *h = qh + 32 * half;
            int8_t *o = q + 128 * half;
            for (int j = 0; j < 32; j++) {
                o[j] = (int8_t)((l[j] & 0xF) | ((h[j] & 3) << 4));
                o[32 + j] = (int8_t)((l[32 + j] & 0xF) | (((h[j] >> 2) & 3) << 4));
                o[64 + j] = (int8_t)((l[j] >> 4) | (((h[j] >> 4) & 3) << 4));
                o[96 + j] = (int8_t)((l[32 + j] >> 4) | (((h[j] >> 6) & 3) << 4));
            }
        }
        const float dwda = rk_f16_at(w + 208) * rk_load_f32(a);
        const int8_t *aq = (const int8_t *)(a + A256_QS);
        for (int l = 0; l < 8; l++) {
            const int32_t isum = rk_k_lane(q, aq, scales, l) - rk_bsum_lane(scales, a, l) * 32;
            acc[l] = RK_FMA((float)isum, dwda, acc[l]);
        }
    }
    return rk_hsum8(acc);
}

/* Float rows (RK_FLOAT_KERNEL): four 8-lane accumulators over 32 values a step, then 8 values a
 * step into the first, then a scalar tail; the accumulators are added pairwise, then hsum. */
#define RK_FLOAT_DOT(NAME, LOAD)                                                   \
    float NAME(int64_t n, const uint8_t *w, const uint8_t *a) {                    \
        float s[4][8] = {{0}};                                                     \
        int64_t j = 0;                                                             \
        for (; j + 32 <= n; j += 32)                                               \
            for (int r = 0; r < 4; r++)                                            \
                for (int l = 0; l < 8; l++)                                        \
                    s[r][l] = RK_FMA(LOAD(w, j + 8 * r + l), rk_load_f32(a + 4 * (j + 8 * r + l)), s[r][l]); \
        for (; j + 8 <= n; j += 8)                                                 \
            for (int l = 0; l < 8; l++) s[0][l] = RK_FMA(LOAD(w, j + l), rk_load_f32(a + 4 * (j + l)), s[0][l]); \
        float tail = 0.0f;                                                         \
        for (; j < n; j++) tail = RK_FMA(LOAD(w, j), rk_load_f32(a + 4 * j), tail); \
        float v[8];                                                                \
        for (int l = 0; l < 8; l++) v[l] = (s[0][l] + s[1][l]) + (s[2][l] + s[3][l]); \
        return rk_hsum8(v) + tail;                                                 \
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
