/* region.c - creating a private region and carving frames out of it. */
#include "region.h"

#include "crashpoint.h"

#include "frame.h"
#include "lockrank.h"
#include "membarrier.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define LFM_HUGEPAGE (2u << 20)

/* Chunks beyond what two page sizes can fill (twice the budget, plus
 * tails): Berkeley DB's page sizes are the eight powers of two from 512
 * bytes to 64 KiB, and below 1 MiB of budget one chunk holds a size's
 * whole share, so a pool can hold pages of every size at once. Untouched
 * chunks cost address space (and a sparse region file) only. */
#define LFM_SPARE_CHUNKS 8

#ifndef LFM_ASAN
/* A hit touches a bucket, a descriptor and a page, each at random: with
 * 4 KiB pages every one is a TLB miss once the pool outgrows the TLB.
 * Transparent huge pages (where the system allows them on request) cut
 * that; failure is harmless. */
static void hugepages(void *p, size_t size)
{
	if (size >= LFM_HUGEPAGE)
		(void)madvise(p, size, MADV_HUGEPAGE);
}

#include <jemalloc/jemalloc.h>

/* One jemalloc arena for every private pool of the process: pool memory
 * does not mix with the application's heap, and frees never go through a
 * thread cache. */
static pthread_once_t arena_once = PTHREAD_ONCE_INIT;
static unsigned arena_index;
static int arena_ok;

static void arena_init(void)
{
	size_t sz = sizeof(arena_index);
	arena_ok = mallctl("arenas.create", &arena_index, &sz, NULL, 0) == 0;
}

static void *region_alloc(size_t size)
{
	pthread_once(&arena_once, arena_init);
	int flags =
	    MALLOCX_ALIGN(LFM_HUGEPAGE) | MALLOCX_ZERO | MALLOCX_TCACHE_NONE;
	if (arena_ok)
		flags |= MALLOCX_ARENA(arena_index);
	void *p = mallocx(size, flags);
	if (p != NULL)
		hugepages(p, size);
	return p;
}

static void region_free(void *p)
{
	dallocx(p, MALLOCX_TCACHE_NONE);
}
#else
#include <sanitizer/asan_interface.h>
#include <stdint.h>

/* Under ASan: calloc, whose large blocks come zeroed from mmap, so pages
 * are touched only as frames are carved (as with jemalloc); the alignment
 * slack on both sides is poisoned, so ASan still sees the region's exact
 * bounds. The block's start is kept just before the region. */
static void *region_alloc(size_t size)
{
	char *raw = calloc(1, size + LFM_HUGEPAGE + sizeof(raw));
	if (raw == NULL)
		return NULL;
	uintptr_t a = ((uintptr_t)raw + sizeof(raw) + LFM_HUGEPAGE - 1) &
		      ~(uintptr_t)(LFM_HUGEPAGE - 1);
	char *p = (char *)a;
	memcpy(p - sizeof(raw), &raw, sizeof(raw));
	ASAN_POISON_MEMORY_REGION(raw, (size_t)(p - raw));
	ASAN_POISON_MEMORY_REGION(p + size, (size_t)(raw + size + LFM_HUGEPAGE +
						     sizeof(raw) - (p + size)));
	return p; /* no huge pages: each is zeroed whole when first touched */
}

static void region_free(void *p)
{
	char *raw;
	ASAN_UNPOISON_MEMORY_REGION((char *)p - sizeof(raw), sizeof(raw));
	memcpy(&raw, (char *)p - sizeof(raw), sizeof(raw));
	free(raw);
}
#endif

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

