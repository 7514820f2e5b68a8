/* Dequantization of one row, written to give the same floats as the `gguf` Python package's
 * reference (`gguf.quants.dequantize`): every product and difference is rounded separately,
 * as numpy does, so multiply-adds must not be fused here. */
#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

#include "CRefineryKernels.h"
#include "kernels_internal.h"

static void dq_q4_0(const uint8_t *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, b += SIZE_Q4_0, y += QK32) {
        const float d = rk_f16_at(b);
        const uint8_t *qs = b + 2;
        for (int j = 0; j < 16; j++) {
            y[j] = d * (float)((qs[j] & 0xF) - 8);
            y[j + 16] = d * (float)((qs[j] >> 4) - 8);
        }
    }
}

static void dq_q4_1(const uint8_t *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, b += SIZE_Q4_1, y += QK32) {
        const float d = rk_f16_at(b), m = rk_f16_at(b + 2);
        const uint8_t *qs = b + 4;
        for (int j = 0; j < 16; j++) {
            y[j] = d * (float)(qs[j] & 0xF) + m;
            y[j + 16] = d * (float)(qs[j] >> 4) + m;
        }
    }
}

static void dq_q5_0(const uint8_t *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, b += SIZE_Q5_0, y += QK32) {
        const float d = rk_f16_at(b);
        const uint32_t qh = rk_load_u32(b + 2);
        const uint8_t *qs = b + 6;
        for (int j = 0; j < 16; j++) {
            const int lo = (qs[j] & 0xF) | (int)(((qh >> j) & 1) << 4);
            const int hi = (qs[j] >> 4) | (int)(((qh >> (j + 16)) & 1) << 4);
            y[j] = d * (float)(lo - 16);
            y[j + 16] = d * (float)(hi - 16);
        }
    }
}

static void dq_q5_1(const uint8_t *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, b += SIZE_Q5_1, y += QK32) {
        const float d = rk_f16_at(b), m = rk_f16_at(b + 2);
        const uint32_t qh = rk_load_u32(b + 4);
        const uint8_t *qs = b + 8;
        for (int j = 0; j < 16; j++) {
            const int lo = (qs[j] & 0xF) | (int)(((qh >> j) & 1) << 4);
            const int hi = (qs[j] >> 4) | (int)(((qh >> (j + 16)) & 1) << 4);
            y[j] = d * (float)lo + m;
            y[j + 16] = d * (float)hi + m;
        }
    }
}

static void dq_q8_0(const uint8_t *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, b += SIZE_Q8_0, y += QK32) {
        const float d = rk_f16_at(b);
        const int8_t *qs = (const int8_t *)(b + 2);
        for (int j = 0; j < 32; j++) y[j] = (float)qs[j] * d;
    }
}

static void dq_q2_k(const uint8_t *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, b += SIZE_Q2_K, y += QKK) {
        const uint8_t *scales = b, *qs = b + 16;
        const float d = rk_f16_at(b + 80), dmin = rk_f16_at(b + 82);
        for (int k = 0; k < QKK; k++) {
            const int half = k >> 7, shift = (k >> 5) & 3, j = k & 31;
            const int q = (qs[half * 32 + j] >> (2 * shift)) & 3;
            const uint8_t sc = scales[k >> 4];
            const float dl = d * (float)(sc & 0xF), ml = dmin * (float)(sc >> 4);
            y[k] = dl * (float)q - ml;
        }
    }
}

static void dq_q3_k(const uint8_t *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, b += SIZE_Q3_K, y += QKK) {
        const uint8_t *hmask = b, *qs = b + 32;
        int8_t sc[16];
        rk_scales_q3k(b + 96, sc);
        const float d = rk_f16_at(b + 108);
        for (int k = 0; k < QKK; k++) {
            const int half = k >> 7, shift = (k >> 5) & 3, j = k & 31;
            const int low = (qs[half * 32 + j] >> (2 * shift)) & 3;
            const int high = (hmask[j] >> (k >> 5)) & 1;
            const int q = low - ((high ^ 1) << 2);
            const float dl = d * (float)sc[k >> 4];
            y[k] = dl * (float)q;
        }
    }
}

