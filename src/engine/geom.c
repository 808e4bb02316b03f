/* geom.c - what the adapters ask of the region's geometry (engine.h):
 * a pool's shape turned into the region's, a page's footprint, a thread
 * cache's entries; so that no adapter needs the region's layout. */
#include "pool.h"

#include "lfm_assert.h"
#include "tcguard.h"

#include <errno.h>

_Static_assert(LFM_PAGESIZE_MAX == LFM_CHUNK, "the largest page is a chunk");
/* The inline get and put (include/lfmpool.h) read entry words through
 * engine.h's copy of their fields. */
_Static_assert(LFM_FAST_REF == LFM_TC_REF &&
		   LFM_FAST_COUNT_MAX == LFM_TC_COUNT_MAX &&
		   LFM_TC_COUNT_ONE == 1 &&
		   LFM_FAST_FRAME_SHIFT == LFM_TC_FRAME_SHIFT,
	       "an entry word");
_Static_assert(sizeof(struct lfm__handle) -
			   offsetof(struct lfm__handle, busy) ==
		       LFM_FAST_GUARD_OFF &&
		   offsetof(struct lfm__handle, plain) -
			   offsetof(struct lfm__handle, busy) ==
		       offsetof(struct lfm__fast_guard, plain),
	       "the guard's words before the entries");
_Static_assert(LFM_FAST_GUARD_PERIOD == LFM_TCGUARD_PERIOD,
	       "the shut guard's ops between tries");

uint64_t lfm__page_footprint(size_t pagesize)
{
	return ((uint64_t)pagesize + LFM_CACHELINE - 1) &
	       ~(uint64_t)(LFM_CACHELINE - 1);
}

int lfm__tcache_entries(size_t bytes, uint64_t *entries)
{
	LFM_ASSERT(entries != NULL);
	*entries = bytes / sizeof(struct lfm__tc_entry);
	return bytes != 0 && *entries < LFM_TC_MIN_ENTRIES ? EINVAL : 0;
}

int lfm__pool_open(const char *path, const struct lfm__pool_geom *g,
		   const struct lfm__pool_opts *o, struct lfm__pool **out)
{
	LFM_ASSERT(g != NULL && o != NULL && out != NULL);
	struct lfm__region_geom rg = {
	    .cache_bytes = g->cache_bytes,
	    .nfiles_max = g->nfiles_max != 0 ? g->nfiles_max : LFM_NFILES,
	    .nhandles = LFM_NHANDLES,
	    .elastic = g->elastic,
	    .max_resident = g->max_resident,
	    .extra_bytes = g->extra_bytes,
	    .tc_cap_entries = g->tc_cap_entries,
	};
	return lfm__pool_open_region(path, &rg, o, out);
}
