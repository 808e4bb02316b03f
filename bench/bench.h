/*
 * bench.h - what every benchmark binary shares: the one interface to the
 * systems measured, lfmpool (bench_lfm.c), Berkeley DB 5.3 (bench_bdb.c),
 * the bare probe and the pread floor (bench_refs.c), each in its own
 * translation unit (<db_mpool.h> and <db.h> both define DB_ENV); random
 * numbers (splitmix64 seeds xoshiro256**, a generator per thread), the
 * clock, data files, medians.
 */
#ifndef LFMPOOL_BENCH_H
#define LFMPOOL_BENCH_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define BENCH_PAGE_SIZE	      4096u
#define BENCH_PAGE_SIZE_LARGE 8192u /* the two-file workloads' other file */
#define BENCH_MAX_FILES	      3	    /* files a pool may have open (use_file) */

typedef struct bench_pool bench_pool; /* private to the system's source */

/* Private to this process, or shared through the directory `home`. */
enum bench_how { BENCH_PRIVATE, BENCH_CREATE, BENCH_JOIN };

/* The counters a run reports as their movement over its timed period. */
#define BENCH_COUNTERS(X)                                                      \
	X(hits)		   /* gets that found the page in the cache */         \
	X(misses)	   /* gets that had to read (or create) it */          \
	X(evict_clean)	   /* victims that were clean (st_ro_evict) */         \
	X(evict_dirty)	   /* victims written first (st_rw_evict) */           \
	X(pages_out)	   /* pages written, by anyone (st_page_out) */        \
	X(pages_in)	   /* pages read from the file (st_page_in) */         \
	X(pages_in_mapped) /* of them, copied from a mapping */
#define BENCH_FIELD(f) uint64_t f;

struct bench_stats {
	BENCH_COUNTERS(BENCH_FIELD)
	uint64_t pages_held;  /* pages in the cache now */
	uint64_t cache_bytes; /* the cache size the system reports */
};

struct bench_sys {
	const char *name;	      /* as printed: "lfmpool", "BDB 5.3" */
	const char *csv;	      /* in --csv and --data: "bdb5.3" */
	const char *(*version)(void); /* the library's own version string */
	/* A thread-safe pool of `cache_bytes` (a joiner's: the creator's)
	 * with the file `path` of 4 KiB pages open: 0 or an error for
	 * ->strerror. The references: BENCH_PRIVATE only. */
	int (*open)(const char *home, const char *path, size_t cache_bytes,
		    enum bench_how how, bench_pool **out);
	/* `dirty`: the caller will modify the page (said again at put). */
	int (*get)(bench_pool *bp, uint32_t pgno, int dirty, void **page);
	int (*put)(bench_pool *bp, void *page, int dirty);
	int (*stats)(bench_pool *bp, struct bench_stats *st);
	/* Built-in write-back: `nflushers` threads (-1: the default number)
	 * keeping `clean_pct` percent clean (0: the default); NULL if none. */
	int (*set_flushers)(bench_pool *bp, int nflushers, int clean_pct);
	/* One memp_trickle(pct) call; *nwrote gets the pages written. */
	int (*trickle)(bench_pool *bp, int pct, int *nwrote);
	/* Opens `path` (of `pagesize` byte pages) in the pool as the file
	 * get and put use, the others staying open; NULL: the references. */
	int (*use_file)(bench_pool *bp, const char *path, uint32_t pagesize);
	int (*close)(bench_pool *bp); /* an open pool, not NULL */
	/* Removes a shared pool's files in `home`, even if a process died
	 * holding it; NULL: the references. */
	int (*remove)(const char *home);
	const char *(*strerror)(int err);
};

/* --bdb-dirty api: BDB's dirty gets through DB_MPOOLFILE->get, which drops
 * DB_MPOOL_DIRTY in libdb 5.3.28 (bench_bdb.c); 0: __memp_fget. */
extern int bench_bdb_dirty_api;

extern const struct bench_sys bench_lfm_sys;
extern const struct bench_sys bench_bdb_sys;
extern const struct bench_sys bench_bare_sys;  /* holds the whole file */
extern const struct bench_sys bench_floor_sys; /* a pread per get */
/* The workers of the next floor opened (besides the warm-up); --floor-copy:
 * it copies from a mapping of the file, as lfmpool's misses do. */
extern int bench_floor_threads, bench_floor_copy;

struct rng {
	uint64_t s[4];
};

static inline uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* CLOCK_MONOTONIC in seconds. */
static inline double bench_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Writes `pages` pages of `pagesize` bytes to fd, page p holding its
 * number at offset 0 and its low byte everywhere else: 0 or an errno. */
static inline int bench_fill(int fd, uint32_t pagesize, uint32_t pages)
{
	unsigned char *buf = malloc(64 * (size_t)pagesize); /* 64 a write */
	int err = buf == NULL ? ENOMEM : 0;

	for (uint32_t pg = 0; pg < pages && err == 0; pg += 64) {
		size_t n = pages - pg < 64 ? pages - pg : 64,
		       len = n * pagesize;

		for (uint32_t pgno = pg; pgno < pg + n; pgno++) {
			unsigned char *p = buf + (size_t)(pgno - pg) * pagesize;

			memset(p, (int)(pgno & 0xff), pagesize);
			memcpy(p, &pgno, sizeof(pgno));
		}
		if (pwrite(fd, buf, len, (off_t)pg * pagesize) != (ssize_t)len)
			err = errno != 0 ? errno : EIO;
	}
	free(buf);
	return err;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of v[0..n-1] (n > 0), sorting v in place. */
static inline double median_sort(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif /* LFMPOOL_BENCH_H */
