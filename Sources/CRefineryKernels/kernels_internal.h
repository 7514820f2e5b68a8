#ifndef REFINERY_KERNELS_INTERNAL_H
#define REFINERY_KERNELS_INTERNAL_H
/* Private to CRefineryKernels: block layouts, ggml type numbers, scalar helpers. */

#include <stdint.h>
#include <string.h>

/* x86-64 SIMD kernels are built unless REFINERY_KERNELS_PORTABLE_ONLY is defined (which shows on
 * x86 that the portable build, as on other architectures, stands alone). */
#if defined(__x86_64__) && !defined(REFINERY_KERNELS_PORTABLE_ONLY)
#define RK_X86 1
#else
#define RK_X86 0
#endif

enum {
    RT_F32 = 0, RT_F16 = 1, RT_Q4_0 = 2, RT_Q4_1 = 3, RT_Q5_0 = 6, RT_Q5_1 = 7, RT_Q8_0 = 8,
    RT_Q2_K = 10, RT_Q3_K = 11, RT_Q4_K = 12, RT_Q5_K = 13, RT_Q6_K = 14, RT_BF16 = 30,
    /* Refinery's own: rows interleaved in tiles of 16 (see RK_X16_* below) */
    RT_Q5_0_X16 = 31, RT_Q4_1_X16 = 32, RT_Q8_0_X16 = 33,
    RT_TYPE_LIMIT = 34
};

#define QK32 32
#define QKK 256

/* Weight block sizes in bytes (ggml layouts; all fields little-endian, blocks unaligned). */
#define SIZE_Q4_0 18   /* f16 d; u8 qs[16] */
#define SIZE_Q4_1 20   /* f16 d, m; u8 qs[16] */
#define SIZE_Q5_0 22   /* f16 d; u8 qh[4]; u8 qs[16] */
#define SIZE_Q5_1 24   /* f16 d, m; u8 qh[4]; u8 qs[16] */
#define SIZE_Q8_0 34   /* f16 d; i8 qs[32] */
#define SIZE_Q2_K 84   /* u8 scales[16]; u8 qs[64]; f16 d, dmin */
#define SIZE_Q3_K 110  /* u8 hmask[32]; u8 qs[64]; u8 scales[12]; f16 d */
#define SIZE_Q4_K 144  /* f16 d, dmin; u8 scales[12]; u8 qs[128] */
#define SIZE_Q5_K 176  /* f16 d, dmin; u8 scales[12]; u8 qh[32]; u8 qs[128] */
#define SIZE_Q6_K 210  /* u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d */

/* Interleaved rows (RT_*_X16, written by refinery_interleave_rows): tiles of 16 rows, each tile
 * its blocks in order, every block 16 times the ggml block's bytes (so a tile takes the bytes of
 * its 16 rows, and tile t starts where row 16t would). A block holds the 16 rows' f16 scales d[16]
 * (Q4_1: then their mins m[16]) and eight byte vectors of 64 bytes, or what gives them: vector k
 * (0..7) holds, in 32-bit lane r, the row's values 4k..4k+3 as unsigned bytes, so one broadcast of
 * four activation bytes feeds all 16 rows.
 *   Q5_0 (352 bytes): d[16]; u8 qs[4][16][4] (packed register k, lane r: the row's qs bytes
 *        4k..4k+3, whose low nibbles are values 4k..4k+3 and high nibbles 16+4k..16+4k+3);
 *        u64 high[8] (vector k: bit 4r+i is the 5th bit of the row's value 4k+i).
 *   Q4_1 (320 bytes): d[16]; m[16]; u8 qs[4][16][4] as Q5_0's.
 *   Q8_0 (544 bytes): d[16]; u8 q[8][16][4]: vector k, lane r: values 4k..4k+3 plus 128.
 * Rows past the last full tile stay in ggml's layout, at their own rows' places. */
#define RK_X16_ROWS 16
#define RK_X16_QS_Q5_0 32
#define RK_X16_HIGH_Q5_0 288
#define RK_X16_QS_Q4_1 64
#define RK_X16_Q_Q8_0 32

