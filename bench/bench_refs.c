/*
 * bench_refs.c - the two references (docs/benchmarks.md, "The floors").
 *
 * The bare probe, the hit path's yardstick: one hash lookup, an atomic pin
 * and unpin, nothing else, in lfmpool's layout where it decides the cache
 * misses (docs/hit-path.md), so a hit pays the same dependent misses.
 *
 * The pread floor, the miss path's: one pread of the page into a frame
 * (--floor-copy: a memcpy from a mapping); no lookup, pin, eviction or
 * write-back. Its frames are cut into bench_floor_threads slices: the
 * warm-up takes slice 0, the workers 1, 2, ... and the last slice 0 again;
 * one more is refused (EBUSY), as two threads sharing a frame could hand
 * out a page overwritten under one.
 */
#include <fcntl.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "bench.h"

#define PAGE_SHIFT 12
#define HUGEPAGE   (2u << 20)
#define BARE_NIL   UINT32_MAX /* end of a chain, empty bucket */
/* Fixed, so every run sees the same layout: the spread between runs is the
 * machine's, not the shuffle's. */
#define BARE_SHUFFLE_SEED 0x62617265ull

_Static_assert(BENCH_PAGE_SIZE == 1u << PAGE_SHIFT, "frames by shift");

int bench_floor_threads = 1;
int bench_floor_copy;

/* As lfmpool's: two to a cache line, the pin word beside the tag. */
struct bare_desc {
	_Atomic uint32_t pin;
	uint32_t next; /* the next frame in the bucket's chain, or BARE_NIL */
	uint64_t tag;  /* the page number */
	_Atomic uint8_t dirty; /* a dirty put stores to the line, as a pool's */
	uint8_t pad[15];
};
_Static_assert(sizeof(struct bare_desc) == 32, "32-byte descriptors");

/* A floor thread's frames [first, end); written only by that thread (and
 * read by stats after the threads are joined). */
struct floor_slice {
	uint32_t first, end, next; /* next: the frame the next get reads into */
	_Atomic uint64_t reads;	   /* gets done in this slice */
} __attribute__((aligned(64)));

/* The probe's fields are written only by open. */
struct bench_pool {
	unsigned char *frames; /* frame f at frames + (f << 12) */
	uint32_t nframes;
	size_t cache_bytes;
	int fd;
	/* The bare probe. */
	struct bare_desc *desc; /* [nframes], by frame */
	uint32_t *heads; /* [1 << (64 - shift)]: a bucket's first frame */
	unsigned shift;
	/* The floor. */
	uint64_t gen; /* unique to this open, for the threads' slice cache */
	struct floor_slice *slices;
	uint32_t nslices;
	const unsigned char *map; /* --floor-copy: the file, mapped */
	size_t map_bytes;
	_Atomic uint32_t claims; /* threads that have taken a slice */
};

/* lfmpool's tag hash (src/region/hash.h): Fibonacci hashing, the top
 * bits of the product. */
static inline uint64_t bare_hash(uint64_t k, unsigned shift)
{
	return (k * 0x9e3779b97f4a7c15ull) >> shift;
}

/* `bytes` on transparent huge pages where granted, as lfmpool's region,
 * each set to `fill` (touched: no page faults in the timed period). */
static void *huge_alloc(size_t bytes, int fill)
{
	size_t len = (bytes + HUGEPAGE - 1) & ~(size_t)(HUGEPAGE - 1);
	void *p;

	if (posix_memalign(&p, HUGEPAGE, len) != 0)
		return NULL;
	(void)madvise(p, len, MADV_HUGEPAGE);
	return memset(p, fill, bytes);
}

/* All of `len` bytes at `off`: 0, or an errno (EIO: the file ends). */
static int pread_full(int fd, unsigned char *buf, size_t len, off_t off)
{
	ssize_t n = pread(fd, buf, len, off);

	return n == (ssize_t)len ? 0 : n < 0 ? errno : EIO;
}

static const char *errno_str(int err)
{
	return strerror(err);
}

static int ref_close(bench_pool *bp)
{
	int ret = 0;

	if (bp->map != NULL)
		munmap((void *)bp->map, bp->map_bytes);
	if (bp->fd >= 0 && close(bp->fd) != 0)
		ret = errno;
	free(bp->frames);
	free(bp->desc);
	free(bp->heads);
	free(bp->slices);
	free(bp);
	return ret;
}

