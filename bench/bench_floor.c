/*
 * bench_floor.c - the pread floor: the least a pool that reads its misses
 * with pread(2) must do per miss, one pread of the page into a frame
 * (--floor-copy: a memcpy from a mapping); no lookup, pin, eviction or
 * write-back (docs/benchmarks.md, "The floors").
 *
 * open() cuts as many frames as the pool has into bench_floor_threads
 * slices. The first thread to get (the warm-up) takes slice 0, the workers
 * 1, 2, ... and the last of them slice 0 again; one more is refused
 * (EBUSY): two threads sharing a frame could hand out a page overwritten
 * under the caller. Each get reads into its thread's next frame.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"

#define FLOOR_PAGE_SHIFT 12

_Static_assert(BENCH_PAGE_SIZE == 1u << FLOOR_PAGE_SHIFT,
	       "get finds the frame by shift");

int bench_floor_threads = 1;
int bench_floor_copy;

/* One thread's frames [first, end); written only by that thread (and
 * read by stats after the threads are joined). */
struct floor_slice {
	uint32_t first, end, next; /* next: the frame the next get reads into */
	_Atomic uint64_t reads;	   /* gets done in this slice */
} __attribute__((aligned(64)));

struct bench_pool {
	uint64_t gen; /* unique to this open, for the threads' slice cache */
	unsigned char *frames; /* frame f at frames + (f << 12) */
	struct floor_slice *slices;
	uint32_t nframes, nslices;
	int fd;
	/* --floor-copy: the file, mapped (map_bytes), copied from. */
	const unsigned char *map;
	size_t map_bytes;
	size_t frames_bytes;
	_Atomic uint32_t claims; /* threads that have taken a slice */
};

/* Never 0, so a thread that has not got from any pool has no slice. */
static _Atomic uint64_t floor_gens;

/* The calling thread's slice of the pool with generation `gen`: a pool
 * freed and another opened at the same address is not mistaken for it. */
static __thread struct {
	uint64_t gen;
	struct floor_slice *sl;
} floor_tls;

static int floor_close(bench_pool *bp)
{
	int ret = 0;

	if (bp == NULL)
		return 0;
	if (bp->map != NULL)
		munmap((void *)bp->map, bp->map_bytes);
	if (bp->fd >= 0 && close(bp->fd) != 0)
		ret = errno;
	free(bp->frames);
	free(bp->slices);
	free(bp);
	return ret;
}

/* The data file opened (--floor-copy: mapped too): 0 or an errno. */
static int floor_file(bench_pool *bp, const char *path)
{
	struct stat sb;
	void *p;

	if ((bp->fd = open(path, O_RDONLY)) < 0 || fstat(bp->fd, &sb) != 0)
		return errno;
	if (sb.st_size <= 0 || sb.st_size % BENCH_PAGE_SIZE != 0)
		return EINVAL;
	if (!bench_floor_copy)
		return 0;
	/* As lfmpool maps a file for its misses (src/os/mapread.c), without
	 * the guard: the benchmark's file is never truncated. */
	p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, bp->fd, 0);
	if (p == MAP_FAILED)
		return errno;
	(void)madvise(p, (size_t)sb.st_size, MADV_RANDOM);
	bp->map = p;
	bp->map_bytes = (size_t)sb.st_size;
	return 0;
}

/* The frames, touched here so that the timed period takes no page faults
 * (a pool's frames are all touched by the warm-up), and their slices. */
static int floor_frames(bench_pool *bp)
{
	bp->frames_bytes = (size_t)bp->nframes * BENCH_PAGE_SIZE;
	if ((bp->frames = bench_huge_alloc(bp->frames_bytes)) == NULL)
		return ENOMEM;
	memset(bp->frames, 0, bp->frames_bytes);
	if ((bp->slices = aligned_alloc(64, (size_t)bp->nslices *
						sizeof(*bp->slices))) == NULL)
		return ENOMEM;
	for (uint32_t s = 0; s < bp->nslices; s++) {
		struct floor_slice *sl = &bp->slices[s];

		sl->first = (uint32_t)((uint64_t)bp->nframes * s / bp->nslices);
		sl->end =
		    (uint32_t)((uint64_t)bp->nframes * (s + 1) / bp->nslices);
		sl->next = sl->first;
		atomic_init(&sl->reads, 0);
	}
	return 0;
}