/* Activation blocks (this target's own layouts, written by refinery_quantize_activations).
 * A32: for the 32-value formats, stored as arrays over the row's nb blocks:
 *      float d[nb]; float s[nb] (d times the sum of the block's qs); int8 qs[nb][32]. (40 bytes a block)
 *      Q5_0 and Q8_0 store int32 offset[nb] in place of s: -16 (Q5_0) or -128 (Q8_0, whose
 *      interleaved weights carry +128) times the sum of the block's qs, so that a block's
 *      integer sum takes the weights' offset exactly. Q4_0 and Q5_1 group the qs of four blocks
 *      (four low halves, then four high halves); the others keep them in natural order.
 * A256: for the K-quants. float d; int8 qs[256]; int16 bsums[16] (sums of 16).     (292 bytes) */
#define SIZE_A32 40
#define SIZE_A256 292
#define A256_QS 4
#define A256_BSUMS 260

static inline uint16_t rk_load_u16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t rk_load_u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t rk_load_u64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline int32_t rk_load_i32(const uint8_t *p) { int32_t v; memcpy(&v, p, 4); return v; }
static inline int16_t rk_load_i16(const uint8_t *p) { int16_t v; memcpy(&v, p, 2); return v; }
static inline float rk_load_f32(const uint8_t *p) { float v; memcpy(&v, p, 4); return v; }

static inline float rk_bits_f32(uint32_t w) { float f; memcpy(&f, &w, 4); return f; }
static inline uint32_t rk_f32_bits(float f) { uint32_t w; memcpy(&w, &f, 4); return w; }

/* IEEE half -> float, exact for every input (subnormals, infinities, NaN payloads). */
static inline float rk_f16_to_f32(uint16_t h) {
    const uint32_t w = (uint32_t)h << 16;
    const uint32_t sign = w & 0x80000000u;
    const uint32_t two_w = w + w;
    const float normalized = rk_bits_f32((two_w >> 4) + (0xE0u << 23)) * 0x1.0p-112f;
    const float denormalized = rk_bits_f32((two_w >> 17) | (126u << 23)) - 0.5f;
    const uint32_t result = sign | (two_w < (1u << 27) ? rk_f32_bits(denormalized) : rk_f32_bits(normalized));
    return rk_bits_f32(result);
}

/* float -> IEEE half, round to nearest even; NaN stays NaN, overflow gives infinity. */
static inline uint16_t rk_f32_to_f16(float f) {
    float base = (__builtin_fabsf(f) * 0x1.0p+112f) * 0x1.0p-110f;
    const uint32_t w = rk_f32_bits(f);
    const uint32_t shl1_w = w + w;
    const uint32_t sign = w & 0x80000000u;
    uint32_t bias = shl1_w & 0xFF000000u;
    if (bias < 0x71000000u) bias = 0x71000000u;
    base = rk_bits_f32((bias >> 1) + 0x07800000u) + base;
    const uint32_t bits = rk_f32_bits(base);
    const uint32_t exp_bits = (bits >> 13) & 0x00007C00u;
    const uint32_t mantissa_bits = bits & 0x00000FFFu;
    const uint32_t nonsign = exp_bits + mantissa_bits;
    return (uint16_t)((sign >> 16) | (shl1_w > 0xFF000000u ? 0x7E00u : nonsign));
}

static inline float rk_f16_at(const uint8_t *p) { return rk_f16_to_f32(rk_load_u16(p)); }

/* Runs BODY for the `count` cache positions from `first` in order, with I the position's index
 * (0..count-1) and ROW its row: a paged cache keeps position p in row table[p / block_size] *
 * block_size + p % block_size, rows `row_stride` elements apart from `base`. */
#define RK_FOR_CACHE_ROWS(base, row_stride, table, block_size, first, count, I, ROW, ...)                   \
    do {                                                                                                       \
        int64_t I = 0;                                                                                         \
        while (I < (count)) {                                                                                  \
            const int64_t rk_p = (first) + I, rk_in = rk_p % (block_size);                                     \
            const int64_t rk_span = (block_size) - rk_in < (count) - I ? (block_size) - rk_in : (count) - I;   \
            const uint16_t *ROW = (base) + ((int64_t)(table)[rk_p / (block_size)] * (block_size) + rk_in) * (row_stride); \
            for (const int64_t rk_end = I + rk_span; I < rk_end; I++, ROW += (row_stride)) __VA_ARGS__               \
        }                                                                                                      \
    } while (0)

