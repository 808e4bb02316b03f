/*
 * unit_region.h - the small private region the C unit tests build their
 * frames and handles in: 64 KiB of pages, the given file slots and
 * handles, and (tc_entries != 0) thread caches of that many entries;
 * a VALID frame and a claimed handle in it.
 */
#ifndef LFM_TESTS_UNIT_REGION_H
#define LFM_TESTS_UNIT_REGION_H

#include <string.h>

#include "frame.h"
#include "region.h"
#include "tcache.h"

static inline struct lfm__region_hdr *
unit_region(uint32_t nfiles, uint32_t nhandles, uint32_t tc_entries)
{
	struct lfm__region_geom g;
	memset(&g, 0, sizeof(g));
	g.cache_bytes = 64 * 1024;
	g.nfiles_max = nfiles;
	g.nhandles = nhandles;
	g.tc_entries = tc_entries;
	return lfm__region_create_private(&g);
}

/* Carves a frame and makes it hold `tag`, VALID, unpinned: state VALID.
 * NULL when the region has no frame left. */
static inline struct lfm__frame *unit_valid_frame(struct lfm__region_hdr *rh,
						  uint64_t tag)
{
	int64_t i = lfm__region_carve(rh, 4096, 0);
	if (i < 0)
		return NULL;
	struct lfm__frame *f = &lfm__frames(rh)[i];
	atomic_store_explicit(&f->tag, tag, memory_order_relaxed);
	lfm__frame_release_excl(f, LFM_F_VALID, 0);
	return f;
}

/* A handle claimed for `id` (a private region's), or NULL. */
static inline struct lfm__handle *unit_claim(struct lfm__region_hdr *rh,
					     uint32_t id)
{
	int i = lfm__tcache_claim(rh, id, 0);
	return i < 0 ? NULL : lfm__handle_at(rh, (uint32_t)i);
}

#endif
