#include "CRefineryKernels.h"
#include <stdlib.h>
#include <string.h>

static int detect_level(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    int level = 0;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c")) level = 1;
    if (level == 1 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl")) level = 2;
#else
    int level = 0;
#endif
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

int refinery_kernels_level(void) {
    static int cached = -1;
    if (cached < 0) cached = detect_level();
    return cached;
}