/* The 6-bit scale and min of group j (0..7) of a Q4_K/Q5_K block's 12 packed scale bytes. */
static inline void rk_scale_min_k4(int j, const uint8_t *q, uint8_t *d, uint8_t *m) {
    if (j < 4) {
        *d = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *d = (uint8_t)((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
        *m = (uint8_t)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}

/* The 16 signed 6-bit scales of a Q3_K block (already minus 32). */
static inline void rk_scales_q3k(const uint8_t *s, int8_t out[16]) {
    for (int i = 0; i < 16; i++) {
        int low = (i < 8) ? (s[i] & 0xF) : (s[i - 8] >> 4);
        int high = (s[8 + (i & 3)] >> (2 * (i >> 2))) & 3;
        out[i] = (int8_t)((low | (high << 4)) - 32);
    }
}

/* Kernel tables filled by the dispatcher. */
typedef float (*rk_vec_dot_fn)(int64_t n, const uint8_t *w, const uint8_t *a);

/* Several activation rows against one weight row, column c's result to out[c * ostride]: the
 * current level's kernel for a type (NULL where it has none) and how many rows it takes (at most
 * RK_COLS_MAX). */
#define RK_COLS_MAX 8
typedef void (*rk_cols_fn)(int64_t n, const uint8_t *w, const uint8_t *const *acts, float *out, int64_t ostride);
/* Group sizes per level: RK_COLS_MAX-or-fewer rows, half as many, a quarter as many (size 0, 1, 2);
 * NULL, or a count below 2, where the level has no such kernel. */
#define RK_COLS_SIZES 3
rk_cols_fn rk_cols_kernel(int weight_type, int size, int *count);

/* Whether the current level runs the AVX-512 kernels, whose prefill unpacks Q4/Q5 tiles once. */
int rk_unpacked_tiles_available(void);

/* Several weight rows against one activation row, out[r] for row r: where a level has one for a
 * type, it takes rows together and gives each row refinery_vec_dot's bits. */
typedef void (*rk_mat_vec_fn)(int64_t n, const uint8_t *w, size_t row_stride, int64_t rows, const uint8_t *a, float *out);

/* The dot kernel of `level` (capped at the CPU's) for a type, or NULL; and the matrix-vector
 * product with the kernels of `level` (0 if the type has no kernel there). */
rk_vec_dot_fn rk_dot_kernel_at(int level, int weight_type);
int rk_mat_vec_at(int level, int weight_type, int64_t n, const uint8_t *w, size_t row_stride, int64_t rows,
                  const uint8_t *activations, float *out);

/* Interleaved tiles (interleave.c and each level's rk_x16_tile_<type>): a tile's `nb` blocks
 * against `cols` (at most RK_COLS_MAX) activation rows; the 16 outputs of column c go to
 * out[c * ostride + r]. Per row, each block's sum is exact in integers (offset included) and one
 * float accumulator takes fma(sum, d * activation d) block by block (Q4_1: then fma(m,
 * activation s)), at every level. */
typedef void (*rk_x16_tile_fn)(int64_t nb, const uint8_t *tile, const uint8_t *const *acts, int cols, float *out, int64_t ostride);
/* The ggml type of an interleaved type (-1 for none). */
int rk_x16_base_type(int interleaved_type);
/* Matrix products of interleaved rows (row_stride is a row's ggml bytes; whole tiles through
 * `tile`, rows past the last full tile in ggml's layout through `ggml_rows`) and of ggml-layout
 * rows of these types (all through `ggml_rows`, the level's one-row kernels, which give the same
 * bits). */
void rk_x16_product(rk_x16_tile_fn tile, rk_mat_vec_fn ggml_rows, int weight_type, int64_t n, const uint8_t *w, size_t row_stride,
                    int64_t rows, const uint8_t *x, size_t act_stride, int64_t cols, float *out, int64_t ostride);
/* The tile kernel of the current level for an interleaved or ggml type (NULL: none), and the
 * level's kernel for rows of its ggml type in ggml's layout. */
rk_x16_tile_fn rk_x16_tile_kernel(int weight_type, rk_mat_vec_fn *ggml_rows);

#endif

