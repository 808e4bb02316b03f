/* region.c - creating a private region and carving frames out of it. */
#include "region.h"

#include "frame.h"
#include "tcache.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#ifndef LFM_ASAN
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
	int flags = MALLOCX_ALIGN(4096) | MALLOCX_ZERO | MALLOCX_TCACHE_NONE;
	if (arena_ok)
		flags |= MALLOCX_ARENA(arena_index);
	return mallocx(size, flags);
}

static void region_free(void *p)
{
	dallocx(p, MALLOCX_TCACHE_NONE);
}
#else
static void *region_alloc(size_t size)
{
	void *p = NULL;
	if (posix_memalign(&p, 4096, size) != 0)
		return NULL;
	memset(p, 0, size);
	return p;
}

static void region_free(void *p)
{
	free(p);
}
#endif

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static uint32_t pow2_at_least(uint64_t v)
{
	uint32_t p = 1;
	while (p < v && p < (1u << 30))
		p <<= 1;
	return p;
}

struct lfm__region_hdr *
lfm__region_create_private(const struct lfm__region_geom *g)
{
	uint64_t nframes = g->cache_bytes / LFM_MIN_STRIDE;
	if (nframes < 8)
		nframes = 8;
	if (nframes > (1u << 30)) {
		errno = EINVAL;
		return NULL;
	}
	/* Descriptors are budgeted for the smallest page (64 bytes) so that any
	 * page size gets floor(cache / pagesize) frames; untouched descriptors
	 * cost address space only. Buckets are sized for 1 KiB pages: two a
	 * frame at 4 KiB, chains of about two at 512 bytes. */
	uint32_t nbuckets = pow2_at_least(g->cache_bytes / 1024);
	uint32_t tc_sets, tc_ways;
	lfm__tcache_geometry(g->cache_bytes / 4096 ? g->cache_bytes / 4096 : 1,
			     &tc_sets, &tc_ways);

	uint64_t off = align_up(sizeof(struct lfm__region_hdr), LFM_CACHELINE);
	uint64_t off_files = off;
	off += align_up((uint64_t)g->nfiles_max * sizeof(struct lfm__file),
			LFM_CACHELINE);
	uint64_t off_handles = off;
	uint64_t handle_size = lfm__tcache_handle_size(tc_sets, tc_ways);
	off += (uint64_t)g->nhandles * handle_size;
	uint64_t off_buckets = align_up(off, LFM_CACHELINE);
	off = off_buckets + (uint64_t)nbuckets * sizeof(struct lfm__bucket);
	uint64_t off_frames = align_up(off, LFM_CACHELINE);
	off = off_frames + nframes * sizeof(struct lfm__frame);
	uint64_t off_data = align_up(off, 4096);
	uint64_t data_size =
	    g->cache_bytes + nframes * sizeof(struct lfm__framehdr);
	uint64_t size = align_up(off_data + data_size, 4096);

	struct lfm__region_hdr *rh = region_alloc(size);
	if (rh == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	rh->magic = LFM_REGION_MAGIC;
	rh->version = LFM_REGION_VERSION;
	rh->size = size;
	rh->cache_bytes = g->cache_bytes;
	rh->nframes_max = (uint32_t)nframes;
	rh->nbuckets = nbuckets;
	rh->nfiles_max = g->nfiles_max;
	rh->nhandles = g->nhandles;
	rh->tc_sets = tc_sets;
	rh->tc_ways = tc_ways;
	rh->off_files = off_files;
	rh->off_handles = off_handles;
	rh->off_buckets = off_buckets;
	rh->off_frames = off_frames;
	rh->off_data = off_data;
	rh->handle_size = handle_size;
	rh->data_size = data_size;
	lfm__tcache_init_handles(rh);
	/* Everything else starts as zero: free files, free handles, empty
	 * buckets, unlocked locks. */
	return rh;
}

void lfm__region_destroy_private(struct lfm__region_hdr *rh)
{
	region_free(rh);
}

int64_t lfm__region_carve(struct lfm__region_hdr *rh, uint32_t pagesize)
{
	uint64_t stride = align_up(pagesize, LFM_CACHELINE);
	int64_t idx = -1;

	/* Cheap check first: once the budget is spent it stays spent. */
	if (atomic_load_explicit(&rh->nframes, memory_order_relaxed) >=
	    rh->nframes_max)
		return -1;
	lfm__mutex_lock(&rh->carve_lock);
	uint32_t n = atomic_load_explicit(&rh->nframes, memory_order_relaxed);
	uint64_t pages =
	    atomic_load_explicit(&rh->page_bytes_used, memory_order_relaxed);
	uint64_t used =
	    atomic_load_explicit(&rh->data_used, memory_order_relaxed);
	uint64_t need = sizeof(struct lfm__framehdr) + stride;
	if (n < rh->nframes_max && pages + stride <= rh->cache_bytes &&
	    used + need <= rh->data_size) {
		struct lfm__frame *f = &lfm__frames(rh)[n];
		struct lfm__framehdr *h = lfm__at(rh, rh->off_data + used);
		f->data_off = rh->off_data + used + sizeof(*h);
		f->bufsize = (uint32_t)stride;
		f->idx = n;
		atomic_store_explicit(&f->tag, 0, memory_order_relaxed);
		atomic_store_explicit(&f->next, LFM_NIL, memory_order_relaxed);
		atomic_store_explicit(&f->state, LFM_F_EXCL,
				      memory_order_relaxed);
		h->magic = LFM_FRAME_MAGIC;
		h->idx = n;
		h->data_off = f->data_off;
		atomic_store_explicit(&rh->page_bytes_used, pages + stride,
				      memory_order_relaxed);
		atomic_store_explicit(&rh->data_used, used + need,
				      memory_order_relaxed);
		/* Publishes the initialised descriptor and header to sweepers
		 * and to lfm__region_frame_of. */
		atomic_store_explicit(&rh->nframes, n + 1,
				      memory_order_release);
		idx = n;
	}
	lfm__mutex_unlock(&rh->carve_lock);
	return idx;
}

struct lfm__frame *lfm__region_frame_of(struct lfm__region_hdr *rh,
					const void *page)
{
	uintptr_t base = (uintptr_t)rh;
	uintptr_t p = (uintptr_t)page;
	uint64_t hdrsz = sizeof(struct lfm__framehdr);

	if (p < base + rh->off_data + hdrsz || p >= base + rh->size ||
	    (p - base) % LFM_CACHELINE != 0)
		return NULL;
	uint64_t off = p - base;
	uint32_t n = atomic_load_explicit(&rh->nframes, memory_order_acquire);
	if (off + hdrsz >
	    rh->off_data +
		atomic_load_explicit(&rh->data_used, memory_order_relaxed) +
		hdrsz)
		return NULL;
	/* The header bytes may be page bytes of a neighbour if the pointer is
	 * inside a page: the descriptor check below rejects that. */
	const struct lfm__framehdr *h = (const void *)(p - hdrsz);
	if (h->magic != LFM_FRAME_MAGIC || h->idx >= n)
		return NULL;
	struct lfm__frame *f = &lfm__frames(rh)[h->idx];
	if (f->data_off != off)
		return NULL;
	return f;
}
