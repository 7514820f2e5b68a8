#include "CRefineryKernels.h"
#include "kernels_internal.h"
#include "vec_dot.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One table of kernels per level; the dispatcher points at one of them. */
typedef struct {
    rk_vec_dot_fn dot[RT_TYPE_LIMIT];
    rk_mat_vec_fn mat_vec[RT_TYPE_LIMIT];          /* NULL: a dot product per row */
    rk_cols_fn cols[RK_COLS_SIZES][RT_TYPE_LIMIT]; /* largest group first */
    rk_x16_tile_fn x16_tile[RT_TYPE_LIMIT];        /* by ggml type: types with interleaved tiles */
    rk_mat_vec_fn x16_rows[RT_TYPE_LIMIT];         /* and their rows in ggml's layout */
    int cols_count[RK_COLS_SIZES];
    void (*f16_to_f32)(const uint16_t *, float *, int64_t);
    void (*f32_to_f16)(const float *, uint16_t *, int64_t);
    void (*exp_shifted)(const float *, float, float *, int64_t);
    void (*swiglu)(float *, const float *, int64_t);
    int64_t (*argmax)(const float *, int64_t);
    void (*attention_scores)(int64_t, int64_t, const float *, int64_t, const uint16_t *, int64_t, const int32_t *, int64_t,
                             int64_t, int64_t, float, float *);
    void (*attention_weights)(float *, int64_t);
    void (*attention_values)(int64_t, int64_t, const float *, const uint16_t *, int64_t, const int32_t *, int64_t, int64_t,
                             int64_t, float *, int64_t);
} rk_table;

