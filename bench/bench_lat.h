/*
 * bench_lat.h - a latency histogram of constant size with ~1.6% resolution
 * (log-linear buckets, as HdrHistogram does with two significant digits):
 * values below 128 ns have a bucket each; above, every power of two is
 * split into 64 equal buckets. One histogram per thread, merged after the
 * run; recording is a shift, a count-leading-zeros and an increment.
 *
 * Quantiles are reported as the highest value of the bucket the rank falls
 * in, so a reported quantile is never below the exact one and at most
 * 1/64 above it.
 */
#ifndef LFMPOOL_BENCH_LAT_H
#define LFMPOOL_BENCH_LAT_H

#include <stdint.h>
#include <time.h>

#define LAT_SUB_BITS 6 /* 64 buckets per power of two */
#define LAT_SUB	     (1u << LAT_SUB_BITS)
/* 2 * LAT_SUB exact buckets, then LAT_SUB for each power of two from
 * 2^(LAT_SUB_BITS + 1) to 2^63. */
#define LAT_NBUCKETS ((64 - LAT_SUB_BITS + 1) * LAT_SUB)

struct lat_hist {
	uint64_t n;   /* values recorded */
	uint64_t max; /* the largest, exact */
	uint64_t count[LAT_NBUCKETS];
};

static inline unsigned lat_bucket(uint64_t v)
{
	unsigned shift;

	if (v < 2 * LAT_SUB)
		return (unsigned)v;
	/* msb >= LAT_SUB_BITS + 1; v >> shift is in [LAT_SUB, 2 * LAT_SUB) */
	shift = (unsigned)(63 - __builtin_clzll(v)) - LAT_SUB_BITS;
	return shift * LAT_SUB + (unsigned)(v >> shift);
}

static inline void lat_record(struct lat_hist *h, uint64_t v)
{
	h->count[lat_bucket(v)]++;
	h->n++;
	if (v > h->max)
		h->max = v;
}

/* CLOCK_MONOTONIC in nanoseconds (vDSO: no system call with a TSC clock). */
static inline uint64_t lat_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void lat_merge(struct lat_hist *dst, const struct lat_hist *src);
/*
 * The q-quantile (0 < q <= 1) of the `slow` slowest values (all: h->n),
 * when only their number is known: the value of rank n - slow + ceil(q *
 * slow). It is an upper bound on the q-quantile of any `slow` of the
 * values (among the n - slow + k smallest, at least k are of that subset),
 * exact when the subset is the slowest values. 0 when slow is 0; slow is
 * clamped to n.
 */
uint64_t lat_quantile(const struct lat_hist *h, uint64_t slow, double q);

#endif /* LFMPOOL_BENCH_LAT_H */