uint32_t lfm__tcache_geometry(uint64_t nframes, uint32_t entries_wanted,
			      uint64_t cap_entries)
{
	/* An entry for each 4 KiB frame: frame i's is entry i mod the size
	 * (tcache.h), so in a pool of one page size up to 4 KiB no two
	 * frames share one and a thread whose working set is the whole pool
	 * keeps every page, with no probe. 16 bytes a frame a thread, and
	 * only a claimed handle's pages are ever touched. By default at most
	 * LFM_TC_DEFAULT_ENTRIES (1 MiB a thread): a larger pool's frames
	 * share entries, and a thread keeps the pages it uses most. A cap
	 * may go up to LFM_TC_MAX_ENTRIES, for a server whose few threads
	 * hit all over a large pool (docs/hit-path.md, "(f)"). */
	uint64_t want = entries_wanted ? entries_wanted : nframes, entries = 1;
	if (cap_entries == 0)
		cap_entries = LFM_TC_DEFAULT_ENTRIES;
	else if (cap_entries > LFM_TC_MAX_ENTRIES)
		cap_entries = LFM_TC_MAX_ENTRIES;
	while (entries < want && entries * 2 <= cap_entries)
		entries *= 2;
	return (uint32_t)entries;
}

uint64_t lfm__tcache_handle_size(uint32_t entries, uint32_t nfiles,
				 uint64_t *stats_off)
{
	uint64_t sz = sizeof(struct lfm__handle) +
		      (uint64_t)entries * sizeof(struct lfm__tc_entry);
	*stats_off = sz;
	sz += (uint64_t)nfiles * LFM_ST_NCOUNTERS * sizeof(uint64_t);
	return (sz + LFM_CACHELINE - 1) & ~(uint64_t)(LFM_CACHELINE - 1);
}

static uint32_t pow2_at_least(uint64_t v)
{
	uint32_t p = 1;
	while (p < v && p < (1u << 30))
		p <<= 1;
	return p;
}

int lfm__region_layout(const struct lfm__region_geom *g,
		       struct lfm__region_hdr *l)
{
	/* Descriptors are budgeted for the smallest page (64 bytes) so that
	 * any page size gets floor(cache / pagesize) frames, plus slack for
	 * placeholders a chunk reserves and never fills; untouched
	 * descriptors cost address space only. Buckets: two a 4 KiB frame
	 * (one a frame at 2 KiB, chains of about two at 1 KiB): eight a
	 * frame made the array twice L2 at 16 Ki frames, and a uniform hit
	 * then waited on an L2 miss for its bucket before it could fetch the
	 * page (docs/hit-path.md, "Buckets"). The data area has room for
	 * every chunk's unusable tail. */
	uint64_t nframes =
	    (g->cache_bytes + g->extra_bytes) / LFM_CACHELINE + 64;
	if (nframes > (1u << 30) || g->cache_bytes > (1ull << 42))
		return EINVAL;
	uint32_t nbuckets = pow2_at_least(g->cache_bytes / 2048);
	if (nbuckets < 2)
		nbuckets = 2; /* a shift of 64 would be undefined */
	uint64_t nchunks = 2 * (g->cache_bytes / LFM_CHUNK) + 4 +
			   LFM_SPARE_CHUNKS +
			   (g->extra_bytes + LFM_CHUNK - 1) / LFM_CHUNK;
	uint32_t tc_entries = lfm__tcache_geometry(
	    g->cache_bytes / 4096 ? g->cache_bytes / 4096 : 1, g->tc_entries,
	    g->tc_cap_entries);

	uint64_t off = align_up(sizeof(struct lfm__region_hdr), LFM_CACHELINE);
	uint64_t off_files = off;
	off += align_up((uint64_t)g->nfiles_max * sizeof(struct lfm__file),
			LFM_CACHELINE);
	uint64_t off_handles = off;
	uint64_t stats_off;
	uint64_t handle_size =
	    lfm__tcache_handle_size(tc_entries, g->nfiles_max, &stats_off);
	off += (uint64_t)g->nhandles * handle_size;
	uint64_t off_buckets = align_up(off, LFM_CACHELINE);
	off = off_buckets + (uint64_t)nbuckets * sizeof(struct lfm__bucket);
	uint64_t off_chunks = align_up(off, LFM_CACHELINE);
	off = off_chunks + nchunks * sizeof(struct lfm__chunk);
	uint64_t off_frames = align_up(off, LFM_CACHELINE);
	off = off_frames + nframes * sizeof(struct lfm__frame);
	uint64_t off_pins = 0;
	if (g->shared) {
		off_pins = align_up(off, LFM_CACHELINE);
		off = off_pins +
		      (uint64_t)LFM_NPROCS * nframes * sizeof(_Atomic uint16_t);
	}
	uint64_t off_part[LFM_REGION_NPARTS];
	for (unsigned i = 0; i < LFM_REGION_NPARTS; i++) {
		if (g->part_size[i] > (1u << 20))
			return EINVAL;
		off_part[i] = align_up(off, LFM_CACHELINE);
		off = off_part[i] + g->part_size[i];
	}
	uint64_t off_data = align_up(off, 4096);

