/*
 * stats.h - counting for memp_stat without shared writes on the hit path.
 *
 * A thread with a handle counts in its handle's own counters (tcache.h):
 * one relaxed load and store, no locked instruction, a line no other thread
 * writes. A thread without one adds to a per-file stripe (relaxed
 * fetch_add). memp_stat sums both, minus the file's baseline
 * (stat_read.h). Which counters there are is the statistics table's
 * (stat_table.h).
 */
#ifndef LFM_STATS_H
#define LFM_STATS_H

#include "pool.h"
#include "stat_read.h"
#include "tcache.h"

static inline void lfm__stat_add(struct lfm__tls_node *t,
				 struct lfm__region_hdr *rh, uint32_t slot,
				 int counter, uint64_t n)
{
	if (t != NULL && t->h != NULL) {
		lfm__owner_add(lfm__handle_stats(rh, t->h, slot) + counter, n);
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

#endif
