/* stats.c - the engine's statistics: sums the striped counters into
 * lfm__pstat and lfm__fstat (engine.h), which the adapters copy out. */
#include "frame.h"
#include "pool.h"
#include "stats.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Handles ever claimed, never more than the region has (a damaged region
 * read by lfmpool-stat must not send the loops below past the array). */
static uint32_t hiwater(struct lfm__region_hdr *rh)
{
	uint32_t hi =
	    atomic_load_explicit(&rh->handles_hiwater, memory_order_acquire);
	return hi < rh->nhandles ? hi : rh->nhandles;
}

uint64_t lfm__stat_total(struct lfm__region_hdr *rh, uint32_t slot, int counter)
{
	struct lfm__file *f = &lfm__files(rh)[slot];
	uint64_t n = 0;
	for (int s = 0; s < LFM_STAT_STRIPES; s++)
		n += atomic_load_explicit(&f->stats[s].c[counter],
					  memory_order_relaxed);
	uint32_t hi = hiwater(rh);
	for (uint32_t i = 0; i < hi; i++)
		n += atomic_load_explicit(
		    lfm__handle_stats(rh, lfm__handle_at(rh, i), slot) +
			counter,
		    memory_order_relaxed);
	return n;
}

static uint64_t sum(struct lfm__region_hdr *rh, uint32_t slot, int counter)
{
	return lfm__stat_total(rh, slot, counter) -
	       lfm__files(rh)[slot].stat_base[counter];
}

/* A maximum (LFM_ST_LONGEST, LFM_ST_ALLOC_MAX): the largest copy. */
static uint64_t maxof(struct lfm__region_hdr *rh, uint32_t slot, int counter)
{
	struct lfm__file *f = &lfm__files(rh)[slot];
	uint64_t m = 0;
	for (int s = 0; s < LFM_STAT_STRIPES; s++) {
		uint64_t v = atomic_load_explicit(&f->stats[s].c[counter],
						  memory_order_relaxed);
		m = v > m ? v : m;
	}
	uint32_t hi = hiwater(rh);
	for (uint32_t i = 0; i < hi; i++) {
		uint64_t v = atomic_load_explicit(
		    lfm__handle_stats(rh, lfm__handle_at(rh, i), slot) +
			counter,
		    memory_order_relaxed);
		m = v > m ? v : m;
	}
	return m;
}

static uint64_t longest(struct lfm__region_hdr *rh, uint32_t slot)
{
	return maxof(rh, slot, LFM_ST_LONGEST);
}

/* The counters a pool (summed over its files) and a file both report,
 * beyond the 2.x ones. */
#define EXTRA_COUNTERS(X)                                                      \
	X(st_alloc, LFM_ST_ALLOC)                                              \
	X(st_alloc_pages, LFM_ST_ALLOC_PAGES)                                  \
	X(st_io_wait, LFM_ST_IOWAIT)                                           \
	X(st_read_wait, LFM_ST_READWAIT)                                       \
	X(st_nomem, LFM_ST_NOMEM)                                              \
	X(st_fdatasync, LFM_ST_FSYNC)                                          \
	X(st_fdatasync_errors, LFM_ST_FSYNC_ERR)                               \
	X(st_bg_write_errors, LFM_ST_BGWERR)                                   \
	X(st_log_flush, LFM_ST_LOGFLUSH)

