/* AVX2 + FMA + F16C kernels (Haswell and later, Zen). */
#include "kernels_internal.h"
#if RK_X86
#define RK_SUFFIX avx2
#define RK_VNNI 0
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)
#include "vec_dot_simd.inc"
#include "attention_simd.inc"
#pragma clang attribute pop
#endif
