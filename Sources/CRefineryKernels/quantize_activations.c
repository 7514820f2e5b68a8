/* Activation quantization for the integer dot products. One portable routine serves every
 * instruction-set level, so the quantized activations (and therefore the dot products of the
 * integer kernels' inner sums) never depend on the CPU path chosen. Rows are quantized one by
 * one, so a row's bytes never depend on the batch it is part of. */
#pragma clang fp contract(off)

#include "CRefineryKernels.h"
#include "kernels_internal.h"

/* Round to nearest, ties to even, for |v| <= 2^22 (the float magic-number trick). */
static inline int rk_round(float v) {
    const float shifted = v + 12582912.0f;
    return (int)(rk_f32_bits(shifted) & 0x007FFFFF) - 0x00400000;
}

static int rk_is_k_quant(int t) {
    return t == RT_Q2_K || t == RT_Q3_K || t == RT_Q4_K || t == RT_Q5_K || t == RT_Q6_K;
}

static int rk_is_q32(int t) {
    return t == RT_Q4_0 || t == RT_Q4_1 || t == RT_Q5_0 || t == RT_Q5_1 || t == RT_Q8_0;
}

static int rk_is_float(int t) { return t == RT_F32 || t == RT_F16 || t == RT_BF16; }

size_t refinery_activation_row_size(int weight_type, int64_t n) {
    if (n < 0) return 0;
    if (rk_is_float(weight_type)) return (size_t)n * 4;
    if (rk_is_q32(weight_type)) return n % QK32 ? 0 : (size_t)(n / QK32) * SIZE_A32;
    if (rk_is_k_quant(weight_type)) return n % QKK ? 0 : (size_t)(n / QKK) * SIZE_A256;
    return 0;
}

/* Quantizes `count` values to int8 as ggml does on x86: the multiplier is 127 / max |x| (not the
 * reciprocal of the scale, which can differ in the last bit), rounding is to nearest even, and
 * values are clamped to [-127, 127]. Returns max |x|. */
static float rk_quantize_group(const float *x, int count, int8_t *q) {
    float amax = 0.0f;
    for (int j = 0; j < count; j++) {
        const float a = __builtin_fabsf(x[j]);
        amax = a > amax ? a : amax;
    }
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    for (int j = 0; j < count; j++) {
        int v = rk_round(x[j] * id);
        v = v > 127 ? 127 : (v < -127 ? -127 : v);
        q[j] = (int8_t)v;
    }
    return amax;
}

/* Rounds through IEEE half: ggml stores the scale and sum of its 32-value activation blocks (Q8_0,
 * Q8_1) as F16, and matching its logits closely enough for greedy decoding to agree needs the
 * same rounding. */
static inline float rk_through_f16(float v) { return rk_f16_to_f32(rk_f32_to_f16(v)); }

void refinery_quantize_activations(int weight_type, const float *x, void *dst, int64_t n) {
    if (refinery_activation_row_size(weight_type, n) == 0) return; /* unsupported, partial or empty */
    uint8_t *out = (uint8_t *)dst;
    if (rk_is_float(weight_type)) {
        memcpy(out, x, (size_t)n * 4);
    } else if (rk_is_q32(weight_type)) {
        /* Arrays, for SIMD loads: float d[nb], float s[nb] (d * sum of the quants), int8 qs[nb][32].
         * For the nibble formats (all but Q8_0) each full group of four blocks stores its four low
         * halves (values 0..15) and then its four high halves (16..31), as the weights pack them. */
        const int64_t nb = n / QK32;
        const int64_t grouped = weight_type == RT_Q8_0 ? 0 : nb / 4 * 4;
        for (int64_t i = 0; i < nb; i++, x += QK32) {
            int8_t q[QK32];
            const float full_d = rk_quantize_group(x, QK32, q) / 127.0f;
            int32_t sum = 0;
            for (int j = 0; j < QK32; j++) sum += q[j];
            const float d = rk_through_f16(full_d);
            /* Q4_1/Q5_1 take Q8_1's F16 sum; Q4_0/Q5_0 subtract their offset in integers in
             * ggml, which d (as stored) times the exact sum reproduces. */
            const int has_min = weight_type == RT_Q4_1 || weight_type == RT_Q5_1;
            const float s = has_min ? rk_through_f16(full_d * (float)sum) : d * (float)sum;
            memcpy(out + 4 * i, &d, 4);
            memcpy(out + 4 * (nb + i), &s, 4);
            uint8_t *qs = out + 8 * nb;
            if (i < grouped) {
                uint8_t *group = qs + QK32 * (i / 4 * 4);
                memcpy(group + 16 * (i % 4), q, 16);
                memcpy(group + 64 + 16 * (i % 4), q + 16, 16);
            } else {
                memcpy(qs + QK32 * i, q, QK32);
            }
        }
    } else if (rk_is_k_quant(weight_type)) {
        for (int64_t i = 0; i < n / QKK; i++, x += QKK, out += SIZE_A256) {
            int8_t q[QKK];
            /* Q8_K keeps an F32 scale: the reciprocal of the multiplier, as ggml computes it. */
            const float amax = rk_quantize_group(x, QKK, q);
            const float d = amax != 0.0f ? 1.0f / (127.0f / amax) : 0.0f;
            int16_t bsums[16];
            for (int g = 0; g < 16; g++) {
                int s = 0;
                for (int j = 0; j < 16; j++) s += q[g * 16 + j];
                bsums[g] = (int16_t)s;
            }
            memcpy(out, &d, 4);
            memcpy(out + A256_QS, q, QKK);
            memcpy(out + A256_BSUMS, bsums, 32);
        }
    }
}
