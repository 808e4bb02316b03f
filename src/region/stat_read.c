/* stat_read.c - the region's statistics summed (stat_read.h), each as
 * the table (stat_table.h) says. */
#include "stat_read.h"

#include "frame.h"
#include "tcache.h"

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

/* Which live hits live_hits returns with per_slot NULL: every active
 * file's. */
#define ALL_ACTIVE UINT32_MAX

/* Hits the live entry words hold (tcache.h, uses), added to
 * per_slot[the file of each one's frame] (nfiles_max of them), or, with
 * per_slot NULL, those of file `slot` (or of every active file: ALL_ACTIVE)
 * returned. Every handle ever claimed is read: a dead process's entries
 * hold hits until its recovery. Allocates nothing: lfmpool-stat reads
 * under a SIGBUS guard that may jump out of it. */
static uint64_t live_hits(struct lfm__region_hdr *rh, uint64_t *per_slot,
			  uint32_t slot)
{
	struct lfm__frame *fr = lfm__frames(rh);
	uint64_t n = 0;
	uint32_t hi = hiwater(rh);
	for (uint32_t i = 0; i < hi; i++) {
		struct lfm__tc_entry *e =
		    lfm__tc_entries(lfm__handle_at(rh, i));
		for (uint32_t k = 0; k < rh->tc_entries; k++) {
			uint64_t w = atomic_load_explicit(&e[k].word,
							  memory_order_relaxed);
			uint32_t uses = lfm__tc_uses(w), fi = lfm__tc_frame(w);
			if (uses == 0 || fi == 0 || fi > rh->nframes_max)
				continue;
			uint64_t tag = atomic_load_explicit(
			    &fr[fi - 1].tag, memory_order_relaxed);
			uint32_t s = lfm__tag_slot(tag);
			if (tag == 0 || s >= rh->nfiles_max)
				continue;
			if (per_slot != NULL)
				per_slot[s] += uses;
			else if (s == slot ||
				 (slot == ALL_ACTIVE &&
				  atomic_load_explicit(&lfm__files(rh)[s].state,
						       memory_order_relaxed) ==
				      LFM_FILE_ACTIVE))
				n += uses;
		}
	}
	return n;
}

void lfm__stat_live_hits(struct lfm__region_hdr *rh, uint64_t *per_slot)
{
	memset(per_slot, 0, rh->nfiles_max * sizeof(*per_slot));
	live_hits(rh, per_slot, 0);
}

/* File `slot`'s live hits: from `live` (lfm__stat_live_hits), else read. */
static uint64_t live_of(struct lfm__region_hdr *rh, const uint64_t *live,
			uint32_t slot)
{
	return live != NULL ? live[slot] : live_hits(rh, NULL, slot);
}

/* A SUM line's count for one file. */
static uint64_t sum(struct lfm__region_hdr *rh, uint32_t slot, int counter)
{
	return lfm__stat_total(rh, slot, counter) -
	       lfm__files(rh)[slot].stat_base[counter];
}

/* A MAX line's for one file: the largest copy. */
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

/* A HDR line's: the region header's own counters. */
static uint64_t header_stat(struct lfm__region_hdr *rh, int which)
{
	uint64_t n = 0;
	switch (which) {
	case LFM_STAT_ro_evict:
	case LFM_STAT_rw_evict:
		for (int k = 0; k < LFM_STAT_STRIPES; k++)
			n += atomic_load_explicit(which == LFM_STAT_ro_evict
						      ? &rh->evict[k].ro
						      : &rh->evict[k].rw,
						  memory_order_relaxed);
		return n;
	case LFM_STAT_ckpt:
		return atomic_load_explicit(&rh->ckpt_calls,
					    memory_order_relaxed);
	case LFM_STAT_ckpt_incomplete:
		return atomic_load_explicit(&rh->ckpt_incomplete,
					    memory_order_relaxed);
	case LFM_STAT_ckpt_pages:
		return atomic_load_explicit(&rh->ckpt_pages,
					    memory_order_relaxed);
	case LFM_STAT_ckpt_last_usec:
		return atomic_load_explicit(&rh->ckpt_last_ns,
					    memory_order_relaxed) /
		       1000;
	default:
		return 0;
	}
}

/* How a pool's figure gathers its files': a sum, or the largest. */
#define POOL_SUM(dst, v) (dst) += (v)
#define POOL_MAX(dst, v)                                                       \
	do {                                                                   \
		uint64_t v_ = (v);                                             \
		if (v_ > (dst))                                                \
			(dst) = v_;                                            \
	} while (0)
#define POOL_HDR(dst, v)
#define READ_SUM(rh, i, c) sum(rh, i, LFM_ST_##c)
#define READ_MAX(rh, i, c) maxof(rh, i, LFM_ST_##c)
#define READ_HDR(rh, i, c) 0
#define IF_HDR_SUM(...)
#define IF_HDR_MAX(...)
#define IF_HDR_HDR(...) __VA_ARGS__

void lfm__stat_pool(struct lfm__region_hdr *rh, struct lfm__pstat *g)
{
	struct lfm__file *files = lfm__files(rh);
	memset(g, 0, sizeof(*g));
	g->st_cachesize = rh->cache_bytes;
	g->st_hash_buckets = rh->nbuckets;
	for (uint32_t i = 0; i < rh->nfiles_max; i++) {
		struct lfm__file *f = &files[i];
		if (atomic_load_explicit(&f->state, memory_order_acquire) !=
		    LFM_FILE_ACTIVE)
			continue;
#define ADD(f, c, k, s, n, t)                                                  \
	LFM__IF_POOL_##s(POOL_##k(g->st_##f, READ_##k(rh, i, c));)
		LFM_STATS(ADD)
#undef ADD
		/* A one-step walk's hit is also a hit, a search and one frame
		 * examined, on a chain at least one long. */
		uint64_t walkhit = sum(rh, i, LFM_ST_WALKHIT);
		g->st_cache_hit += walkhit;
		g->st_hash_searches += walkhit;
		g->st_hash_examined += walkhit;
		if (walkhit != 0 && g->st_hash_longest == 0)
			g->st_hash_longest = 1;
	}
	g->st_cache_hit += live_hits(rh, NULL, ALL_ACTIVE);
	/* The header's own (HDR lines), once for the pool. */
#define HDR(f, c, k, s, n, t)                                                  \
	LFM__IF_POOL_##s(IF_HDR_##k(g->st_##f = header_stat(rh, LFM_STAT_##f);))
	LFM_STATS(HDR)
#undef HDR
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
		    const uint64_t *live, struct lfm__fstat *e)
{
	memset(e, 0, sizeof(*e));
	e->st_pagesize = lfm__files(rh)[slot].pagesize;
#define SET(f, c, k, s, n, t)                                                  \
	LFM__IF_FILE_##s(e->st_##f = READ_##k(rh, slot, c);)
	LFM_STATS(SET)
#undef SET
	e->st_cache_hit += sum(rh, slot, LFM_ST_WALKHIT);
	e->st_cache_hit += live_of(rh, live, slot);
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
