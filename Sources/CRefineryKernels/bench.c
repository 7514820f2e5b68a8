/* A single-threaded matrix-vector microbenchmark (weight bytes read per second), reached from a
 * release-mode test that prints its figures. */
#include "CRefineryKernels.h"
#include "kernels_internal.h"
#include <stdlib.h>
#include <time.h>

static uint64_t rk_next(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Small finite half float in [2^-8, 2^-7). */
static uint16_t rk_small_f16(uint64_t *s) { return (uint16_t)(0x1C00 | (rk_next(s) & 0x3FF)); }

static int rk_block_shape(int t, int64_t *qk, int64_t *size) {
    switch (t) {
    case RT_F32: *qk = 1; *size = 4; return 0;
    case RT_F16: case RT_BF16: *qk = 1; *size = 2; return 0;
    case RT_Q4_0: *qk = 32; *size = SIZE_Q4_0; return 0;
    case RT_Q4_1: *qk = 32; *size = SIZE_Q4_1; return 0;
    case RT_Q5_0: *qk = 32; *size = SIZE_Q5_0; return 0;
    case RT_Q5_1: *qk = 32; *size = SIZE_Q5_1; return 0;
    case RT_Q8_0: *qk = 32; *size = SIZE_Q8_0; return 0;
    case RT_Q2_K: *qk = 256; *size = SIZE_Q2_K; return 0;
    case RT_Q3_K: *qk = 256; *size = SIZE_Q3_K; return 0;
    case RT_Q4_K: *qk = 256; *size = SIZE_Q4_K; return 0;
    case RT_Q5_K: *qk = 256; *size = SIZE_Q5_K; return 0;
    case RT_Q6_K: *qk = 256; *size = SIZE_Q6_K; return 0;
    default: return -1;
    }
}

static void rk_fill_block(int t, uint8_t *b, int64_t size, uint64_t *s) {
    for (int64_t j = 0; j < size; j++) b[j] = (uint8_t)rk_next(s);
    uint16_t h;
    switch (t) {
    case RT_F32: { float v = (float)((int)(rk_next(s) % 2001) - 1000) / 1000.0f; memcpy(b, &v, 4); return; }
    case RT_F16: case RT_BF16:
        h = t == RT_F16 ? rk_small_f16(s) : (uint16_t)(0x3C00 | (rk_next(s) & 0x7F));
        memcpy(b, &h, 2);
        return;
    default: break;
    }
    static const int offsets[RT_TYPE_LIMIT][2] = {
        [RT_Q4_0] = {0, -1}, [RT_Q4_1] = {0, 2}, [RT_Q5_0] = {0, -1}, [RT_Q5_1] = {0, 2}, [RT_Q8_0] = {0, -1},
        [RT_Q2_K] = {80, 82}, [RT_Q3_K] = {108, -1}, [RT_Q4_K] = {0, 2}, [RT_Q5_K] = {0, 2}, [RT_Q6_K] = {208, -1},
    };
    for (int k = 0; k < 2; k++) {
        if (offsets[t][k] < 0) continue;
        h = rk_small_f16(s);
        memcpy(b + offsets[t][k], &h, 2);
    }
}

/* CPU time of the calling thread: time other processes take from this core does not count. */
static double rk_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Times mat_vec (cols == 0, kernels of `level`) or mat_mat over `cols` activation rows (current
 * kernels); returns weight bytes per second times the activation rows served, in GB/s. */
static double rk_bench(int level, int weight_type, int64_t n, int64_t rows, int64_t cols, double seconds) {
    int64_t qk, bsize;
    if (weight_type < 0 || weight_type >= RT_TYPE_LIMIT || rk_block_shape(weight_type, &qk, &bsize) != 0) return -1;
    if (n <= 0 || rows <= 0 || cols < 0 || !(seconds >= 0) || n % qk != 0) return -1;
    const rk_vec_dot_fn f = rk_dot_kernel_at(level, weight_type);
    if (f == NULL) return -1;
    const int64_t ncols = cols > 0 ? cols : 1;
    const size_t row_bytes = (size_t)(n / qk) * (size_t)bsize;
    const size_t act_bytes = refinery_activation_row_size(weight_type, n);
    uint8_t *w = malloc(row_bytes * (size_t)rows);
    float *x = malloc((size_t)n * sizeof(float));
    uint8_t *act = malloc(act_bytes * (size_t)ncols);
    float *out = malloc((size_t)(rows * ncols) * sizeof(float));
    double result = -1;
    if (w && x && act && out) {
        uint64_t s = 0x9E3779B97F4A7C15ull;
        for (int64_t b = 0; b < (int64_t)(row_bytes / (size_t)bsize) * rows; b++) rk_fill_block(weight_type, w + b * bsize, bsize, &s);
        /* The layout the engine keeps for this type (Q5_0: interleaved tiles), where rows allow it. */
        int kernel_type = weight_type;
        if (refinery_interleaved_type(weight_type) >= 0 && rows % RK_X16_ROWS == 0) {
            uint8_t *interleaved = malloc(row_bytes * (size_t)rows);
            if (interleaved && refinery_interleave_rows(weight_type, n, w, row_bytes, rows, interleaved) == 0) {
                free(w);
                w = interleaved;
                kernel_type = refinery_interleaved_type(weight_type);
            } else {
                free(interleaved);
            }
        }
        for (int64_t c = 0; c < ncols; c++) {
            for (int64_t j = 0; j < n; j++) x[j] = (float)((int)(rk_next(&s) % 2001) - 1000) / 1000.0f;
            refinery_quantize_activations(weight_type, x, act + (size_t)c * act_bytes, n);
        }
        double start = 0, elapsed = 0;
        int64_t iterations = 0;
        for (int warm = 1; warm >= 0; warm--) {
            start = rk_seconds();
            iterations = 0;
            do {
                for (int k = 0; k < 4; k++) {
                    if (cols == 0) (void)rk_mat_vec_at(level, kernel_type, n, w, row_bytes, rows, act, out);
                    else refinery_mat_mat(kernel_type, n, w, row_bytes, rows, act, act_bytes, cols, out, rows);
                }
                iterations += 4;
                elapsed = rk_seconds() - start;
            } while (!warm && elapsed < seconds);
        }
        volatile float sink = out[0];
        (void)sink;
        result = (double)row_bytes * (double)rows * (double)ncols * (double)iterations / elapsed / 1e9;
    }
    free(w);
    free(x);
    free(act);
    free(out);
    return result;
}

double refinery_bench_mat_vec(int level, int weight_type, int64_t n, int64_t rows, double seconds) {
    return rk_bench(level, weight_type, n, rows, 0, seconds);
}

double refinery_bench_mat_mat(int weight_type, int64_t n, int64_t rows, int64_t cols, double seconds) {
    if (cols <= 0) return -1;
    return rk_bench(refinery_kernels_level(), weight_type, n, rows, cols, seconds);
}