static int floor_open(const char *home, const char *path, size_t cache_bytes,
		      enum bench_how how, bench_pool **out)
{
	bench_pool *bp;
	uint32_t n;
	int ret;

	(void)home; /* nothing on disk but the file */
	*out = NULL;
	if (how != BENCH_PRIVATE || cache_bytes < BENCH_PAGE_SIZE ||
	    cache_bytes / BENCH_PAGE_SIZE > (1u << 30))
		return EINVAL;
	if ((bp = calloc(1, sizeof(*bp))) == NULL)
		return ENOMEM;
	bp->fd = -1;
	bp->gen = atomic_fetch_add(&floor_gens, 1) + 1;
	bp->nframes = (uint32_t)(cache_bytes / BENCH_PAGE_SIZE);
	n = bench_floor_threads < 1 ? 1 : (uint32_t)bench_floor_threads;
	bp->nslices = n < bp->nframes ? n : bp->nframes;
	if ((ret = floor_file(bp, path)) == 0 &&
	    (ret = floor_frames(bp)) == 0) {
		*out = bp;
		return 0;
	}
	(void)floor_close(bp);
	return ret;
}

/* A thread's first get in this pool takes the next slice (see the top). */
static __attribute__((noinline)) int floor_claim(bench_pool *bp,
						 struct floor_slice **out)
{
	uint32_t c = atomic_fetch_add(&bp->claims, 1);

	if (c > bp->nslices)
		return EBUSY;
	floor_tls.gen = bp->gen;
	floor_tls.sl = *out = &bp->slices[c % bp->nslices];
	return 0;
}

static int floor_get(bench_pool *bp, uint32_t pgno, int dirty, void **page)
{
	struct floor_slice *sl = floor_tls.sl;
	unsigned char *pg;
	uint32_t f;
	int ret;

	(void)dirty; /* no write-back: a dirty page is dropped at put */
	if (floor_tls.gen != bp->gen && (ret = floor_claim(bp, &sl)) != 0)
		return ret;
	f = sl->next;
	sl->next = f + 1 == sl->end ? sl->first : f + 1;
	pg = bp->frames + ((size_t)f << FLOOR_PAGE_SHIFT);
	if (bp->map != NULL) {
		if ((size_t)pgno * BENCH_PAGE_SIZE >= bp->map_bytes)
			return EINVAL;
		memcpy(pg, bp->map + (size_t)pgno * BENCH_PAGE_SIZE,
		       BENCH_PAGE_SIZE);
	} else if ((ret = bench_pread_full(bp->fd, pg, BENCH_PAGE_SIZE,
					   (off_t)pgno * BENCH_PAGE_SIZE)) !=
		   0) {
		return ret;
	}
	/* Only this thread writes it: no read-modify-write needed. */
	atomic_store_explicit(
	    &sl->reads,
	    atomic_load_explicit(&sl->reads, memory_order_relaxed) + 1,
	    memory_order_relaxed);
	*page = pg;
	return 0;
}

static int floor_put(bench_pool *bp, void *page, int dirty)
{
	/* Nothing to unpin, nothing to write back. */
	(void)bp;
	(void)page;
	(void)dirty;
	return 0;
}

/* Every get is a read, so a miss; it holds no page. */
static int floor_stats(bench_pool *bp, struct bench_stats *st)
{
	memset(st, 0, sizeof(*st));
	for (uint32_t s = 0; s < bp->nslices; s++)
		st->misses += atomic_load_explicit(&bp->slices[s].reads,
						   memory_order_relaxed);
	st->cache_bytes = (uint64_t)bp->nframes * BENCH_PAGE_SIZE;
	return 0;
}

const struct bench_sys bench_floor_sys = {
    .name = "pread floor",
    .csv = "floor",
    .open = floor_open,
    .get = floor_get,
    .put = floor_put,
    .stats = floor_stats,
    .close = floor_close,
    .strerror = bench_errno_str,
};