void lfm__stat_pool(struct lfm__region_hdr *rh, struct lfm__pstat *g)
{
	struct lfm__file *files = lfm__files(rh);
	memset(g, 0, sizeof(*g));
	g->st_cachesize = rh->cache_bytes;
	g->st_hash_buckets = rh->nbuckets;
	for (int k = 0; k < LFM_STAT_STRIPES; k++) {
		g->st_ro_evict += atomic_load_explicit(&rh->evict[k].ro,
						       memory_order_relaxed);
		g->st_rw_evict += atomic_load_explicit(&rh->evict[k].rw,
						       memory_order_relaxed);
	}
	for (uint32_t i = 0; i < rh->nfiles_max; i++) {
		struct lfm__file *f = &files[i];
		if (atomic_load_explicit(&f->state, memory_order_acquire) !=
		    LFM_FILE_ACTIVE)
			continue;
		uint64_t walkhit = sum(rh, i, LFM_ST_WALKHIT);
		g->st_cache_hit += sum(rh, i, LFM_ST_HIT) + walkhit;
		g->st_cache_miss += sum(rh, i, LFM_ST_MISS);
		g->st_map += sum(rh, i, LFM_ST_MAP);
		g->st_page_create += sum(rh, i, LFM_ST_CREATE);
		g->st_page_in += sum(rh, i, LFM_ST_IN);
		g->st_page_out += sum(rh, i, LFM_ST_OUT);
		g->st_page_in_mapped += sum(rh, i, LFM_ST_INMAP);
		g->st_map_faults += sum(rh, i, LFM_ST_MAPFAULT);
		g->st_hash_searches += sum(rh, i, LFM_ST_SEARCH) + walkhit;
		g->st_hash_examined += sum(rh, i, LFM_ST_EXAMINED) + walkhit;
		uint64_t l = longest(rh, i);
		if (walkhit != 0 && l == 0)
			l = 1;
		if (l > g->st_hash_longest)
			g->st_hash_longest = l;
#define ADD(field, counter) g->field += sum(rh, i, counter);
		EXTRA_COUNTERS(ADD)
#undef ADD
		uint64_t am = maxof(rh, i, LFM_ST_ALLOC_MAX);
		if (am > g->st_alloc_max_pages)
			g->st_alloc_max_pages = am;
	}
	g->st_ckpt =
	    atomic_load_explicit(&rh->ckpt_calls, memory_order_relaxed);
	g->st_ckpt_incomplete =
	    atomic_load_explicit(&rh->ckpt_incomplete, memory_order_relaxed);
	g->st_ckpt_pages =
	    atomic_load_explicit(&rh->ckpt_pages, memory_order_relaxed);
	g->st_ckpt_last_usec =
	    atomic_load_explicit(&rh->ckpt_last_ns, memory_order_relaxed) /
	    1000;
	struct lfm__frame *fr = lfm__frames(rh);
	uint32_t n = atomic_load_explicit(&rh->nframes, memory_order_acquire);
	if (n > rh->nframes_max)
		n = rh->nframes_max; /* a damaged region: never past the array
				      */
	for (uint32_t i = 0; i < n; i++) {
		uint32_t s =
		    atomic_load_explicit(&fr[i].state, memory_order_relaxed);
		if (!(s & LFM_F_VALID))
			continue;
		g->st_pages++;
		if (s & LFM_F_DIRTY)
			g->st_page_dirty++;
		else
			g->st_page_clean++;
	}
}

void lfm__stat_file(struct lfm__region_hdr *rh, uint32_t slot,
		    struct lfm__fstat *e)
{
	memset(e, 0, sizeof(*e));
	e->st_pagesize = lfm__files(rh)[slot].pagesize;
	e->st_cache_hit =
	    sum(rh, slot, LFM_ST_HIT) + sum(rh, slot, LFM_ST_WALKHIT);
	e->st_cache_miss = sum(rh, slot, LFM_ST_MISS);
	e->st_map = sum(rh, slot, LFM_ST_MAP);
	e->st_page_create = sum(rh, slot, LFM_ST_CREATE);
	e->st_page_in = sum(rh, slot, LFM_ST_IN);
	e->st_page_out = sum(rh, slot, LFM_ST_OUT);
	e->st_page_in_mapped = sum(rh, slot, LFM_ST_INMAP);
	e->st_map_faults = sum(rh, slot, LFM_ST_MAPFAULT);
#define SET(field, counter) e->field = sum(rh, slot, counter);
	EXTRA_COUNTERS(SET)
#undef SET
	e->st_alloc_max_pages = maxof(rh, slot, LFM_ST_ALLOC_MAX);
}

