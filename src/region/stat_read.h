/*
 * stat_read.h - the statistics as a region holds them, summed: what
 * memp_stat reports (engine stats.c) and lfmpool-stat shows (src/tools),
 * from the region alone.
 *
 * A file's counters (stat_table.h's SUM and MAX lines) live in its
 * stripes (struct lfm__file.stats) and in every thread cache's handle
 * (tcache.h, lfm__handle_stats); a count is the sum of all of them,
 * minus the file's baseline (stat_base: the sum when its slot was last
 * given to a file, since handles outlive files). Hits through thread
 * caches are counted in their entries' words until harvested (tcache.h):
 * a file's hits add what its live entries hold (none when its slot is
 * given: no frame holds a page of a free slot). These functions only
 * load (relaxed or acquire), so a read-only mapping of a shared region
 * will do: counts read from the region are clamped to its geometry, so
 * that a damaged region never sends a loop past an array.
 */
#ifndef LFM_STAT_READ_H
#define LFM_STAT_READ_H

#include "region.h"

#include <stdint.h>

/* The running total of `counter` for file slot `slot` (before baseline). */
uint64_t lfm__stat_total(struct lfm__region_hdr *rh, uint32_t slot,
			 int counter);

/* The pool's figures (every file the region knows), and file slot
 * `slot`'s (all but file_name). */
void lfm__stat_pool(struct lfm__region_hdr *rh, struct lfm__pstat *g);
void lfm__stat_file(struct lfm__region_hdr *rh, uint32_t slot,
		    const uint64_t *live, struct lfm__fstat *e);

/* Fills per_slot[0..nfiles_max) with the hits live thread-cache entries
 * hold, for lfm__stat_file's `live` (NULL there: each lfm__stat_file
 * reads the caches itself). One pass over the caches for all files: a
 * read of every entry of every handle ever claimed. */
void lfm__stat_live_hits(struct lfm__region_hdr *rh, uint64_t *per_slot);

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
 * returns n (at most max: further sizes are left out). */
uint32_t lfm__stat_sizes(struct lfm__region_hdr *rh, struct lfm__stat_size *out,
			 uint32_t max);

#endif
