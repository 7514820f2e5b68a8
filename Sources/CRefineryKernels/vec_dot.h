#ifndef REFINERY_VEC_DOT_H
#define REFINERY_VEC_DOT_H
/* Private: the kernels of each instruction-set level, gathered into tables by dispatch.c. */
#include <stddef.h>
#include <stdint.h>
#include "kernels_internal.h"

#define RK_DECLARE_LEVEL(SUFFIX)                                                        \
    float rk_dot_q4_0_##SUFFIX(int64_t n, const uint8_t *w, const uint8_t *a);          \
    float rk_dot_q4_1_##SUFFIX(int64_t n, const uint8_t *w, const uint8_t *a);          \
    float rk_dot_q5_0_##SUFFIX(int64_t n, const uint8_t *w, const uint8_t *a);          \
    float rk_dot_q8_0_##SUFFIX(int64_t n, const uint8_t *w, const uint8_t *a);          \
    float rk_dot_q5_1_##SUFFIX(int64_t n, const uint8_t *w, const uint8_t *a);          \
    void rk_rows_q5_0_##SUFFIX(int64_t n, const uint8_t *w, size_t row_stride, int64_t rows, const uint8_t *a, float *out); \
    void rk_rows_q4_1_##SUFFIX(int64_t n, const uint8_t *w, size_t row_stride, int64_t rows, const uint8_t *a, float *out); \
    void rk_rows_q8_0_##SUFFIX(int64_t n, const uint8_t *w, size_t row_stride, int64_t rows, const uint8_t *a, float *out); \
    void rk_x16_tile_q5_0_##SUFFIX(int64_t nb, const uint8_t *tile, const uint8_t *const *acts, int cols, float *out, int64_t ostride); \
    void rk_x16_tile_q4_1_##SUFFIX(int64_t nb, const uint8_t *tile, const uint8_t *const *acts, int cols, float *out, int64_t ostride); \
    void rk_x16_tile_q8_0_##SUFFIX(int64_t nb, const uint8_t *tile, const uint8_t *const *acts, int cols, float *out, int64_t ostride); \
    float rk_dot_q2_k_##SUFFIX(int64_t n, const uint8_t *w, const uint8_t *a);          \
    float rk_dot_q3_k_##SUFFIX(int64_t n, const uint8_t *w, const uint8_t *a);          \
    float rk_dot_q4_k_##SUFFIX(int64_t n, const uint8_t *w, const uint8_t *a);          \
    float rk_dot_q5_k_##SUFFIX(int64_t n, const uint8_t *w, const uint8_t *a);          \
    float rk_dot_q6_k_##SUFFIX(int64_t n, const uint8_t *w, const uint8_t *a);          \
    float rk_dot_f32_##SUFFIX(int64_t n, const uint8_t *w, const uint8_t *a);           \
    float rk_dot_f16_##SUFFIX(int64_t n, const uint8_t *w, const uint8_t *a);           \
    float rk_dot_bf16_##SUFFIX(int64_t n, const uint8_t *w, const uint8_t *a);          \
    void rk_f16_to_f32_row_##SUFFIX(const uint16_t *src, float *dst, int64_t n);        \
    void rk_f32_to_f16_row_##SUFFIX(const float *src, uint16_t *dst, int64_t n);            \
    void rk_exp_shifted_##SUFFIX(const float *x, float shift, float *y, int64_t n);                   \
    void rk_swiglu_##SUFFIX(float *gate, const float *up, int64_t n);                                 \
    int64_t rk_argmax_##SUFFIX(const float *x, int64_t n);                                            \
    void rk_attention_scores_##SUFFIX(int64_t dim, int64_t heads, const float *queries, int64_t query_stride,             \
                                      const uint16_t *keys, int64_t row_stride, const int32_t *table, int64_t block_size, \
                                      int64_t first, int64_t count, float scale, float *scores);                         \
    void rk_attention_weights_##SUFFIX(float *w, int64_t count);                                                          \
    void rk_attention_values_##SUFFIX(int64_t dim, int64_t heads, const float *weights, const uint16_t *values,          \
                                      int64_t row_stride, const int32_t *table, int64_t block_size, int64_t first,       \
                                      int64_t count, float *out, int64_t out_stride);

