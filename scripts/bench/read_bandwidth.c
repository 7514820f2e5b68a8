/* Memory read bandwidth: the roofline of decoding, where every weight byte is read once per token.
 *
 *   cc -O2 -pthread -mavx2 scripts/bench/read_bandwidth.c -o /tmp/read_bandwidth && /tmp/read_bandwidth 2
 *
 * THREADS threads sum disjoint parts of a 1 GiB buffer with 256-bit loads, five times; each line
 * is GB/s read. A model decodes at most at (this figure) / (weight bytes read per token). */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SIZE (1L << 30)
static char *buffer;
static int thread_count;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void *read_part(void *arg) {
    const long part = SIZE / thread_count;
    const char *p = buffer + (long)arg * part;
    __m256i a = _mm256_setzero_si256(), b = a, c = a, d = a;
    for (long i = 0; i < part; i += 128) {
        a = _mm256_add_epi64(a, _mm256_load_si256((const __m256i *)(p + i)));
        b = _mm256_add_epi64(b, _mm256_load_si256((const __m256i *)(p + i + 32)));
        c = _mm256_add_epi64(c, _mm256_load_si256((const __m256i *)(p + i + 64)));
        d = _mm256_add_epi64(d, _mm256_load_si256((const __m256i *)(p + i + 96)));
    }
    static volatile long long sink;
    const __m256i sum = _mm256_add_epi64(_mm256_add_epi64(a, b), _mm256_add_epi64(c, d));
    sink = _mm256_extract_epi64(sum, 0) + _mm256_extract_epi64(sum, 3);
    return NULL;
}

int main(int argc, char **argv) {
    thread_count = argc > 1 ? atoi(argv[1]) : 2;
    if (thread_count < 1 || thread_count > 64) return 1;
    buffer = aligned_alloc(64, SIZE);
    if (buffer == NULL) return 1;
    memset(buffer, 1, SIZE);
    for (int run = 0; run < 5; run++) {
        pthread_t threads[64];
        const double start = now();
        for (long i = 0; i < thread_count; i++) pthread_create(&threads[i], NULL, read_part, (void *)i);
        for (int i = 0; i < thread_count; i++) pthread_join(threads[i], NULL);
        printf("%d thread(s): %.1f GB/s\n", thread_count, (double)SIZE / (now() - start) / 1e9);
    }
    free(buffer);
    return 0;
}
