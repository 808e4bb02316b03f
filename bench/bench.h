/*
 * bench.h - the one interface between the benchmarks and the systems they
 * measure: lfmpool (bench_lfm.c), Berkeley DB 5.3 (bench_bdb.c), the bare
 * probe and the pread floor (bench_refs.c). <db_mpool.h> and <db.h> both
 * define DB_ENV, so each system has its own translation unit.
 */
#ifndef LFMPOOL_BENCH_H
#define LFMPOOL_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

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
	int (*close)(bench_pool *bp);
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

#endif /* LFMPOOL_BENCH_H */
