#ifndef CREFINERY_KERNELS_H
#define CREFINERY_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// Which instruction set the dispatched kernels use: 0 portable, 1 AVX2, 2 AVX-512.
/// `REFINERY_KERNELS=portable|avx2|avx512` caps the choice (for tests and old CPUs).
int refinery_kernels_level(void);

#endif
