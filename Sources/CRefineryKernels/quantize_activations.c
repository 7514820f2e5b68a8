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
    return t == RT_Q4_0 || t == RT_Q4_1 || t == RT_Q5_0 || t == RT_Q5_1 || t == RT_Q8_0 || rk_x16_base_type(t) >= 0;
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

#if RK_X86
#include <immintrin.h>

/* rk_quantize_group for a multiple of 8 values with AVX2, operation for operation: max |x| (exact,
 * in any order; NaN is passed over as by the scalar comparison), the same multiplier, the same
 * magic-number rounding and clamp, so the bytes are the scalar routine's. Also returns the sum of
 * each 16 quants (exact) in sums16 (count / 16 of them, count a multiple of 16). */
__attribute__((target("avx2,fma"))) static float rk_quantize_group_avx2(const float *x, int count, int8_t *q, int32_t *sums16) {
    const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
    __m256 vmax = _mm256_setzero_ps();
    for (int j = 0; j < count; j += 8) vmax = _mm256_max_ps(_mm256_and_ps(_mm256_loadu_ps(x + j), abs_mask), vmax);
    float lanes[8];
    _mm256_storeu_ps(lanes, vmax);
    float amax = 0.0f;
    for (int l = 0; l < 8; l++) amax = lanes[l] > amax ? lanes[l] : amax;
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    const __m256 vid = _mm256_set1_ps(id), magic = _mm256_set1_ps(12582912.0f);
    const __m256i mantissa = _mm256_set1_epi32(0x007FFFFF), bias = _mm256_set1_epi32(0x00400000);
    const __m256i hi = _mm256_set1_epi32(127), lo = _mm256_set1_epi32(-127);
    for (int j = 0; j < count; j += 16) {
        __m256i v[2];
        for (int h = 0; h < 2; h++) {
            const __m256 shifted = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(x + j + 8 * h), vid), magic);
            const __m256i r = _mm256_sub_epi32(_mm256_and_si256(_mm256_castps_si256(shifted), mantissa), bias);
            v[h] = _mm256_max_epi32(_mm256_min_epi32(r, hi), lo);
        }
        const __m256i total = _mm256_add_epi32(v[0], v[1]);
        __m128i t = _mm_add_epi32(_mm256_castsi256_si128(total), _mm256_extracti128_si256(total, 1));
        t = _mm_add_epi32(t, _mm_shuffle_epi32(t, _MM_SHUFFLE(1, 0, 3, 2)));
        t = _mm_add_epi32(t, _mm_shuffle_epi32(t, _MM_SHUFFLE(2, 3, 0, 1)));
        sums16[j / 16] = _mm_cvtsi128_si32(t);
        /* Values are within [-127, 127]: the saturating packs only narrow them. */
        const __m256i words = _mm256_permute4x64_epi64(_mm256_packs_epi32(v[0], v[1]), _MM_SHUFFLE(3, 1, 2, 0));
        const __m128i bytes = _mm_packs_epi16(_mm256_castsi256_si128(words), _mm256_extracti128_si256(words, 1));
        _mm_storeu_si128((__m128i *)(void *)(q + j), bytes);
    }
    return amax;
}
#endif

/* Quantizes a group of 32 or 256 values (see rk_quantize_group) and sums each 16 quants, with
 * AVX2 at `level` 1 or above (already capped at the CPU's; the same bytes either way). */
static float rk_quantize_group_sums(int level, const float *x, int count, int8_t *q, int32_t *sums16) {
#if RK_X86
    if (level >= 1) return rk_quantize_group_avx2(x, count, q, sums16);
#else
    (void)level;
#endif
    const float amax = rk_quantize_group(x, count, q);
    for (int g = 0; g < count / 16; g++) {
        int32_t s = 0;
        for (int j = 0; j < 16; j++) s += q[g * 16 + j];
        sums16[g] = s;
    }
    return amax;
}

/* Rounds through IEEE half: ggml stores the scale and sum of its 32-value activation blocks (Q8_0,
 * Q8_1) as F16, and matching its logits closely enough for greedy decoding to agree needs the
 * same rounding. */
static inline float rk_through_f16(float v) { return rk_f16_to_f32(rk_f32_to_f16(v)); }

void refinery_quantize_activations(int weight_type, const float *x, void *dst, int64_t n) {
    refinery_quantize_activations_at_level(refinery_kernels_level(), weight_type, x, dst, n);
}

void refinery_quantize_activations_at_level(int level, int weight_type, const float *x, void *dst, int64_t n) {
    if (refinery_activation_row_size(weight_type, n) == 0) return; /* unsupported, partial or empty */
    const int max_level = refinery_kernels_max_level(); /* once per row, not per block */
    if (level > max_level) level = max_level;
    uint8_t *out = (uint8_t *)dst;
    if (rk_is_float(weight_type)) {
        memcpy(out, x, (size_t)n * 4);
    } else if (rk_is_q32(weight_type)) {
        /* Arrays, for SIMD loads: float d[nb], float s[nb] (d * sum of the quants; Q5_0 and Q8_0:
         * int32 offset sums), int8 qs[nb][32]. For Q4_0 and Q5_1 each full group of four blocks
         * stores its four low halves (values 0..15) and then its four high halves (16..31), as
         * their weights pack them (see kernels_internal.h). */
        const int64_t nb = n / QK32;
        const int base = rk_x16_base_type(weight_type) >= 0 ? rk_x16_base_type(weight_type) : weight_type;
        const int32_t offset_factor = base == RT_Q5_0 ? -16 : base == RT_Q8_0 ? -128 : 0;
        const int64_t grouped = base == RT_Q4_0 || base == RT_Q5_1 ? nb / 4 * 4 : 0;
        for (int64_t i = 0; i < nb; i++, x += QK32) {
            int8_t q[QK32];
            int32_t halves[2];
            const float full_d = rk_quantize_group_sums(level, x, QK32, q, halves) / 127.0f;
            const int32_t sum = halves[0] + halves[1];
            const float d = rk_through_f16(full_d);
            /* Q4_1/Q5_1 take Q8_1's F16 sum; Q4_0 subtracts its offset in integers in ggml, which
             * d (as stored) times the exact sum reproduces; Q5_0 and Q8_0 take the exact offset sum. */
            const int has_min = base == RT_Q4_1 || base == RT_Q5_1;
            const float s = has_min ? rk_through_f16(full_d * (float)sum) : d * (float)sum;
            const int32_t offset = offset_factor * sum; /* exact: |sum| <= 32 * 127 */
            memcpy(out + 4 * i, &d, 4);
            if (offset_factor != 0) memcpy(out + 4 * (nb + i), &offset, 4);
            else memcpy(out + 4 * (nb + i), &s, 4);
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
            int32_t sums[16];
            const float amax = rk_quantize_group_sums(level, x, QKK, q, sums);
            const float d = amax != 0.0f ? 1.0f / (127.0f / amax) : 0.0f;
            int16_t bsums[16];
            for (int g = 0; g < 16; g++) bsums[g] = (int16_t)sums[g];
            memcpy(out, &d, 4);
            memcpy(out + A256_QS, q, QKK);
            memcpy(out + A256_BSUMS, bsums, 32);
        }
    }
}
