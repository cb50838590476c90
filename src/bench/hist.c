/* The latency histogram (bench_int.h): log-linear buckets in a fixed array,
 * so recording a sample is a few instructions and never allocates. It is for
 * quantiles of one run, not for merging across processes. */
#include <string.h>

#include "bench/bench_int.h"

#define SUB (1u << HIST_SUB_BITS)

static unsigned bucket_of(uint64_t v) {
    if (v < 2 * SUB) return (unsigned)v;
    unsigned msb = 63u - (unsigned)__builtin_clzll(v);
    unsigned shift = msb - HIST_SUB_BITS;
    if (shift > HIST_MAX_SHIFT) return HIST_BUCKETS - 1;
    unsigned sub = (unsigned)(v >> shift) & (SUB - 1);
    return 2 * SUB + (shift - 1) * SUB + sub;
}

/* The largest value that falls into bucket I. */
static uint64_t bucket_top(unsigned i) {
    if (i < 2 * SUB) return i;
    unsigned k = i - 2 * SUB;
    unsigned shift = k / SUB + 1;
    uint64_t low = (uint64_t)(SUB + k % SUB) << shift;
    return low + ((uint64_t)1 << shift) - 1;
}

void hist_init(bench_hist *h) {
    memset(h, 0, sizeof *h);
}

void hist_add(bench_hist *h, uint64_t us) {
    h->b[bucket_of(us)]++;
    h->count++;
    h->sum_us += us;
    if (us > h->max_us) h->max_us = us;
}

uint64_t hist_quantile(const bench_hist *h, double q) {
    if (h->count == 0) return 0;
    if (q > 1) q = 1;
    uint64_t rank = (uint64_t)(q * (double)h->count);
    if ((double)rank < q * (double)h->count) rank++;
    if (rank == 0) rank = 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
        seen += h->b[i];
        if (seen >= rank) {
            uint64_t top = bucket_top(i);
            return top < h->max_us ? top : h->max_us;
        }
    }
    return h->max_us;
}