/* Frames of `cache_bytes` (huge_alloc) on `path` (at most 2^28 pages: a
 * uint32_t counts the buckets), then the reference's own `setup`: 0 or an
 * errno. */
static int ref_open(const char *path, size_t cache_bytes, enum bench_how how,
		    bench_pool **out, int (*setup)(bench_pool *, off_t size))
{
	struct stat sb;
	bench_pool *bp;
	int ret;

	*out = NULL;
	if (how != BENCH_PRIVATE || cache_bytes < BENCH_PAGE_SIZE ||
	    cache_bytes / BENCH_PAGE_SIZE > (1u << 30))
		return EINVAL;
	if ((bp = calloc(1, sizeof(*bp))) == NULL)
		return ENOMEM;
	bp->cache_bytes = cache_bytes;
	bp->nframes = (uint32_t)(cache_bytes / BENCH_PAGE_SIZE);
	if ((bp->fd = open(path, O_RDONLY)) < 0 || fstat(bp->fd, &sb) != 0)
		ret = errno;
	else if (sb.st_size <= 0 || sb.st_size % BENCH_PAGE_SIZE != 0 ||
		 sb.st_size / BENCH_PAGE_SIZE > (1 << 28))
		ret = EINVAL;
	else if ((bp->frames = huge_alloc(cache_bytes, 0)) == NULL)
		ret = ENOMEM;
	else
		ret = setup(bp, sb.st_size);
	if (ret != 0)
		(void)ref_close(bp);
	else
		*out = bp;
	return ret;
}

/* perm[f]: the page in frame f, shuffled (Fisher-Yates) as in a pool that
 * has run a while: neighbouring pages are not neighbouring frames. */
static uint32_t *shuffled(uint32_t n)
{
	uint64_t x = BARE_SHUFFLE_SEED;
	uint32_t *perm;

	if ((perm = malloc((size_t)n * sizeof(*perm))) == NULL)
		return NULL;
	for (uint32_t f = 0; f < n; f++)
		perm[f] = f;
	for (uint32_t f = n - 1; f > 0; f--) {
		uint32_t j =
		    (uint32_t)(((splitmix64(&x) >> 32) * (f + 1)) >> 32);
		uint32_t t = perm[f];

		perm[f] = perm[j];
		perm[j] = t;
	}
	return perm;
}

/* Every page of the file in the frames: the probe never evicts. */
static int bare_load(bench_pool *bp, off_t size)
{
	uint32_t *perm, nbuckets = 1;
	int ret = 0;

	if ((uint64_t)size > bp->cache_bytes)
		return EFBIG;
	bp->nframes = (uint32_t)(size / BENCH_PAGE_SIZE);
	/* lfmpool's count: two buckets a 4 KiB frame (region.c). */
	for (bp->shift = 64; nbuckets < 2 * bp->nframes; nbuckets <<= 1)
		bp->shift--;
	bp->desc = huge_alloc(bp->nframes * sizeof(*bp->desc), 0);
	bp->heads = huge_alloc(nbuckets * sizeof(*bp->heads), 0xff);
	if (bp->desc == NULL || bp->heads == NULL ||
	    (perm = shuffled(bp->nframes)) == NULL)
		return ENOMEM;
	for (uint32_t f = 0; f < bp->nframes && ret == 0; f++) {
		uint32_t pg = perm[f];
		uint32_t *head = &bp->heads[bare_hash(pg, bp->shift)];

		ret = pread_full(bp->fd, bp->frames + ((size_t)f << PAGE_SHIFT),
				 BENCH_PAGE_SIZE, (off_t)pg * BENCH_PAGE_SIZE);
		bp->desc[f].tag = pg;
		bp->desc[f].next = *head;
		*head = f;
	}
	free(perm);
	return ret;
}

static int bare_open(const char *home, const char *path, size_t cache_bytes,
		     enum bench_how how, bench_pool **out)
{
	(void)home; /* nothing on disk but the file */
	return ref_open(path, cache_bytes, how, out, bare_load);
}

/* Called through bench_sys, as lfmpool's and BDB's gets are. The page is
 * prefetched as soon as the chain names its frame, so its miss overlaps
 * the descriptor's (as in lfmpool). */
