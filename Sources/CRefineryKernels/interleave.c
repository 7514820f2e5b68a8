/* Q5_0 rows interleaved in tiles of 16 (RT_Q5_0_X16; layout in kernels_internal.h), written once at
 * load so that decoding reads each tile front to back and one broadcast of four activation bytes
 * feeds 16 rows; also the reverse (a row back in ggml's layout), and the on-the-fly tiles through
 * which ggml-layout Q5_0 rows take the same kernels and so the same bits. */
#include "CRefineryKernels.h"
#include "kernels_internal.h"

void rk_q5_0_interleave_blocks(const uint8_t *rows, size_t row_stride, int64_t first_block, int64_t count, uint8_t *out) {
    for (int64_t b = 0; b < count; b++, out += RK_X16_BLOCK_BYTES) {
        uint64_t high[8] = {0};
        for (int r = 0; r < RK_X16_ROWS; r++) {
            const uint8_t *block = rows + (size_t)r * row_stride + (size_t)(first_block + b) * SIZE_Q5_0;
            memcpy(out + 2 * r, block, 2);
            const uint32_t qh = rk_load_u32(block + 2);
            for (int k = 0; k < 8; k++) high[k] |= (uint64_t)((qh >> (4 * k)) & 0xF) << (4 * r);
            for (int k = 0; k < 4; k++) memcpy(out + RK_X16_QS + 64 * k + 4 * r, block + 6 + 4 * k, 4);
        }
        memcpy(out + RK_X16_HIGH, high, sizeof high);
    }
}

int refinery_interleaved_type(int weight_type) { return weight_type == RT_Q5_0 ? RT_Q5_0_X16 : -1; }

int refinery_interleave_rows(int weight_type, int64_t n, const void *src, size_t row_stride, int64_t rows, void *dst) {
    if (refinery_interleaved_type(weight_type) < 0 || n <= 0 || n % QK32 != 0 || rows <= 0 || rows % RK_X16_ROWS != 0 ||
        row_stride < (size_t)(n / QK32) * SIZE_Q5_0) return -1;
    const int64_t nb = n / QK32;
    const uint8_t *in = (const uint8_t *)src;
    uint8_t *out = (uint8_t *)dst;
    for (int64_t r = 0; r < rows; r += RK_X16_ROWS, out += (size_t)nb * RK_X16_BLOCK_BYTES)
        rk_q5_0_interleave_blocks(in + (size_t)r * row_stride, row_stride, 0, nb, out);
    return 0;
}

int refinery_deinterleave_row(int interleaved_type, int64_t n, const void *tile, int64_t row, void *dst) {
    if (interleaved_type != RT_Q5_0_X16 || n <= 0 || n % QK32 != 0 || row < 0 || row >= RK_X16_ROWS) return -1;
    const uint8_t *in = (const uint8_t *)tile;
    uint8_t *out = (uint8_t *)dst;
    for (int64_t b = 0; b < n / QK32; b++, in += RK_X16_BLOCK_BYTES, out += SIZE_Q5_0) {
        uint64_t high[8];
        memcpy(high, in + RK_X16_HIGH, sizeof high);
        uint32_t qh = 0;
        for (int k = 0; k < 8; k++) qh |= (uint32_t)((high[k] >> (4 * row)) & 0xF) << (4 * k);
        memcpy(out, in + 2 * row, 2);
        memcpy(out + 2, &qh, 4);
        for (int k = 0; k < 4; k++) memcpy(out + 6 + 4 * k, in + RK_X16_QS + 64 * k + 4 * row, 4);
    }
    return 0;
}

