/* bench_lat.c - the latency histogram (see bench_lat.h). */
#include "bench_lat.h"

#include <math.h>

void lat_merge(struct lat_hist *dst, const struct lat_hist *src)
{
	for (unsigned b = 0; b < LAT_NBUCKETS; b++)
		dst->count[b] += src->count[b];
	dst->n += src->n;
	if (src->max > dst->max)
		dst->max = src->max;
}

/* The highest value of bucket `b`. */
static uint64_t lat_bucket_high(unsigned b)
{
	unsigned shift;

	if (b < 2 * LAT_SUB)
		return b;
	shift = b / LAT_SUB - 1;
	return ((uint64_t)(b - shift * LAT_SUB + 1) << shift) - 1;
}

/* The value of rank k (1 = smallest, n = largest); 0 when k is 0 or above
 * n. Reported as its bucket's highest value, but never above max. */
static uint64_t lat_at_rank(const struct lat_hist *h, uint64_t k)
{
	uint64_t seen = 0;

	if (k == 0 || k > h->n)
		return 0;
	for (unsigned b = 0; b < LAT_NBUCKETS; b++) {
		seen += h->count[b];
		if (seen >= k) {
			uint64_t v = lat_bucket_high(b);

			return v < h->max ? v : h->max;
		}
	}
	return h->max; /* not reached: the counts add up to n */
}

/* ceil(q * n), without 0.99 * 100 rounding up to 100 */
static uint64_t rank_of(double q, uint64_t n)
{
	double k = ceil(q * (double)n - 1e-6);

	if (k < 1)
		return 1;
	return k > (double)n ? n : (uint64_t)k;
}

uint64_t lat_quantile(const struct lat_hist *h, uint64_t slow, double q)
{
	if (slow > h->n)
		slow = h->n;
	if (slow == 0)
		return 0;
	return lat_at_rank(h, h->n - slow + rank_of(q, slow));
}
