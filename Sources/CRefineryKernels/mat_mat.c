/* Matrix-matrix products for prefill: tiles of weight rows are read from memory once per tile of
 * activation rows, and every output comes from the same per-row routine as refinery_vec_dot, so
 * results are bit-identical to matrix-vector products (batch invariance). */
#include "CRefineryKernels.h"
#include "kernels_internal.h"

/* Tile sizes by bytes: a weight tile stays in L1/L2 while the activation rows of a tile pass. */
#define RK_WEIGHT_TILE_BYTES (24 * 1024)
#define RK_ACT_TILE_ROWS 8

void refinery_mat_mat(int weight_type, int64_t n, const void *weights, size_t row_stride, int64_t rows,
                      const void *activations, size_t act_stride, int64_t cols, float *out, int64_t out_stride) {
    if (weight_type < 0 || weight_type >= RT_TYPE_LIMIT || rows <= 0 || cols <= 0) return;
    const uint8_t *w = (const uint8_t *)weights;
    const uint8_t *x = (const uint8_t *)activations;
    int64_t tile_rows = row_stride > 0 ? (int64_t)(RK_WEIGHT_TILE_BYTES / row_stride) : rows;
    if (tile_rows < 1) tile_rows = 1;
    for (int64_t r0 = 0; r0 < rows; r0 += tile_rows) {
        const int64_t r1 = r0 + tile_rows < rows ? r0 + tile_rows : rows;
        for (int64_t c0 = 0; c0 < cols; c0 += RK_ACT_TILE_ROWS) {
            const int64_t c1 = c0 + RK_ACT_TILE_ROWS < cols ? c0 + RK_ACT_TILE_ROWS : cols;
            for (int64_t c = c0; c < c1; c++) {
                refinery_mat_vec(weight_type, n, w + (size_t)r0 * row_stride, row_stride, r1 - r0,
                                 x + (size_t)c * act_stride, out + c * out_stride + r0);
            }
        }
    }
}