/* The entry for buffer size b in out[0..*n), kept sorted; added if there
 * is room, else NULL. */
static struct lfm__stat_size *size_entry(struct lfm__stat_size *out,
					 uint32_t max, uint32_t *n, uint32_t b)
{
	uint32_t k = 0;
	while (k < *n && out[k].bufsize < b)
		k++;
	if (k < *n && out[k].bufsize == b)
		return &out[k];
	if (*n == max)
		return NULL;
	for (uint32_t j = *n; j > k; j--)
		out[j] = out[j - 1];
	(*n)++;
	out[k] = (struct lfm__stat_size){.bufsize = b};
	return &out[k];
}

uint32_t lfm__stat_sizes(struct lfm__region_hdr *rh, struct lfm__stat_size *out,
			 uint32_t max)
{
	struct lfm__chunk *c = lfm__chunks(rh);
	struct lfm__frame *fr = lfm__frames(rh);
	uint32_t nc = atomic_load_explicit(&rh->nchunks, memory_order_acquire);
	uint32_t n = 0;
	if (nc > rh->nchunks_max)
		nc = rh->nchunks_max; /* a damaged region */
	for (uint32_t i = 0; i < nc; i++) {
		/* stride, first and cap are written once, before the release
		 * store of nchunks. The chunk's `retired` count is plain
		 * under carve_lock: retired frames are counted by their
		 * (atomic) tags instead. */
		uint32_t stride = c[i].stride, first = c[i].first;
		uint32_t cap = c[i].cap;
		uint32_t count =
		    atomic_load_explicit(&c[i].count, memory_order_acquire);
		if (count > cap)
			count = cap;
		if (first > rh->nframes_max || count > rh->nframes_max - first)
			continue; /* damaged: never past the array */
		struct lfm__stat_size *e = size_entry(out, max, &n, stride);
		if (e == NULL)
			continue;
		for (uint32_t k = first; k < first + count; k++) {
			uint32_t s = atomic_load_explicit(&fr[k].state,
							  memory_order_relaxed);
			if (atomic_load_explicit(&fr[k].tag,
						 memory_order_relaxed) ==
			    LFM_TAG_RETIRED) {
				e->retired++;
				continue;
			}
			e->frames++;
			if (!(s & LFM_F_VALID))
				continue;
			e->pages++;
			e->dirty += (s & LFM_F_DIRTY) != 0;
		}
	}
	return n;
}

void lfm__pool_stat(struct lfm__pool *mp, struct lfm__pstat *g)
{
	lfm__stat_pool(mp->rh, g);
}

int lfm__pool_file_stats(struct lfm__pool *mp, struct lfm__fstat **out,
			 size_t *n)
{
	struct lfm__region_hdr *rh = mp->rh;
	struct lfm__file *files = lfm__files(rh);
	lfm__pmutex_lock_ranked(&mp->lock, LFM_RANK_POOL);
	size_t nf = 0, names = 0;
	for (uint32_t i = 0; i < rh->nfiles_max; i++) {
		if (mp->pfiles[i].nopen > 0) {
			nf++;
			names += strlen(files[i].path) + 1;
		}
	}
	/* One block: the entries, then the names. */
	struct lfm__fstat *st = malloc(nf * sizeof(*st) + names + 1);
	if (st == NULL) {
		lfm__pmutex_unlock_ranked(&mp->lock);
		return ENOMEM;
	}
	char *name = (char *)(st + nf);
	size_t k = 0;
	for (uint32_t i = 0; i < rh->nfiles_max; i++) {
		if (mp->pfiles[i].nopen == 0)
			continue;
		struct lfm__fstat *e = &st[k++];
		lfm__stat_file(rh, i, e);
		size_t len = strlen(files[i].path) + 1;
		memcpy(name, files[i].path, len);
		e->file_name = name;
		name += len;
	}
	lfm__pmutex_unlock_ranked(&mp->lock);
	*out = st;
	*n = nf;
	return 0;
}
