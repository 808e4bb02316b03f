/*
 * bench_bare.c - the bare probe, the hit path's yardstick: one hash lookup,
 * an atomic pin and unpin, and nothing else a pool does (docs/benchmarks.md,
 * "The floors"). open() reads the whole file once into a layout copied
 * from lfmpool's where it decides the cache misses (docs/hit-path.md), so
 * a hit pays the same dependent misses.
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
#include "bench_rng.h"

#define BARE_PAGE_SHIFT 12
#define BARE_HUGEPAGE	(2u << 20)
#define BARE_NIL	UINT32_MAX /* end of a chain, empty bucket */
/* Fixed, so every run sees the same layout: the spread between runs is the
 * machine's, not the shuffle's. */
#define BARE_SHUFFLE_SEED 0x62617265ull

_Static_assert(BENCH_PAGE_SIZE == 1u << BARE_PAGE_SHIFT,
	       "put finds the frame by shift");

/* As lfmpool's: two to a cache line, the pin word beside the tag. */
struct bare_desc {
	_Atomic uint32_t pin;
	uint32_t next; /* the next frame in the bucket's chain, or BARE_NIL */
	uint64_t tag;  /* the page number */
	_Atomic uint8_t dirty; /* a dirty put stores to the line, as a pool's */
	uint8_t pad[15];
};
_Static_assert(sizeof(struct bare_desc) == 32, "32-byte descriptors");

struct bench_pool {
	/* Read by every get and put; written only by open. */
	unsigned char *frames;	/* frame f at frames + (f << 12) */
	struct bare_desc *desc; /* [npages], by frame */
	uint32_t *heads; /* [1 << (64 - shift)]: a bucket's first frame */
	unsigned shift;
	uint32_t npages;
	size_t frames_bytes;
	size_t cache_bytes;
};

/* lfmpool's tag hash (src/region/hash.h): Fibonacci hashing, the top
 * bits of the product. */
static inline uint64_t bare_hash(uint64_t k, unsigned shift)
{
	return (k * 0x9e3779b97f4a7c15ull) >> shift;
}

void *bench_huge_alloc(size_t bytes)
{
	void *p;

	bytes = (bytes + BARE_HUGEPAGE - 1) & ~(size_t)(BARE_HUGEPAGE - 1);
	if (posix_memalign(&p, BARE_HUGEPAGE, bytes) != 0)
		return NULL;
	(void)madvise(p, bytes, MADV_HUGEPAGE);
	return p;
}

int bench_pread_full(int fd, unsigned char *buf, size_t len, off_t off)
{
	while (len > 0) {
		ssize_t n = pread(fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? errno : EIO;
		buf += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

const char *bench_errno_str(int err)
{
	return strerror(err);
}

static int bare_close(bench_pool *bp)
{
	if (bp == NULL)
		return 0;
	free(bp->frames);
	free(bp->desc);
	free(bp->heads);
	free(bp);
	return 0;
}

/* perm[f]: the page in frame f, shuffled (Fisher-Yates) so that, as in a
 * pool that has run a while, neighbouring pages are not neighbouring
 * frames and the frame index is not the page number. NULL: no memory. */
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

/* Frames, descriptors and chains for every page of the file, filled. */
static int bare_load(bench_pool *bp, int fd)
{
	uint32_t *perm, nbuckets = 1;
	void *p;
	int ret = 0;

	bp->frames_bytes = (size_t)bp->npages * BENCH_PAGE_SIZE;
	if ((p = bench_huge_alloc(bp->frames_bytes)) == NULL)
		return ENOMEM;
	bp->frames = p;
	if ((p = bench_huge_alloc((size_t)bp->npages * sizeof(*bp->desc))) ==
	    NULL)
		return ENOMEM;
	bp->desc = p;
	memset(bp->desc, 0, (size_t)bp->npages * sizeof(*bp->desc));
	/* lfmpool's count: a bucket per 512 bytes of pool (region.c). */
	bp->shift = 64;
	while (nbuckets < 8 * bp->npages) {
		nbuckets <<= 1;
		bp->shift--;
	}
	if ((bp->heads = bench_huge_alloc((size_t)nbuckets *
					  sizeof(*bp->heads))) == NULL)
		return ENOMEM;
	memset(bp->heads, 0xff, (size_t)nbuckets * sizeof(*bp->heads));

	if ((perm = shuffled(bp->npages)) == NULL)
		return ENOMEM;
	for (uint32_t f = 0; f < bp->npages && ret == 0; f++) {
		uint32_t pg = perm[f];
		uint32_t *head = &bp->heads[bare_hash(pg, bp->shift)];

		ret = bench_pread_full(
		    fd, bp->frames + ((size_t)f << BARE_PAGE_SHIFT),
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
	struct stat sb;
	bench_pool *bp;
	int fd, ret;

	(void)home; /* nothing on disk but the file */
	*out = NULL;
	if (how != BENCH_PRIVATE)
		return EINVAL;
	if ((fd = open(path, O_RDONLY)) < 0)
		return errno;
	if (fstat(fd, &sb) != 0)
		ret = errno;
	/* At most 2^28 pages: eight times as many buckets fit a uint32_t. */
	else if (sb.st_size <= 0 || sb.st_size % BENCH_PAGE_SIZE != 0 ||
		 sb.st_size / BENCH_PAGE_SIZE > (1 << 28))
		ret = EINVAL;
	/* It never evicts: it serves only a cache that holds the file. */
	else if ((uint64_t)sb.st_size > cache_bytes)
		ret = EFBIG;
	else if ((bp = calloc(1, sizeof(*bp))) == NULL)
		ret = ENOMEM;
	else {
		bp->npages = (uint32_t)(sb.st_size / BENCH_PAGE_SIZE);
		bp->cache_bytes = cache_bytes;
		if ((ret = bare_load(bp, fd)) != 0)
			(void)bare_close(bp);
		else
			*out = bp;
	}
	(void)close(fd);
	return ret;
}

/*
 * The probe. Not inline anywhere: the driver calls it through bench_sys, as
 * it calls lfmpool's and BDB's. The page is prefetched as soon as the chain
 * names its frame, so its miss overlaps the descriptor's (as in lfmpool).
 */
static int bare_get(bench_pool *bp, uint32_t pgno, int dirty, void **page)
{
	uint32_t f = bp->heads[bare_hash(pgno, bp->shift)];

	(void)dirty; /* declared at put */
	while (f != BARE_NIL) {
		struct bare_desc *d = &bp->desc[f];
		unsigned char *pg = bp->frames + ((size_t)f << BARE_PAGE_SHIFT);

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
	size_t f =
	    (size_t)((unsigned char *)page - bp->frames) >> BARE_PAGE_SHIFT;
	struct bare_desc *d = &bp->desc[f];

	if (dirty)
		atomic_store_explicit(&d->dirty, 1, memory_order_relaxed);
	/* Release: this thread's page accesses happen before the unpin. */
	atomic_fetch_sub_explicit(&d->pin, 1, memory_order_release);
	return 0;
}

/* No counters (they are part of what the probe leaves out), so no hits:
 * every get hits, and the driver counts the gets. */
static int bare_stats(bench_pool *bp, struct bench_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->pages_held = bp->npages;
	st->cache_bytes = bp->cache_bytes;
	return 0;
}

const struct bench_sys bench_bare_sys = {
    .name = "bare probe",
    .csv = "bare",
    .open = bare_open,
    .get = bare_get,
    .put = bare_put,
    .stats = bare_stats,
    .close = bare_close,
    .strerror = bench_errno_str,
};
