/* Matrix-matrix products for prefill: tiles of weight rows are read from memory once per tile of
 * activation rows, and every output takes the same integer sums and float operations as
 * refinery_vec_dot's, so results are bit-identical to matrix-vector products (batch invariance).
 * Q5_0, Q4_1 and Q8_0, interleaved at load or not, go through interleave.c's products. */
#include "CRefineryKernels.h"
#include "kernels_internal.h"
#include "vec_dot.h"

/* Weight tiles stay in L1/L2 while every activation row passes over them; where the level has a
 * several-rows kernel, groups of activation rows share each unpacked weight row. */
#define RK_WEIGHT_TILE_BYTES (24 * 1024)

#if RK_X86
/* A Q4/Q5 tile unpacked once for all its groups of columns (AVX-512): 1.8x the packed bytes. */
#define RK_UNPACKED_TILE_BYTES (40 * 1024)
/* Columns from which a Q4_K product repacks its tiles (rk_q4_k_tile_avx512). Below it the per-row
 * kernels (eight columns at most, their float steps four at a time) win when the rows come from
 * memory, as in batched decoding: eight sequences decode at 135 against 97 tokens/s on
 * Qwen2.5-Coder-1.5B and 559 against 522 on the 0.5B with them (2 threads). */
#define RK_Q4K_TILE_MIN_COLS 9
static _Thread_local uint8_t rk_unpacked_tile[RK_UNPACKED_TILE_BYTES] __attribute__((aligned(64)));
#endif

void refinery_mat_mat(int weight_type, int64_t n, const void *weights, size_t row_stride, int64_t rows,
                      const void *activations, size_t act_stride, int64_t cols, float *out, int64_t out_stride) {
    if (weight_type < 0 || weight_type >= RT_TYPE_LIMIT || rows <= 0 || cols <= 0) return;
    const uint8_t *w = (const uint8_t *)weights;
    const uint8_t *x = (const uint8_t *)activations;
    rk_mat_vec_fn x16_rows = NULL;
    const rk_x16_tile_fn x16_tile = rk_x16_tile_kernel(weight_type, &x16_rows);
    if (x16_tile != NULL) {
        if (n % QK32 == 0) rk_x16_product(x16_tile, x16_rows, weight_type, n, w, row_stride, rows, x, act_stride, cols, out, out_stride);
        return;
    }
    /* The level's several-rows kernels for this type, largest group first (looked up once). */
    rk_cols_fn multi[RK_COLS_SIZES];
    int groups[RK_COLS_SIZES];
    for (int size = 0; size < RK_COLS_SIZES; size++) {
        multi[size] = rk_cols_kernel(weight_type, size, &groups[size]);
        if (groups[size] < 2 || groups[size] > RK_COLS_MAX) multi[size] = NULL;
    }
    int64_t tile_rows = row_stride > 0 ? (int64_t)(RK_WEIGHT_TILE_BYTES / row_stride) : rows;
    /* Unpacked tiles pay off where a tile serves at least two groups of columns. */
    size_t unpacked_row = 0;
#if RK_X86
    if (multi[0] != NULL && cols >= 2 * groups[0] && rk_unpacked_tiles_available()) {
        unpacked_row = rk_q4q5_unpacked_row_size_avx512(weight_type, n);
        if (unpacked_row > RK_UNPACKED_TILE_BYTES) unpacked_row = 0;
        if (unpacked_row > 0) tile_rows = (int64_t)(RK_UNPACKED_TILE_BYTES / unpacked_row);
    }
#endif
    if (tile_rows < 1) tile_rows = 1;
    int64_t r0 = 0;
#if RK_X86
    /* Q4_K at AVX-512: tiles of 16 rows repacked one row per lane, a chunk of blocks at a time
     * (each output's accumulator waits in `out` between chunks). */
    if (weight_type == RT_Q4_K && cols >= RK_Q4K_TILE_MIN_COLS && rk_unpacked_tiles_available()) {
        const int64_t blocks = n / QKK, chunk = RK_UNPACKED_TILE_BYTES / RK_Q4K_TILE_BLOCK_BYTES;
        for (; r0 + RK_Q4K_TILE_ROWS <= rows; r0 += RK_Q4K_TILE_ROWS)
            for (int64_t b0 = 0; b0 < blocks; b0 += chunk) {
                const int64_t count = blocks - b0 < chunk ? blocks - b0 : chunk;
                rk_q4_k_pack_tile_avx512(w + (size_t)r0 * row_stride, row_stride, b0, count, rk_unpacked_tile);
                rk_q4_k_tile_avx512(rk_unpacked_tile, count, x, act_stride, b0, cols, out + r0, out_stride, b0 == 0);
            }
    }
#endif
    for (; r0 < rows; r0 += tile_rows) {
        const int64_t r1 = r0 + tile_rows < rows ? r0 + tile_rows : rows;
        int64_t c0 = 0;
#if RK_X86
        if (unpacked_row > 0) {
            rk_q4q5_unpack_tile_avx512(weight_type, n, w + (size_t)r0 * row_stride, row_stride, r1 - r0, rk_unpacked_tile);
            const int group = groups[0];
            for (; c0 + group <= cols; c0 += group) {
                const uint8_t *acts[RK_COLS_MAX];
                for (int k = 0; k < group; k++) acts[k] = x + (size_t)(c0 + k) * act_stride;
                for (int64_t r = r0; r < r1; r++)
                    rk_q4q5_unpacked_cols_avx512(weight_type, n, rk_unpacked_tile + (size_t)(r - r0) * unpacked_row, w + (size_t)r * row_stride,
                                                 acts, out + c0 * out_stride + r, out_stride);
            }
        }
#endif
        /* Groups of activation rows against each weight row (the largest groups first): weights
         * unpacked once per group. */
        for (int size = 0; size < RK_COLS_SIZES; size++) {
            if (multi[size] == NULL) continue;
            const int group = groups[size];
            for (; c0 + group <= cols; c0 += group) {
                const uint8_t *acts[RK_COLS_MAX];
                for (int k = 0; k < group; k++) acts[k] = x + (size_t)(c0 + k) * act_stride;
                for (int64_t r = r0; r < r1; r++) multi[size](n, w + (size_t)r * row_stride, acts, out + c0 * out_stride + r, out_stride);
            }
        }
        for (int64_t c = c0; c < cols; c++) {
            refinery_mat_vec(weight_type, n, w + (size_t)r0 * row_stride, row_stride, r1 - r0,
                             x + (size_t)c * act_stride, out + c * out_stride + r0);
        }
    }
}