/* Several activation rows against one weight row, bit-identical per column to the one-row kernel
 * of the same level (column c's result goes to out[c * ostride]): rk_cols_count_<level> of them (at most RK_COLS_MAX), half as many (_half) and
 * a quarter as many (_quarter), so that a small batch shares the unpacked weights too. */
#define RK_DECLARE_COLS_TYPE(TYPE, SUFFIX)                                                                  \
    void rk_dot_##TYPE##_cols_##SUFFIX(int64_t n, const uint8_t *w, const uint8_t *const *acts, float *out, int64_t ostride);         \
    void rk_dot_##TYPE##_cols_half_##SUFFIX(int64_t n, const uint8_t *w, const uint8_t *const *acts, float *out, int64_t ostride);    \
    void rk_dot_##TYPE##_cols_quarter_##SUFFIX(int64_t n, const uint8_t *w, const uint8_t *const *acts, float *out, int64_t ostride);
#define RK_DECLARE_COLS(SUFFIX)                                                                            \
    RK_DECLARE_COLS_TYPE(q4_0, SUFFIX) RK_DECLARE_COLS_TYPE(q5_1, SUFFIX) RK_DECLARE_COLS_TYPE(q4_k, SUFFIX) \
    RK_DECLARE_COLS_TYPE(q6_k, SUFFIX)

/* Scalar helpers of the attention kernels shared by every level (attention_portable.c). */
float rk_ggml_scalef(float j, float n);
float rk_reduce16(const float v[16]);

RK_DECLARE_LEVEL(portable)
#if RK_X86
RK_DECLARE_LEVEL(avx2)
RK_DECLARE_LEVEL(avx512)
RK_DECLARE_COLS(avx2)
RK_DECLARE_COLS(avx512)
/* Q4_K's matrix-vector product, eight rows a step (vec_dot_simd.inc). */
void rk_q4_k_mat_vec_avx2(int64_t n, const uint8_t *w, size_t row_stride, int64_t rows, const uint8_t *a, float *out);
void rk_q4_k_mat_vec_avx512(int64_t n, const uint8_t *w, size_t row_stride, int64_t rows, const uint8_t *a, float *out);
/* Prefill of Q4_0/Q4_1/Q5_0/Q5_1 tiles at AVX-512 (vec_dot_simd.inc): the bytes a row's full steps
 * take unpacked (0 for other types), the unpacking of `rows` rows, and RK_COLS columns against an
 * unpacked row (w is the packed row, for its last blocks). */
size_t rk_q4q5_unpacked_row_size_avx512(int weight_type, int64_t n);
void rk_q4q5_unpack_tile_avx512(int weight_type, int64_t n, const uint8_t *w, size_t row_stride, int64_t rows, uint8_t *out);
void rk_q4q5_unpacked_cols_avx512(int weight_type, int64_t n, const uint8_t *unpacked, const uint8_t *w, const uint8_t *const *acts,
                                  float *out, int64_t ostride);
/* Q4_K prefill at AVX-512 (vec_dot_simd.inc): 16 rows repacked one row per lane, `blocks` blocks
 * from `first_block` (RK_Q4K_TILE_BLOCK_BYTES each), then every column against them; column c's
 * activation row is x + c * act_stride, out[c * ostride + row] its accumulators (read unless `first`). */
#define RK_Q4K_TILE_ROWS 16
#define RK_Q4K_TILE_BLOCK_BYTES 5248
void rk_q4_k_pack_tile_avx512(const uint8_t *w, size_t row_stride, int64_t first_block, int64_t blocks, uint8_t *out);
void rk_q4_k_tile_avx512(const uint8_t *tile, int64_t blocks, const uint8_t *x, size_t act_stride, int64_t first_block,
                         int64_t cols, float *out, int64_t ostride, int first);
#define rk_cols_count_avx2 4   /* 16 vector registers */
#define rk_cols_count_avx512 8 /* 32 vector registers */
#endif

#endif