#define RK_TABLE(S)                                                                              \
        .dot = {[RT_F32] = rk_dot_f32_##S, [RT_F16] = rk_dot_f16_##S, [RT_BF16] = rk_dot_bf16_##S, \
                [RT_Q4_0] = rk_dot_q4_0_##S, [RT_Q4_1] = rk_dot_q4_1_##S, [RT_Q5_0] = rk_dot_q5_0_##S, \
                [RT_Q5_1] = rk_dot_q5_1_##S, [RT_Q8_0] = rk_dot_q8_0_##S, [RT_Q2_K] = rk_dot_q2_k_##S, \
                [RT_Q3_K] = rk_dot_q3_k_##S, [RT_Q4_K] = rk_dot_q4_k_##S, [RT_Q5_K] = rk_dot_q5_k_##S, \
                [RT_Q6_K] = rk_dot_q6_k_##S},                                                    \
        .x16_tile = {[RT_Q5_0] = rk_x16_tile_q5_0_##S, [RT_Q4_1] = rk_x16_tile_q4_1_##S, [RT_Q8_0] = rk_x16_tile_q8_0_##S}, \
        .x16_rows = {[RT_Q5_0] = rk_rows_q5_0_##S, [RT_Q4_1] = rk_rows_q4_1_##S, [RT_Q8_0] = rk_rows_q8_0_##S}, \
        .f16_to_f32 = rk_f16_to_f32_row_##S, .f32_to_f16 = rk_f32_to_f16_row_##S, \
        .exp_shifted = rk_exp_shifted_##S, .swiglu = rk_swiglu_##S, .argmax = rk_argmax_##S, .attention_scores = rk_attention_scores_##S, \
        .attention_weights = rk_attention_weights_##S, .attention_values = rk_attention_values_##S

#define RK_COLS_ROW(S, PART)                                                                                 \
    {[RT_Q4_0] = rk_dot_q4_0_##PART##S, [RT_Q5_1] = rk_dot_q5_1_##PART##S, [RT_Q4_K] = rk_dot_q4_k_##PART##S,  \
     [RT_Q6_K] = rk_dot_q6_k_##PART##S}
#define RK_COLS_TABLE(S)                                                                                     \
    .mat_vec = {[RT_Q4_K] = rk_q4_k_mat_vec_##S},                                                            \
    .cols = {RK_COLS_ROW(S, cols_), RK_COLS_ROW(S, cols_half_), RK_COLS_ROW(S, cols_quarter_)},               \
    .cols_count = {rk_cols_count_##S, rk_cols_count_##S / 2, rk_cols_count_##S / 4}
static const rk_table table_portable = {RK_TABLE(portable)};
#if RK_X86
static const rk_table table_avx2 = {RK_TABLE(avx2), RK_COLS_TABLE(avx2)};
static const rk_table table_avx512 = {RK_TABLE(avx512), RK_COLS_TABLE(avx512)};
#endif

static int hardware_level = -1;   /* highest level the CPU supports */
#if RK_X86
static int hardware_vnni = 0;     /* AVX512-VNNI present (the level-2 integer kernels need it) */
#endif

static void detect_hardware(void) {
#if RK_X86
    __builtin_cpu_init();
    int level = 0;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c")) level = 1;
    if (level == 1 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl")) level = 2;
    hardware_vnni = level == 2 && __builtin_cpu_supports("avx512vnni");
#else
    int level = 0;
#endif
    __atomic_store_n(&hardware_level, level, __ATOMIC_RELEASE);
}

static int env_capped_level(int level) {
    const char *forced = getenv("REFINERY_KERNELS");
    if (forced) {
        int cap = level;
        if (strcmp(forced, "portable") == 0) cap = 0;
        else if (strcmp(forced, "avx2") == 0) cap = 1;
        else if (strcmp(forced, "avx512") == 0) cap = 2;
        if (cap < level) level = cap;
    }
    return level;
}

static const rk_table *current_table = NULL;
static int current_level = -1;

static const rk_table *table_for(int level) {
#if RK_X86
    if (level >= 2) return hardware_vnni ? &table_avx512 : &table_avx2;
    if (level == 1) return &table_avx2;
#else
    (void)level;
#endif
    return &table_portable;
}

int refinery_kernels_max_level(void) {
    if (__atomic_load_n(&hardware_level, __ATOMIC_ACQUIRE) < 0) detect_hardware();
    return hardware_level;
}

int refinery_kernels_set_level(int level) {
    const int max = refinery_kernels_max_level();
    if (level > max) level = max;
    if (level < 0) level = 0;
    __atomic_store_n(&current_table, table_for(level), __ATOMIC_RELEASE);
    __atomic_store_n(&current_level, level, __ATOMIC_RELEASE);
    return level;
}

static const rk_table *rk_kernels(void) {
    const rk_table *t = __atomic_load_n(&current_table, __ATOMIC_ACQUIRE);
    if (__builtin_expect(t != NULL, 1)) return t;
    refinery_kernels_set_level(env_capped_level(refinery_kernels_max_level()));
    return __atomic_load_n(&current_table, __ATOMIC_ACQUIRE);
}

int refinery_kernels_level(void) {
    (void)rk_kernels();
    return __atomic_load_n(&current_level, __ATOMIC_ACQUIRE);
}

float refinery_vec_dot(int weight_type, int64_t n, const void *weight_row, const void *activations) {
    if (weight_type < 0 || weight_type >= RT_TYPE_LIMIT) return NAN;
    const rk_vec_dot_fn f = rk_kernels()->dot[weight_type];
    if (f == NULL) return NAN;
    return f(n, (const uint8_t *)weight_row, (const uint8_t *)activations);
}

static const rk_table *rk_kernels_at(int level) {
    const int max = refinery_kernels_max_level();
    return table_for(level > max ? max : level);
}

float refinery_vec_dot_at_level(int level, int weight_type, int64_t n, const void *weight_row, const void *activations) {
    if (weight_type < 0 || weight_type >= RT_TYPE_LIMIT) return NAN;
    const rk_vec_dot_fn f = rk_kernels_at(level)->dot[weight_type];
    if (f == NULL) return NAN;
    return f(n, (const uint8_t *)weight_row, (const uint8_t *)activations);
}

void refinery_f16_to_f32_row_at_level(int level, const uint16_t *src, float *dst, int64_t n) {
    rk_kernels_at(level)->f16_to_f32(src, dst, n);
}

void refinery_f32_to_f16_row_at_level(int level, const float *src, uint16_t *dst, int64_t n) {
    rk_kernels_at(level)->f32_to_f16(src, dst, n);
}

/* The matrix-vector product with one table's kernels (refinery_mat_vec and the benchmark). */
static int rk_mat_vec_with(const rk_table *t, int weight_type, int64_t n, const uint8_t *w, size_t row_stride, int64_t rows,
                           const uint8_t *activations, float *out) {
    if (weight_type < 0 || weight_type >= RT_TYPE_LIMIT) return 0;
    const int tiled = rk_x16_base_type(weight_type) >= 0 ? rk_x16_base_type(weight_type) : weight_type;
    if (t->x16_tile[tiled] != NULL) {
        if (n % QK32 != 0) return 0;
        rk_x16_product(t->x16_tile[tiled], t->x16_rows[tiled], weight_type, n, w, row_stride, rows, activations, 0, 1, out, 0);
        return 1;
    }
    if (t->mat_vec[weight_type] != NULL) {
        t->mat_vec[weight_type](n, w, row_stride, rows, activations, out);
        return 1;
    }
    const rk_vec_dot_fn f = t->dot[weight_type];
    if (f == NULL) return 0;
    for (int64_t r = 0; r < rows; r++) out[r] = f(n, w + (size_t)r * row_stride, activations);
    return 1;
}

int rk_mat_vec_at(int level, int weight_type, int64_t n, const uint8_t *w, size_t row_stride, int64_t rows,
                  const uint8_t *activations, float *out) {
    return rk_mat_vec_with(rk_kernels_at(level), weight_type, n, w, row_stride, rows, activations, out);
}

rk_cols_fn rk_cols_kernel(int weight_type, int size, int *count) {
    if (weight_type < 0 || weight_type >= RT_TYPE_LIMIT || size < 0 || size >= RK_COLS_SIZES) return NULL;
    const rk_table *t = rk_kernels();
    *count = t->cols_count[size];
    return t->cols_count[size] >= 2 ? t->cols[size][weight_type] : NULL;
}

rk_x16_tile_fn rk_x16_tile_kernel(int weight_type, rk_mat_vec_fn *rows) {
    if (weight_type < 0 || weight_type >= RT_TYPE_LIMIT) return NULL;
    const int base = rk_x16_base_type(weight_type) >= 0 ? rk_x16_base_type(weight_type) : weight_type;
    const rk_table *t = rk_kernels();
    *rows = t->x16_rows[base];
    return t->x16_tile[base];
}

int rk_unpacked_tiles_available(void) {
#if RK_X86
    return rk_kernels() == &table_avx512;
#else
    return 0;
#endif
}

rk_vec_dot_fn rk_dot_kernel_at(int level, int weight_type) {
    if (weight_type < 0 || weight_type >= RT_TYPE_LIMIT) return NULL;
    return rk_kernels_at(level)->dot[weight_type];
}

void refinery_f16_to_f32_row(const uint16_t *src, float *dst, int64_t n) { rk_kernels()->f16_to_f32(src, dst, n); }

void refinery_f32_to_f16_row(const float *src, uint16_t *dst, int64_t n) { rk_kernels()->f32_to_f16(src, dst, n); }

float refinery_dot_f16_f32(int64_t n, const uint16_t *keys, const float *query) {
    return rk_kernels()->dot[RT_F16](n, (const uint8_t *)keys, (const uint8_t *)query);
}

void refinery_mat_vec_at_level(int level, int weight_type, int64_t n, const void *weights, size_t row_stride, int64_t rows,
                               const void *activations, float *out) {
    (void)rk_mat_vec_at(level, weight_type, n, (const uint8_t *)weights, row_stride, rows, (const uint8_t *)activations, out);
}

void refinery_mat_vec(int weight_type, int64_t n, const void *weights, size_t row_stride, int64_t rows,
                      const void *activations, float *out) {
    (void)rk_mat_vec_with(rk_kernels(), weight_type, n, (const uint8_t *)weights, row_stride, rows, (const uint8_t *)activations, out);
}

/* The attention and activation kernels, with the current level's table or a given level's. */
void refinery_swiglu(float *gate, const float *up, int64_t n) { rk_kernels()->swiglu(gate, up, n); }
void refinery_swiglu_at_level(int level, float *gate, const float *up, int64_t n) { rk_kernels_at(level)->swiglu(gate, up, n); }

int64_t refinery_argmax(const float *x, int64_t n) { return rk_kernels()->argmax(x, n); }
int64_t refinery_argmax_at_level(int level, const float *x, int64_t n) { return rk_kernels_at(level)->argmax(x, n); }

void refinery_exp_shifted(const float *x, float shift, float *y, int64_t n) { rk_kernels()->exp_shifted(x, shift, y, n); }
void refinery_exp_shifted_at_level(int level, const float *x, float shift, float *y, int64_t n) {
    rk_kernels_at(level)->exp_shifted(x, shift, y, n);
}

void refinery_attention_weights(float *scores, int64_t count) { rk_kernels()->attention_weights(scores, count); }
void refinery_attention_weights_at_level(int level, float *scores, int64_t count) {
    rk_kernels_at(level)->attention_weights(scores, count);
}

/* Scores, softmax weights, then the weighted sum of values: see refinery_attention. */
static void attention_with(const rk_table *t, int64_t dim, int64_t heads, const float *queries, int64_t query_stride,
                           const uint16_t *keys, const uint16_t *values, int64_t row_stride, const int32_t *block_table,
                           int64_t block_size, int64_t first_position, int64_t count, float scale, float *scratch, float *out,
                           int64_t out_stride) {
    if (count <= 0 || heads <= 0 || dim <= 0) return;
    t->attention_scores(dim, heads, queries, query_stride, keys, row_stride, block_table, block_size, first_position, count, scale,
                        scratch);
    for (int64_t h = 0; h < heads; h++) t->attention_weights(scratch + h * count, count);
    t->attention_values(dim, heads, scratch, values, row_stride, block_table, block_size, first_position, count, out, out_stride);
}

void refinery_attention(int64_t dim, int64_t heads, const float *queries, int64_t query_stride, const uint16_t *keys,
                        const uint16_t *values, int64_t row_stride, const int32_t *block_table, int64_t block_size,
                        int64_t first_position, int64_t count, float scale, float *scratch, float *out, int64_t out_stride) {
    attention_with(rk_kernels(), dim, heads, queries, query_stride, keys, values, row_stride, block_table, block_size,
                   first_position, count, scale, scratch, out, out_stride);
}
void refinery_attention_at_level(int level, int64_t dim, int64_t heads, const float *queries, int64_t query_stride,
                                 const uint16_t *keys, const uint16_t *values, int64_t row_stride, const int32_t *block_table,
                                 int64_t block_size, int64_t first_position, int64_t count, float scale, float *scratch,
                                 float *out, int64_t out_stride) {
    attention_with(rk_kernels_at(level), dim, heads, queries, query_stride, keys, values, row_stride, block_table, block_size,
                   first_position, count, scale, scratch, out, out_stride);
}