/* Every column against `count` blocks of one tile, RK_COLS_MAX columns per call. */
static void rk_x16_columns(rk_x16_tile_fn tile, int64_t nb, int64_t first_block, int64_t count, const uint8_t *blocks,
                           const uint8_t *x, size_t act_stride, int64_t cols, float *out, int64_t ostride) {
    for (int64_t c0 = 0; c0 < cols; c0 += RK_COLS_MAX) {
        const int group = cols - c0 < RK_COLS_MAX ? (int)(cols - c0) : RK_COLS_MAX;
        const uint8_t *acts[RK_COLS_MAX];
        for (int k = 0; k < group; k++) acts[k] = x + (size_t)(c0 + k) * act_stride;
        tile(nb, first_block, count, blocks, acts, group, out + c0 * ostride, ostride, first_block == 0);
    }
}

void rk_q5_0_x16_product(rk_x16_tile_fn tile, int64_t n, const uint8_t *w, size_t row_stride, int64_t rows, const uint8_t *x,
                         size_t act_stride, int64_t cols, float *out, int64_t ostride) {
    const int64_t nb = n / QK32;
    for (int64_t r0 = 0; r0 + RK_X16_ROWS <= rows; r0 += RK_X16_ROWS)
        rk_x16_columns(tile, nb, 0, nb, w + (size_t)r0 * row_stride, x, act_stride, cols, out + r0, ostride);
}

/* ggml-layout Q5_0 through the same kernels: 16 rows at a time interleaved into a thread-local
 * buffer, a chunk of blocks at a time (the kernels keep each output's accumulator in `out`
 * between chunks). Rows past the last full tile make a tile padded with copies of its first row,
 * whose outputs go to a scratch buffer. */
#define RK_X16_CHUNK_BLOCKS 64
static _Thread_local uint8_t rk_x16_buffer[RK_X16_CHUNK_BLOCKS * RK_X16_BLOCK_BYTES] __attribute__((aligned(64)));
static _Thread_local uint8_t rk_x16_padded[RK_X16_CHUNK_BLOCKS * RK_X16_BLOCK_BYTES];

void rk_q5_0_raw_product(rk_x16_tile_fn tile, int64_t n, const uint8_t *w, size_t row_stride, int64_t rows, const uint8_t *x,
                         size_t act_stride, int64_t cols, float *out, int64_t ostride) {
    const int64_t nb = n / QK32;
    for (int64_t r0 = 0; r0 < rows; r0 += RK_X16_ROWS) {
        const int64_t tile_rows = rows - r0 < RK_X16_ROWS ? rows - r0 : RK_X16_ROWS;
        const uint8_t *first_row = w + (size_t)r0 * row_stride;
        for (int64_t b0 = 0; b0 < nb; b0 += RK_X16_CHUNK_BLOCKS) {
            const int64_t count = nb - b0 < RK_X16_CHUNK_BLOCKS ? nb - b0 : RK_X16_CHUNK_BLOCKS;
            if (tile_rows == RK_X16_ROWS) {
                rk_q5_0_interleave_blocks(first_row, row_stride, b0, count, rk_x16_buffer);
                rk_x16_columns(tile, nb, b0, count, rk_x16_buffer, x, act_stride, cols, out + r0, ostride);
                continue;
            }
            const size_t chunk_bytes = (size_t)count * SIZE_Q5_0;
            for (int r = 0; r < RK_X16_ROWS; r++)
                memcpy(rk_x16_padded + (size_t)r * chunk_bytes, first_row + (size_t)(r < tile_rows ? r : 0) * row_stride + (size_t)b0 * SIZE_Q5_0,
                       chunk_bytes);
            rk_q5_0_interleave_blocks(rk_x16_padded, chunk_bytes, 0, count, rk_x16_buffer);
            for (int64_t c = 0; c < cols; c++) {
                float *o = out + c * ostride + r0;
                float full[RK_X16_ROWS] = {0};
                for (int64_t r = 0; r < tile_rows; r++) full[r] = o[r];
                rk_x16_columns(tile, nb, b0, count, rk_x16_buffer, x + (size_t)c * act_stride, act_stride, 1, full, RK_X16_ROWS);
                for (int64_t r = 0; r < tile_rows; r++) o[r] = full[r];
            }
        }
    }
}
