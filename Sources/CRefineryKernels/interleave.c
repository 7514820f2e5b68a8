/* Rows interleaved in tiles of 16 (RT_Q5_0_X16, RT_Q4_1_X16, RT_Q8_0_X16; layouts in
 * kernels_internal.h), written once at load so that a matrix product reads each tile front to back
 * and one broadcast of four activation bytes feeds 16 rows; the reverse (a row back in ggml's
 * layout); and the products, whose rows in ggml's layout take the one-row kernels, which give the
 * tiles' bits. */
#include "CRefineryKernels.h"
#include "kernels_internal.h"

int rk_x16_base_type(int interleaved_type) {
    switch (interleaved_type) {
    case RT_Q5_0_X16: return RT_Q5_0;
    case RT_Q4_1_X16: return RT_Q4_1;
    case RT_Q8_0_X16: return RT_Q8_0;
    default: return -1;
    }
}

int refinery_interleaved_type(int weight_type) {
    switch (weight_type) {
    case RT_Q5_0: return RT_Q5_0_X16;
    case RT_Q4_1: return RT_Q4_1_X16;
    case RT_Q8_0: return RT_Q8_0_X16;
    default: return -1;
    }
}

static int rk_block_bytes(int weight_type) {
    return weight_type == RT_Q5_0 ? SIZE_Q5_0 : weight_type == RT_Q4_1 ? SIZE_Q4_1 : weight_type == RT_Q8_0 ? SIZE_Q8_0 : 0;
}

/* The `nb` blocks of 16 rows as one tile. */
static void rk_x16_interleave_tile(int weight_type, const uint8_t *rows, size_t row_stride, int64_t nb, uint8_t *out) {
    const int size = rk_block_bytes(weight_type);
    for (int64_t b = 0; b < nb; b++, out += RK_X16_ROWS * size) {
        uint64_t high[8] = {0};
        for (int r = 0; r < RK_X16_ROWS; r++) {
            const uint8_t *block = rows + (size_t)r * row_stride + (size_t)b * (size_t)size;
            memcpy(out + 2 * r, block, 2);
            switch (weight_type) {
            case RT_Q5_0: {
                const uint32_t qh = rk_load_u32(block + 2);
                for (int k = 0; k < 8; k++) high[k] |= (uint64_t)((qh >> (4 * k)) & 0xF) << (4 * r);
                for (int k = 0; k < 4; k++) memcpy(out + RK_X16_QS_Q5_0 + 64 * k + 4 * r, block + 6 + 4 * k, 4);
                break;
            }
            case RT_Q4_1:
                memcpy(out + 32 + 2 * r, block + 2, 2);
                for (int k = 0; k < 4; k++) memcpy(out + RK_X16_QS_Q4_1 + 64 * k + 4 * r, block + 4 + 4 * k, 4);
                break;
            default: /* Q8_0: signed values plus 128, as unsigned bytes */
                for (int k = 0; k < 8; k++) {
                    const uint32_t values = rk_load_u32(block + 2 + 4 * k) ^ 0x80808080u;
                    memcpy(out + RK_X16_Q_Q8_0 + 64 * k + 4 * r, &values, 4);
                }
                break;
            }
        }
        if (weight_type == RT_Q5_0) memcpy(out + RK_X16_HIGH_Q5_0, high, sizeof high);
    }
}

int refinery_interleave_rows(int weight_type, int64_t n, const void *src, size_t row_stride, int64_t rows, void *dst) {
    const int size = rk_block_bytes(weight_type);
    if (refinery_interleaved_type(weight_type) < 0 || n <= 0 || n % QK32 != 0 || rows <= 0 ||
        row_stride < (size_t)(n / QK32) * (size_t)size) return -1;
    const int64_t nb = n / QK32;
    const size_t packed = (size_t)nb * (size_t)size;
    const uint8_t *in = (const uint8_t *)src;
    uint8_t *out = (uint8_t *)dst;
    int64_t r = 0;
    for (; r + RK_X16_ROWS <= rows; r += RK_X16_ROWS, out += RK_X16_ROWS * packed)
        rk_x16_interleave_tile(weight_type, in + (size_t)r * row_stride, row_stride, nb, out);
    for (; r < rows; r++, out += packed) memcpy(out, in + (size_t)r * row_stride, packed); /* past the last full tile */
    return 0;
}

int refinery_deinterleave_row(int interleaved_type, int64_t n, const void *tile, int64_t row, void *dst) {
    const int type = rk_x16_base_type(interleaved_type), size = rk_block_bytes(type);
    if (type < 0 || n <= 0 || n % QK32 != 0 || row < 0 || row >= RK_X16_ROWS) return -1;
    const uint8_t *in = (const uint8_t *)tile;
    uint8_t *out = (uint8_t *)dst;
    for (int64_t b = 0; b < n / QK32; b++, in += RK_X16_ROWS * size, out += size) {
        memcpy(out, in + 2 * row, 2);
        switch (type) {
        case RT_Q5_0: {
            uint32_t qh = 0;
            for (int k = 0; k < 8; k++) qh |= (uint32_t)((rk_load_u64(in + RK_X16_HIGH_Q5_0 + 8 * k) >> (4 * row)) & 0xF) << (4 * k);
            memcpy(out + 2, &qh, 4);
            for (int k = 0; k < 4; k++) memcpy(out + 6 + 4 * k, in + RK_X16_QS_Q5_0 + 64 * k + 4 * row, 4);
            break;
        }
        case RT_Q4_1:
            memcpy(out + 2, in + 32 + 2 * row, 2);
            for (int k = 0; k < 4; k++) memcpy(out + 4 + 4 * k, in + RK_X16_QS_Q4_1 + 64 * k + 4 * row, 4);
            break;
        default:
            for (int k = 0; k < 8; k++)
                for (int t = 0; t < 4; t++) out[2 + 4 * k + t] = (uint8_t)(in[RK_X16_Q_Q8_0 + 64 * k + 4 * row + t] ^ 0x80);
            break;
        }
    }
    return 0;
}

void rk_x16_product(rk_x16_tile_fn tile, rk_mat_vec_fn ggml_rows, int weight_type, int64_t n, const uint8_t *w, size_t row_stride, int64_t rows,
                    const uint8_t *x, size_t act_stride, int64_t cols, float *out, int64_t ostride) {
    const int64_t nb = n / QK32;
    int64_t r0 = 0;
    if (rk_x16_base_type(weight_type) >= 0)
        for (; r0 + RK_X16_ROWS <= rows; r0 += RK_X16_ROWS)
            for (int64_t c0 = 0; c0 < cols; c0 += RK_COLS_MAX) { /* RK_COLS_MAX columns per call */
                const int group = cols - c0 < RK_COLS_MAX ? (int)(cols - c0) : RK_COLS_MAX;
                const uint8_t *acts[RK_COLS_MAX];
                for (int k = 0; k < group; k++) acts[k] = x + (size_t)(c0 + k) * act_stride;
                tile(nb, w + (size_t)r0 * row_stride, acts, group, out + c0 * ostride + r0, ostride);
            }
    /* Rows in ggml's layout (all of them, or those past an interleaved matrix's last full tile). */
    if (r0 < rows)
        for (int64_t c = 0; c < cols; c++)
            ggml_rows(n, w + (size_t)r0 * row_stride, row_stride, rows - r0, x + (size_t)c * act_stride, out + c * ostride + r0);
}