	memset(l, 0, sizeof(*l));
	l->version = LFM_REGION_VERSION;
	l->abi = LFM_REGION_ABI;
	l->size = off_data + nchunks * LFM_CHUNK;
	l->cache_bytes = g->cache_bytes;
	l->extra_bytes = g->extra_bytes;
	l->nframes_max = (uint32_t)nframes;
	l->nbuckets = nbuckets;
	l->bucket_shift = 64 - (uint32_t)__builtin_ctz(nbuckets);
	l->nfiles_max = g->nfiles_max;
	l->nhandles = g->nhandles;
	l->nchunks_max = (uint32_t)nchunks;
	l->elastic = g->elastic;
	atomic_init(&l->max_resident, g->max_resident);
	l->tc_entries = tc_entries;
	l->off_files = off_files;
	l->off_handles = off_handles;
	l->off_buckets = off_buckets;
	l->off_chunks = off_chunks;
	l->off_frames = off_frames;
	l->off_data = off_data;
	l->off_pins = off_pins;
	for (unsigned i = 0; i < LFM_REGION_NPARTS; i++) {
		l->off_part[i] = off_part[i];
		l->part_size[i] = g->part_size[i];
	}
	l->shared = g->shared;
	l->handle_size = handle_size;
	l->handle_stats_off = stats_off;
	return 0;
}

void lfm__region_init(struct lfm__region_hdr *rh,
		      const struct lfm__region_hdr *l,
		      const struct lfm__region_geom *g)
{
	/* The memory is zeroed: free files, free handles, empty buckets,
	 * unlocked locks, no chunks. Only the geometry is copied in; nothing
	 * writes a handle before a thread claims it, so the pages of unused
	 * handles are never touched and cost no memory. */
	memcpy(rh, l, sizeof(*rh));
	if (g->init_parts != NULL)
		g->init_parts(rh, g->init_arg);
	/* Last, with release: whoever sees the magic sees the rest. */
	atomic_store_explicit(&rh->magic, LFM_REGION_MAGIC,
			      memory_order_release);
}

