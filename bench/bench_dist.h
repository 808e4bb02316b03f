/*
 * bench_dist.h - the workers' page numbers (bench_dist.c): splitmix64 seeds
 * xoshiro256**, one generator per thread; Zipf(ZIPF_THETA) by Walker's
 * alias table.
 */
#ifndef LFMPOOL_BENCH_DIST_H
#define LFMPOOL_BENCH_DIST_H

#include <stdint.h>

#include "bench_rng.h"
#include "bench_opts.h"

#define ZIPF_THETA 0.99

extern uint32_t zipf_prob[FILE_PAGES]; /* keep column if low32 < prob */
extern uint32_t zipf_alias[FILE_PAGES];
void zipf_build(void);
/* The table must give back the distribution it was built from: 0, or -1
 * after a message. */
int zipf_check(void);

/* One 64-bit draw per sample; for Zipf the high half picks a column, the
 * low half decides between the column and its alias. */
static inline uint32_t next_page(struct rng *r, const struct workload *wl)
{
	uint64_t x = rng_next(r);
	uint32_t col;

	if (wl->dist == DIST_UNIFORM)
		return (uint32_t)(((x >> 32) * wl->range) >> 32);
	col = (uint32_t)(((x >> 32) * FILE_PAGES) >> 32);
	return (uint32_t)x < zipf_prob[col] ? col : zipf_alias[col];
}

#endif /* LFMPOOL_BENCH_DIST_H */
