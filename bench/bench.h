/*
 * bench.h - the one interface between the benchmark driver and the systems
 * it measures: lfmpool (bench_lfm.c), Berkeley DB 5.3 (bench_bdb.c) and the
 * two references (bench_refs.c), the bare probe (the hit path's yardstick)
 * and the pread floor (the miss path's). <db_mpool.h> and
 * <db.h> both define DB_ENV, so each system has its own translation unit.
 */
#ifndef LFMPOOL_BENCH_H
#define LFMPOOL_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BENCH_PAGE_SIZE	      4096u
#define BENCH_PAGE_SIZE_LARGE 8192u /* the two-file workloads' other file */
#define BENCH_MAX_FILES	      3	    /* files a pool may have open (use_file) */

/* One open pool with one open file; private to the system's source. */
typedef struct bench_pool bench_pool;

/* How open makes the pool: private to this process, or shared through
 * the directory `home` (created there, or joined by another process). */
enum bench_how { BENCH_PRIVATE, BENCH_CREATE, BENCH_JOIN };

struct bench_stats {
	uint64_t hits;	      /* gets that found the page in the cache */
	uint64_t misses;      /* gets that had to read (or create) it */
	uint64_t pages_held;  /* pages in the cache now */
	uint64_t cache_bytes; /* the cache size the system reports */
	uint64_t evict_clean; /* victims that were clean (st_ro_evict) */
	uint64_t evict_dirty; /* victims written first (st_rw_evict) */
	uint64_t pages_out;   /* pages written, by anyone (st_page_out) */
	uint64_t pages_in;    /* pages read from the file (st_page_in) */
	/* Of pages_in, copied from a mapping of the file instead of read
	 * (lfmpool's st_page_in_mapped; 0 for the others). */
	uint64_t pages_in_mapped;
};

struct bench_sys {
	const char *name;	      /* as printed: "lfmpool", "BDB 5.3" */
	const char *csv;	      /* in --csv and --data: "bdb5.3" */
	const char *(*version)(void); /* the library's own version string */
	/* Opens a thread-safe pool of `cache_bytes` (a joiner's must match
	 * the creator's) with the existing file `path` of 4 KiB pages in it:
	 * 0 or an error for ->strerror. The references: BENCH_PRIVATE only. */
	int (*open)(const char *home, const char *path, size_t cache_bytes,
		    enum bench_how how, bench_pool **out);
	/* Pins page `pgno`; `dirty`: the caller will modify it (and says so
	 * again at put). Safe from any number of threads at once. */
	int (*get)(bench_pool *bp, uint32_t pgno, int dirty, void **page);
	int (*put)(bench_pool *bp, void *page, int dirty);
	int (*stats)(bench_pool *bp, struct bench_stats *st);
	/* Built-in write-back: `nflushers` threads (-1: the default number)
	 * keeping `clean_pct` percent clean (0: the default); NULL if none. */
	int (*set_flushers)(bench_pool *bp, int nflushers, int clean_pct);
	/* One memp_trickle(pct) call; *nwrote gets the pages written. */
	int (*trickle)(bench_pool *bp, int pct, int *nwrote);
	/* Opens the existing file `path` of `pagesize` byte pages in the same
	 * pool and makes it the one get and put use (the others stay open);
	 * NULL for the references. */
	int (*use_file)(bench_pool *bp, const char *path, uint32_t pagesize);
	int (*close)(bench_pool *bp);
	/* Removes a shared pool's files in `home`, even if a process died
	 * holding it; NULL for the references. */
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
/* The threads that will get at once from the next floor opened (besides
 * the warm-up before them); set by the driver before its open. */
extern int bench_floor_threads;
/* --floor-copy: the floor copies each page from a read-only mapping of the
 * file, as lfmpool's misses do; set before the first open. */
extern int bench_floor_copy;

#endif /* LFMPOOL_BENCH_H */