struct lfm__region_hdr *
lfm__region_create_private(const struct lfm__region_geom *g)
{
	struct lfm__region_hdr l;
	int rc = lfm__region_layout(g, &l);
	if (rc != 0) {
		errno = rc;
		return NULL;
	}
	struct lfm__region_hdr *rh = region_alloc(l.size);
	if (rh == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	/* Owners here may change their own entries with plain stores while
	 * no thief is about (tcguard.h), if the kernel lets thieves fence
	 * them; a shared region's other processes could not be fenced. */
	l.tc_plain_ok = !l.shared && lfm__membarrier_init() == 0;
	lfm__region_init(rh, &l, g);
	return rh;
}

void lfm__region_destroy_private(struct lfm__region_hdr *rh)
{
	region_free(rh);
}

/* Under carve_lock: an open chunk of this stride with frames not carved
 * yet, or NULL. */
static struct lfm__chunk *chunk_with_room(struct lfm__region_hdr *rh,
					  uint32_t stride)
{
	struct lfm__chunk *chunks = lfm__chunks(rh);
	uint32_t n = atomic_load_explicit(&rh->nchunks, memory_order_relaxed);
	LFM_ASSERT(lfm__rank_held(&rh->carve_lock));
	for (uint32_t i = n; i-- > 0;) {
		struct lfm__chunk *c = &chunks[i];
		if (c->stride == stride &&
		    atomic_load_explicit(&c->count, memory_order_relaxed) <
			c->cap)
			return c;
	}
	return NULL;
}

/* Under carve_lock: a chunk of this stride with room, or a new one. */
static struct lfm__chunk *chunk_for(struct lfm__region_hdr *rh, uint32_t stride,
				    int over_budget)
{
	struct lfm__chunk *chunks = lfm__chunks(rh);
	LFM_ASSERT(lfm__rank_held(&rh->carve_lock));
	struct lfm__chunk *room = chunk_with_room(rh, stride);
	if (room != NULL)
		return room;
	uint32_t n = atomic_load_explicit(&rh->nchunks, memory_order_relaxed);
	if (n == rh->nchunks_max)
		return NULL;
	/* Room for the whole budget in this stride, not just what is left
	 * of it: frames of other strides may be retired to make room later
	 * (lfm__region_retire), and a chunk opened per retirement would use
	 * the chunks up. Reserved descriptors cost nothing until carved. */
	uint32_t cap = LFM_CHUNK / stride;
	if (!over_budget && cap > rh->cache_bytes / stride)
		cap = (uint32_t)(rh->cache_bytes / stride);
	if ((uint64_t)cap +
		atomic_load_explicit(&rh->nframes, memory_order_relaxed) >
	    rh->nframes_max)
		cap = rh->nframes_max -
		      atomic_load_explicit(&rh->nframes, memory_order_relaxed);
	uint32_t first =
	    atomic_load_explicit(&rh->nframes, memory_order_relaxed);
	if (cap == 0 || (uint64_t)first + cap > rh->nframes_max)
		return NULL;
	struct lfm__frame *frames = lfm__frames(rh);
	for (uint32_t k = 0; k < cap; k++) {
		struct lfm__frame *f = &frames[first + k];
		f->place =
		    ((uint64_t)(stride / LFM_CACHELINE) << LFM_PLACE_SHIFT) |
		    (rh->off_data + (uint64_t)n * LFM_CHUNK +
		     (uint64_t)k * stride);
		/* A placeholder: EXCL keeps sweeps and flushes away until the
		 * frame is carved and handed out. */
		atomic_store_explicit(&f->state, LFM_F_EXCL,
				      memory_order_relaxed);
	}
	/* Keep the prefetch hint only while page i sits at i * stride. */
	uint32_t hint =
	    LFM_CHUNK % stride == 0 && first == n * (LFM_CHUNK / stride) &&
		    (n == 0 ||
		     stride == atomic_load_explicit(&rh->uniform_stride,
						    memory_order_relaxed))
		? stride
		: 0;
	atomic_store_explicit(&rh->uniform_stride, hint, memory_order_relaxed);
	atomic_store_explicit(&rh->uniform_shift,
			      hint != 0 && (hint & (hint - 1)) == 0
				  ? (uint32_t)__builtin_ctz(hint)
				  : 0,
			      memory_order_relaxed);
	struct lfm__chunk *c = &chunks[n];
	c->stride = stride;
	c->first = first;
	c->cap = cap;
	c->retired = 0;
	atomic_store_explicit(&c->count, 0, memory_order_relaxed);
	/* Publish the descriptors, then the chunk. */
	atomic_store_explicit(&rh->nframes, first + cap, memory_order_release);
	atomic_store_explicit(&rh->nchunks, n + 1, memory_order_release);
	return c;
}

/* Under carve_lock: a retired frame of this stride, made the caller's
 * (still EXCL, tag 0), or -1. */
static int64_t revive(struct lfm__region_hdr *rh, uint32_t stride)
{
	struct lfm__chunk *chunks = lfm__chunks(rh);
	struct lfm__frame *frames = lfm__frames(rh);
	uint32_t n = atomic_load_explicit(&rh->nchunks, memory_order_relaxed);
	LFM_ASSERT(lfm__rank_held(&rh->carve_lock));
	for (uint32_t i = 0; i < n; i++) {
		struct lfm__chunk *c = &chunks[i];
		if (c->stride != stride || c->retired == 0)
			continue;
		uint32_t count =
		    atomic_load_explicit(&c->count, memory_order_relaxed);
		for (uint32_t k = 0; k < count; k++) {
			struct lfm__frame *f = &frames[c->first + k];
			if (atomic_load_explicit(&f->tag,
						 memory_order_relaxed) !=
			    LFM_TAG_RETIRED)
				continue;
			/* A placeholder: nobody else writes it. */
			LFM_ASSERT(atomic_load_explicit(&f->state,
							memory_order_relaxed) &
				   LFM_F_EXCL);
			atomic_store_explicit(&f->tag, 0, memory_order_relaxed);
			c->retired--;
			return (int64_t)c->first + k;
		}
	}
	return -1;
}

static struct lfm__chunk *chunk_of(struct lfm__region_hdr *rh, uint32_t idx)
{
	struct lfm__chunk *chunks = lfm__chunks(rh);
	uint32_t n = atomic_load_explicit(&rh->nchunks, memory_order_relaxed);
	for (uint32_t i = 0; i < n; i++)
		if (idx >= chunks[i].first &&
		    idx - chunks[i].first < chunks[i].cap)
			return &chunks[i];
	return NULL;
}

/* Under carve_lock: whether a frame of this stride can be had once the
 * budget allows (a chunk of the stride with room or retired frames, or a
 * chunk still to open). */
static int carvable(struct lfm__region_hdr *rh, uint32_t stride)
{
	struct lfm__chunk *chunks = lfm__chunks(rh);
	uint32_t n = atomic_load_explicit(&rh->nchunks, memory_order_relaxed);
	LFM_ASSERT(lfm__rank_held(&rh->carve_lock));
	if (stride > rh->cache_bytes)
		return 0;
	int ok = chunk_with_room(rh, stride) != NULL ||
		 (n < rh->nchunks_max &&
		  atomic_load_explicit(&rh->nframes, memory_order_relaxed) <
		      rh->nframes_max);
	for (uint32_t i = 0; i < n && !ok; i++)
		ok = chunks[i].stride == stride && chunks[i].retired > 0;
	return ok;
}

int lfm__region_could_carve(struct lfm__region_hdr *rh, uint32_t pagesize,
			    uint32_t owner)
{
	uint32_t stride = (uint32_t)align_up(pagesize, LFM_CACHELINE);
	if (stride > rh->cache_bytes)
		return 0;
	lfm__mutex_lock_ranked(&rh->carve_lock, owner, LFM_RANK_CARVE);
	int ok = carvable(rh, stride);
	lfm__mutex_unlock_ranked(&rh->carve_lock);
	return ok;
}

/* Under carve_lock: retires f (see lfm__region_retire). Returns the state
 * word it replaced, for the caller to wake its sleepers after the unlock. */
static uint32_t retire_locked(struct lfm__region_hdr *rh, struct lfm__frame *f)
{
	uint32_t idx = (uint32_t)(f - lfm__frames(rh));
	LFM_ASSERT(lfm__rank_held(&rh->carve_lock));
	/* Held in EXCL by the caller, evicted: not VALID, unpinned, no tag. */
	LFM_ASSERT((atomic_load_explicit(&f->state, memory_order_relaxed) &
		    (LFM_F_EXCL | LFM_F_VALID | LFM_F_REFS_MASK)) ==
		   LFM_F_EXCL);
	LFM_ASSERT(atomic_load_explicit(&f->tag, memory_order_relaxed) == 0);
	struct lfm__chunk *c = chunk_of(rh, idx);
	atomic_store_explicit(&f->tag, LFM_TAG_RETIRED, memory_order_relaxed);
	c->retired++;
	atomic_store_explicit(
	    &rh->page_bytes_used,
	    atomic_load_explicit(&rh->page_bytes_used, memory_order_relaxed) -
		c->stride,
	    memory_order_relaxed);
	/* A placeholder: EXCL without an owner (recovery leaves it alone).
	 * Release: the eviction's stores come before anyone reuses it. */
	return atomic_exchange_explicit(&f->state, LFM_F_EXCL,
					memory_order_release);
}

void lfm__region_retire(struct lfm__region_hdr *rh, struct lfm__frame *f,
			uint32_t owner)
{
	lfm__mutex_lock_ranked(&rh->carve_lock, owner, LFM_RANK_CARVE);
	uint32_t s = retire_locked(rh, f);
	lfm__mutex_unlock_ranked(&rh->carve_lock);
	if (s & LFM_F_WAITERS)
		lfm__futex_wake_all(&f->state);
}

int64_t lfm__region_carve(struct lfm__region_hdr *rh, uint32_t pagesize,
			  int over_budget)
{
	return lfm__region_carve_as(rh, pagesize, over_budget, 0);
}

/* Under carve_lock: a frame of this stride within `limit` bytes of
 * pages (a retired one revived, else a new one), marked as `owner`'s, or
 * -1. */
static int64_t carve_locked(struct lfm__region_hdr *rh, uint32_t stride,
			    uint64_t limit, int over_budget, uint32_t owner)
{
	LFM_ASSERT(lfm__rank_held(&rh->carve_lock));
	uint64_t used =
	    atomic_load_explicit(&rh->page_bytes_used, memory_order_relaxed);
	if (used + stride > limit)
		return -1;
	struct lfm__chunk *c;
	int64_t idx = revive(rh, stride);
	if (idx < 0 && (c = chunk_for(rh, stride, over_budget)) != NULL) {
		uint32_t k =
		    atomic_load_explicit(&c->count, memory_order_relaxed);
		idx = c->first + k;
		/* The frame stays EXCL: it is the caller's. */
		atomic_store_explicit(&c->count, k + 1, memory_order_release);
	}
	if (idx >= 0) {
		atomic_store_explicit(&rh->page_bytes_used, used + stride,
				      memory_order_relaxed);
		LFM_CRASH_POINT(LFM_CRASH_CARVED);
		/* Ours, before carve_lock goes: a carver that dies holding
		 * the lock leaves a frame in EXCL with no owner, which
		 * lfm__region_carve_repair frees. */
		atomic_fetch_or_explicit(&lfm__frames(rh)[idx].state,
					 owner << LFM_F_OWNER_SHIFT,
					 memory_order_relaxed);
	}
	/* Carved frames are placeholders until handed out: the caller's. */
	LFM_ASSERT(idx < 0 || (atomic_load_explicit(&lfm__frames(rh)[idx].state,
						    memory_order_relaxed) &
			       LFM_F_EXCL));
	return idx;
}

int64_t lfm__region_carve_as(struct lfm__region_hdr *rh, uint32_t pagesize,
			     int over_budget, uint32_t owner)
{
	uint32_t stride = (uint32_t)align_up(pagesize, LFM_CACHELINE);

	/* Past the budget by at most extra_bytes (elastic regions). */
	uint64_t limit = rh->cache_bytes + (over_budget ? rh->extra_bytes : 0);
	/* Cheap check first: the common miss finds the budget spent. */
	if (atomic_load_explicit(&rh->page_bytes_used, memory_order_relaxed) +
		stride >
	    limit)
		return -1;
	lfm__mutex_lock_ranked(&rh->carve_lock, owner, LFM_RANK_CARVE);
	int64_t idx = carve_locked(rh, stride, limit, over_budget, owner);
	lfm__mutex_unlock_ranked(&rh->carve_lock);
	return idx;
}

int64_t lfm__region_trade(struct lfm__region_hdr *rh, struct lfm__frame *f,
			  uint32_t pagesize, uint32_t owner)
{
	uint32_t stride = (uint32_t)align_up(pagesize, LFM_CACHELINE);
	LFM_ASSERT(lfm__frame_bufsize(f) != stride);
	lfm__mutex_lock_ranked(&rh->carve_lock, owner, LFM_RANK_CARVE);
	/* Checked first, under the same hold: a frame retired for a stride
	 * that can never be carved would only shrink the pool. */
	if (!carvable(rh, stride)) {
		lfm__mutex_unlock_ranked(&rh->carve_lock);
		return -2;
	}
	uint32_t s = retire_locked(rh, f);
	/* Under the same hold: the bytes just given back are this carve's
	 * first, not another thread's. */
	int64_t idx = carve_locked(rh, stride, rh->cache_bytes, 0, owner);
	lfm__mutex_unlock_ranked(&rh->carve_lock);
	if (s & LFM_F_WAITERS)
		lfm__futex_wake_all(&f->state);
	return idx;
}

void lfm__region_carve_repair(struct lfm__region_hdr *rh, uint32_t owner)
{
	struct lfm__chunk *chunks = lfm__chunks(rh);
	struct lfm__frame *frames = lfm__frames(rh);
	uint64_t used = 0;
	lfm__mutex_lock_ranked(&rh->carve_lock, owner, LFM_RANK_CARVE);
	uint32_t n = atomic_load_explicit(&rh->nchunks, memory_order_relaxed);
	for (uint32_t i = 0; i < n; i++) {
		struct lfm__chunk *c = &chunks[i];
		uint32_t count =
		    atomic_load_explicit(&c->count, memory_order_relaxed);
		uint32_t retired = 0;
		for (uint32_t k = 0; k < count; k++) {
			struct lfm__frame *f = &frames[c->first + k];
			uint32_t st = atomic_load_explicit(
			    &f->state, memory_order_acquire);
			if (atomic_load_explicit(&f->tag,
						 memory_order_relaxed) ==
			    LFM_TAG_RETIRED) {
				retired++;
				continue;
			}
			/* Carved, and left in EXCL with no owner: a carver
			 * died before marking it (every live carver marks
			 * its frame under carve_lock, which we hold). */
			if ((st & ~LFM_F_WAITERS) == LFM_F_EXCL)
				lfm__frame_release_excl(f, 0, 0);
			used += c->stride;
		}
		c->retired = retired;
	}
	atomic_store_explicit(&rh->page_bytes_used, used, memory_order_relaxed);
	lfm__mutex_unlock_ranked(&rh->carve_lock);
}

struct lfm__frame *lfm__region_frame_of(struct lfm__region_hdr *rh,
					const void *page)
{
	uintptr_t base = (uintptr_t)rh, p = (uintptr_t)page;
	if (p < base + rh->off_data || p >= base + rh->size)
		return NULL;
	uint64_t rel = p - base - rh->off_data;
	uint32_t shift =
	    atomic_load_explicit(&rh->uniform_shift, memory_order_relaxed);
	if (shift != 0) {
		/* Page i at i << shift (see uniform_stride): no division. */
		if (rel & ((1u << shift) - 1))
			return NULL;
		uint64_t idx = rel >> shift;
		uint32_t ci = (uint32_t)(rel >> LFM_CHUNK_SHIFT);
		if (ci >=
		    atomic_load_explicit(&rh->nchunks, memory_order_acquire))
			return NULL;
		const struct lfm__chunk *c = &lfm__chunks(rh)[ci];
		if (idx - c->first >=
		    atomic_load_explicit(&c->count, memory_order_acquire))
			return NULL;
		return &lfm__frames(rh)[idx];
	}
	uint32_t ci = (uint32_t)(rel >> LFM_CHUNK_SHIFT);
	if (ci >= atomic_load_explicit(&rh->nchunks, memory_order_acquire))
		return NULL;
	const struct lfm__chunk *c = &lfm__chunks(rh)[ci];
	uint32_t in = (uint32_t)(rel & (LFM_CHUNK - 1));
	if (in % c->stride != 0)
		return NULL;
	uint32_t k = in / c->stride;
	if (k >= atomic_load_explicit(&c->count, memory_order_acquire))
		return NULL;
	return &lfm__frames(rh)[c->first + k];
}
