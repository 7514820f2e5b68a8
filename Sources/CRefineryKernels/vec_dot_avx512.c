/* AVX-512 kernels: the shared SIMD source with AVX512-VNNI dot products (vpdpbusd, vpdpwssd) and
 * AVX512BW mask moves. Chosen only on CPUs with avx512f, avx512bw, avx512vl and avx512vnni. */
#include "kernels_internal.h"
#if RK_X86
#define RK_SUFFIX avx512
#define RK_VNNI 1
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni"))), apply_to = function)
#include "vec_dot_simd.inc"
#include "attention_simd.inc"
#pragma clang attribute pop
#endif