static void dq_q4_k(const uint8_t *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, b += SIZE_Q4_K, y += QKK) {
        const float d = rk_f16_at(b), dmin = rk_f16_at(b + 2);
        const uint8_t *scales = b + 4, *qs = b + 16;
        for (int g = 0; g < 8; g++) {
            uint8_t sc, m;
            rk_scale_min_k4(g, scales, &sc, &m);
            const float dl = d * (float)sc, ml = dmin * (float)m;
            const uint8_t *q = qs + (g >> 1) * 32;
            const int shift = (g & 1) * 4;
            for (int j = 0; j < 32; j++) y[g * 32 + j] = dl * (float)((q[j] >> shift) & 0xF) - ml;
        }
    }
}

static void dq_q5_k(const uint8_t *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, b += SIZE_Q5_K, y += QKK) {
        const float d = rk_f16_at(b), dmin = rk_f16_at(b + 2);
        const uint8_t *scales = b + 4, *qh = b + 16, *qs = b + 48;
        for (int g = 0; g < 8; g++) {
            uint8_t sc, m;
            rk_scale_min_k4(g, scales, &sc, &m);
            const float dl = d * (float)sc, ml = dmin * (float)m;
            const uint8_t *q = qs + (g >> 1) * 32;
            const int shift = (g & 1) * 4;
            for (int j = 0; j < 32; j++) {
                const int v = ((q[j] >> shift) & 0xF) | (((qh[j] >> g) & 1) << 4);
                y[g * 32 + j] = dl * (float)v - ml;
            }
        }
    }
}

static void dq_q6_k(const uint8_t *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, b += SIZE_Q6_K, y += QKK) {
        const uint8_t *ql = b, *qh = b + 128;
        const int8_t *scales = (const int8_t *)(b + 192);
        const float d = rk_f16_at(b + 208);
        for (int k = 0; k < QKK; k++) {
            const int half = k >> 7, r = k & 127;
            const int low = (ql[half * 64 + (r & 63)] >> (4 * (r >> 6))) & 0xF;
            const int high = (qh[half * 32 + (r & 31)] >> (2 * (r >> 5))) & 3;
            const int q = (low | (high << 4)) - 32;
            const float dl = d * (float)scales[k >> 4];
            y[k] = dl * (float)q;
        }
    }
}

int refinery_dequantize_row(int type, const void *src, float *dst, int64_t n) {
    if (n < 0 || src == NULL || dst == NULL) return -1;
    const uint8_t *b = (const uint8_t *)src;
    switch (type) {
    case RT_F32:
        memcpy(dst, src, (size_t)n * 4);
        return 0;
    case RT_F16:
        for (int64_t i = 0; i < n; i++) dst[i] = rk_f16_to_f32(rk_load_u16(b + 2 * i));
        return 0;
    case RT_BF16:
        for (int64_t i = 0; i < n; i++) dst[i] = rk_bits_f32((uint32_t)rk_load_u16(b + 2 * i) << 16);
        return 0;
    default:
        break;
    }
    const int64_t qk = (type == RT_Q2_K || type == RT_Q3_K || type == RT_Q4_K || type == RT_Q5_K || type == RT_Q6_K) ? QKK : QK32;
    if (n % qk != 0) return -1;
    const int64_t nb = n / qk;
    switch (type) {
    case RT_Q4_0: dq_q4_0(b, dst, nb); return 0;
    case RT_Q4_1: dq_q4_1(b, dst, nb); return 0;
    case RT_Q5_0: dq_q5_0(b, dst, nb); return 0;
    case RT_Q5_1: dq_q5_1(b, dst, nb); return 0;
    case RT_Q8_0: dq_q8_0(b, dst, nb); return 0;
    case RT_Q2_K: dq_q2_k(b, dst, nb); return 0;
    case RT_Q3_K: dq_q3_k(b, dst, nb); return 0;
    case RT_Q4_K: dq_q4_k(b, dst, nb); return 0;
    case RT_Q5_K: dq_q5_k(b, dst, nb); return 0;
    case RT_Q6_K: dq_q6_k(b, dst, nb); return 0;
    default: return -1;
    }
}
