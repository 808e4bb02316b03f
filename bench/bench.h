/*
 * bench.h - the one interface between the benchmark driver and the systems
 * it measures: lfmpool (bench_lfm.c) and Berkeley DB 5.3 (bench_bdb.c),
 * private to one process or shared between processes, and the two
 * references measured beside them in one process, the bare probe
 * (bench_bare.c, the hit path's yardstick) and the pread floor
 * (bench_floor.c, the miss path's).
 *
 * lfmpool's <db_mpool.h> and Berkeley DB's <db.h> both define DB_ENV, DBT
 * and friends, so each system lives in its own translation unit and the
 * driver sees only this header: open a pool on an existing file of 4 KiB
 * pages, get a page by number, put it back (dirty or not), read the
 * statistics, close; for the two-file workloads (mixed-shift-*), open
 * another file, of another page size, in the same pool and move to it.
 */
#ifndef LFMPOOL_BENCH_H
#define LFMPOOL_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BENCH_PAGE_SIZE 4096u
/* The page size of the second data file of the two-file workloads. */
#define BENCH_PAGE_SIZE_LARGE 8192u
/* Files a pool may have open at once (use_file). */
#define BENCH_MAX_FILES 3

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
	/*
	 * Open a thread-safe pool of `cache_bytes` (`how`; a joiner's size
	 * must match the creator's) and the existing file `path` (of 4 KiB
	 * pages) in it. Returns 0 or an error code for ->strerror. The
	 * references serve BENCH_PRIVATE only.
	 */
	int (*open)(const char *home, const char *path, size_t cache_bytes,
		    enum bench_how how, bench_pool **out);
	/* Pin page `pgno`. `dirty`: the caller will modify it (and passes the
	 * same `dirty` to put). Safe from any number of threads at once. */
	int (*get)(bench_pool *bp, uint32_t pgno, int dirty, void **page);
	int (*put)(bench_pool *bp, void *page, int dirty);
	int (*stats)(bench_pool *bp, struct bench_stats *st);
	/*
	 * Background write-back built into the pool, set after open:
	 * `nflushers` threads (0: none, -1: the system's default number)
	 * keeping `clean_pct` percent of the frames clean (0: the system's
	 * default). NULL when the system has none (BDB 5.3: its callers run
	 * memp_trickle themselves).
	 */
	int (*set_flushers)(bench_pool *bp, int nflushers, int clean_pct);
	/* One memp_trickle call: write dirty pages until `pct` percent of the
	 * cache is clean; *nwrote gets the pages written. Any thread. */
	int (*trickle)(bench_pool *bp, int pct, int *nwrote);
	/*
	 * Two-file workloads: open the existing file `path`, of `pagesize`
	 * byte pages, in the same pool, and make it the file get and put use
	 * from then on (at most BENCH_MAX_FILES opens a pool). The files
	 * opened before stay open, their pages cached. NULL for the
	 * references, which serve one file.
	 */
	int (*use_file)(bench_pool *bp, const char *path, uint32_t pagesize);
	int (*close)(bench_pool *bp);
	/* Remove every file a shared pool put in `home` (forcibly: also when
	 * a handle is still open, or a process died holding one). NULL for
	 * the references. */
	int (*remove)(const char *home);
	const char *(*strerror)(int err);
};

/* 0 (default): BDB's dirty gets call __memp_fget, since DB_MPOOLFILE->get
 * of libdb 5.3.28 drops DB_MPOOL_DIRTY (see bench_bdb.c); 1: through
 * ->get all the same (pages are then never dirty; the old behaviour). */
extern int bench_bdb_dirty_api;

extern const struct bench_sys bench_lfm_sys;
extern const struct bench_sys bench_bdb_sys;
/* Not a pool: serves only caches that hold the whole file (bench_bare.c). */
extern const struct bench_sys bench_bare_sys;
/* Not a pool: every get is one pread into a frame (bench_floor.c). */
extern const struct bench_sys bench_floor_sys;
/* The threads that will get at once from the next floor opened (besides
 * the warm-up before them); set by the driver before its open. */
extern int bench_floor_threads;
/* Nonzero (--floor-copy): the floor copies each page from a read-only
 * mapping of the file instead of preading it, as lfmpool's misses do. Set
 * before the first open. */
extern int bench_floor_copy;

/* Memory for `bytes`, 2 MiB aligned and on transparent huge pages where
 * the system grants them (advice only, given before the first touch: the
 * references' memory as lfmpool's region). bench_bare.c. */
void *bench_huge_alloc(size_t bytes);
/* Read all of `len` bytes at `off` of `fd` into buf, again on EINTR and
 * short reads: 0, or an errno (EIO: the file ends first). */
int bench_pread_full(int fd, unsigned char *buf, size_t len, off_t off);

#endif /* LFMPOOL_BENCH_H */