static int bare_get(bench_pool *bp, uint32_t pgno, int dirty, void **page)
{
	uint32_t f = bp->heads[bare_hash(pgno, bp->shift)];

	(void)dirty; /* declared at put */
	while (f != BARE_NIL) {
		struct bare_desc *d = &bp->desc[f];
		unsigned char *pg = bp->frames + ((size_t)f << PAGE_SHIFT);

		__builtin_prefetch(pg);
		if (d->tag == pgno) {
			/* Acquire: pairs with the last unpin's release. */
			atomic_fetch_add_explicit(&d->pin, 1,
						  memory_order_acquire);
			*page = pg;
			return 0;
		}
		f = d->next;
	}
	return ENOENT;
}

/* The driver gives back what get returned: no check of the pointer. */
static int bare_put(bench_pool *bp, void *page, int dirty)
{
	size_t f = (size_t)((unsigned char *)page - bp->frames) >> PAGE_SHIFT;
	struct bare_desc *d = &bp->desc[f];

	if (dirty)
		atomic_store_explicit(&d->dirty, 1, memory_order_relaxed);
	/* Release: this thread's page accesses happen before the unpin. */
	atomic_fetch_sub_explicit(&d->pin, 1, memory_order_release);
	return 0;
}

/* The probe keeps no counters (the driver counts its gets, all hits); the
 * floor's every get is a miss, and it holds no page. */
static int ref_stats(bench_pool *bp, struct bench_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->cache_bytes = bp->cache_bytes;
	if (bp->slices == NULL)
		st->pages_held = bp->nframes;
	for (uint32_t s = 0; s < bp->nslices; s++)
		st->misses += atomic_load_explicit(&bp->slices[s].reads,
						   memory_order_relaxed);
	return 0;
}

/* Never 0, so a thread that has not got from any pool has no slice. */
static _Atomic uint64_t floor_gens;

/* The thread's slice of the pool of generation `gen` (not its address,
 * which a later pool may reuse). */
static __thread struct {
	uint64_t gen;
	struct floor_slice *sl;
} floor_tls;

static int floor_setup(bench_pool *bp, off_t size)
{
	uint32_t n =
	    bench_floor_threads < 1 ? 1 : (uint32_t)bench_floor_threads;
	void *p;

	bp->gen = atomic_fetch_add(&floor_gens, 1) + 1;
	bp->nslices = n < bp->nframes ? n : bp->nframes;
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
	if (!bench_floor_copy)
		return 0;
	/* As src/os/mapread.c, without the guard: never truncated here. */
	p = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, bp->fd, 0);
	if (p == MAP_FAILED)
		return errno;
	(void)madvise(p, (size_t)size, MADV_RANDOM);
	bp->map = p;
	bp->map_bytes = (size_t)size;
	return 0;
}

static int floor_open(const char *home, const char *path, size_t cache_bytes,
		      enum bench_how how, bench_pool **out)
{
	(void)home;
	return ref_open(path, cache_bytes, how, out, floor_setup);
}

/* A thread's first get in this pool takes the next slice. */
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

/* Each get reads into its thread's next frame. */
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
	pg = bp->frames + ((size_t)f << PAGE_SHIFT);
	if (bp->map != NULL) {
		if ((size_t)pgno * BENCH_PAGE_SIZE >= bp->map_bytes)
			return EINVAL;
		memcpy(pg, bp->map + (size_t)pgno * BENCH_PAGE_SIZE,
		       BENCH_PAGE_SIZE);
	} else if ((ret = pread_full(bp->fd, pg, BENCH_PAGE_SIZE,
				     (off_t)pgno * BENCH_PAGE_SIZE)) != 0) {
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

/* Nothing to unpin, nothing to write back. */
static int floor_put(bench_pool *bp, void *page, int dirty)
{
	(void)bp;
	(void)page;
	(void)dirty;
	return 0;
}

const struct bench_sys bench_bare_sys = {
    .name = "bare probe",
    .csv = "bare",
    .open = bare_open,
    .get = bare_get,
    .put = bare_put,
    .stats = ref_stats,
    .close = ref_close,
    .strerror = errno_str,
};

const struct bench_sys bench_floor_sys = {
    .name = "pread floor",
    .csv = "floor",
    .open = floor_open,
    .get = floor_get,
    .put = floor_put,
    .stats = ref_stats,
    .close = ref_close,
    .strerror = errno_str,
};
