/*
 * stats.h - counting for memp_stat without shared writes on the hit path.
 *
 * A thread with a handle counts in its handle's own counters (tcache.h):
 * one relaxed load and store, no locked instruction, a line no other thread
 * writes. A thread without one adds to a per-file stripe (relaxed
 * fetch_add). memp_stat sums both, minus the file's baseline (the sum when
 * its slot was last given to a file, since handles outlive files).
 */
#ifndef LFM_STATS_H
#define LFM_STATS_H

#include "pool.h"

static inline void lfm__stat_add(struct lfm__tls_node *t,
				 struct lfm__region_hdr *rh, uint32_t slot,
				 int counter, uint64_t n)
{
	if (t != NULL && t->h != NULL) {
		_Atomic uint64_t *p =
		    lfm__handle_stats(rh, t->h, slot) + counter;
		atomic_store_explicit(
		    p, atomic_load_explicit(p, memory_order_relaxed) + n,
		    memory_order_relaxed);
	} else {
		atomic_fetch_add_explicit(
		    &lfm__files(rh)[slot].stats[t ? t->stripe : 0].c[counter],
		    n, memory_order_relaxed);
	}
}

/* Raises a maximum (LFM_ST_LONGEST, LFM_ST_ALLOC_MAX), not a sum. */
static inline void lfm__stat_raise(struct lfm__tls_node *t,
				   struct lfm__region_hdr *rh, uint32_t slot,
				   int counter, uint64_t v)
{
	_Atomic uint64_t *p =
	    t != NULL && t->h != NULL
		? lfm__handle_stats(rh, t->h, slot) + counter
		: &lfm__files(rh)[slot].stats[t ? t->stripe : 0].c[counter];
	/* A lost race leaves the maximum a little low: a statistic. */
	if (v > atomic_load_explicit(p, memory_order_relaxed))
		atomic_store_explicit(p, v, memory_order_relaxed);
}

/* Raises the longest-chain statistic. */
static inline void lfm__stat_max(struct lfm__tls_node *t,
				 struct lfm__region_hdr *rh, uint32_t slot,
				 uint64_t v)
{
	lfm__stat_raise(t, rh, slot, LFM_ST_LONGEST, v);
}

/* The running total of `counter` for file slot `slot` (before baseline). */
uint64_t lfm__stat_total(struct lfm__region_hdr *rh, uint32_t slot,
			 int counter);

/* What memp_stat reports, from the region alone: the pool's figures (every
 * file known to the region), and file slot `slot`'s (all but file_name).
 * They only read the region (loads), so a read-only mapping of a shared
 * region will do (lfmpool-stat): counts past the arrays are clamped to the
 * region's geometry. */
void lfm__stat_pool(struct lfm__region_hdr *rh, struct lfm__pstat *g);
void lfm__stat_file(struct lfm__region_hdr *rh, uint32_t slot,
		    struct lfm__fstat *e);

/* The frames of one buffer size (a page size rounded up to 64 bytes:
 * pools mixing page sizes carve each size its own frames, region.h). */
struct lfm__stat_size {
	uint32_t bufsize; /* bytes of each buffer */
	uint32_t frames;  /* carved and not retired */
	uint32_t retired; /* given back to the budget (rule 24) */
	uint32_t pages;	  /* of `frames`, holding a page now */
	uint32_t dirty;	  /* of `pages`, dirty */
};

/* Fills out[0..n) with the pool's buffer sizes, smallest first, and
 * returns n (at most max: further sizes are left out). Reads only, like
 * lfm__stat_pool. */
uint32_t lfm__stat_sizes(struct lfm__region_hdr *rh, struct lfm__stat_size *out,
			 uint32_t max);

#endif
