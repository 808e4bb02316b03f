/*
 * db_mpool.h - the Berkeley DB 2.x memory pool API (db_mpool(3)), on the
 * lfmpool lock-free engine.
 *
 * Self-contained: it needs no other <db.h>. Every function returns 0 on
 * success or an errno value on failure (DB_INCOMPLETE where the manual page
 * says so); none of them prints anything.
 *
 * Thread rules: a DB_MPOOL opened with DB_THREAD, and every DB_MPOOLFILE
 * opened in it, may be used by any number of threads at once, except that
 * only one thread may call memp_close (after all others are done with the
 * pool) and memp_fclose (after all others are done with that file handle).
 * A page pinned by one thread may be released (memp_fput) by another.
 */
#ifndef LFMPOOL_DB_MPOOL_H
#define LFMPOOL_DB_MPOOL_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define LFM_EXPORT __attribute__((visibility("default")))
#else
#define LFM_EXPORT
#endif

#define LFMPOOL_VERSION_MAJOR 0
#define LFMPOOL_VERSION_MINOR 1
#define LFMPOOL_VERSION_PATCH 0

/* "lfmpool X.Y.Z"; the library's own version, which may differ from the
 * header's when linked dynamically. */
LFM_EXPORT const char *lfmpool_version(void);

/* The BSD integer names, as glibc's <sys/types.h> spells them (a repeated
 * typedef of the same type is legal C11 and C++). */
typedef unsigned char u_int8_t;
typedef unsigned int u_int32_t;

typedef u_int32_t db_pgno_t;

#ifdef LFMPOOL_MPOOL_DBT
#error "include <db_mpool.h> before <mpool.h>: they define DBT differently"
#endif
#ifndef LFMPOOL_DBT_DEFINED
#define LFMPOOL_DBT_DEFINED
/* Key/data pair, as in Berkeley DB 2.x. The pool copies `size` bytes from
 * `data` when it keeps a page cookie. */
typedef struct __db_dbt {
	void *data;
	u_int32_t size;
	u_int32_t ulen;
	u_int32_t dlen;
	u_int32_t doff;
	u_int32_t flags;
} DBT;
#endif

/* Log sequence number: the log file number and the offset in it. */
typedef struct __db_lsn {
	u_int32_t file;
	u_int32_t offset;
} DB_LSN;
typedef DB_LSN LSN;

/* The environment fields that memp_open reads. Zero means "default". */
typedef struct __db_env {
	void *(*db_errcall)(char *db_errpfx, char *buffer);
	FILE *db_errfile;
	const char *db_errpfx;
	int db_verbose;
	int (*db_yield)(void);
	size_t mp_mmapsize; /* largest read-only file to map; 10 MB */
	size_t mp_size;	    /* cache size in bytes; 128 KiB, at least 20 KiB */
	/* lfmpool: most bytes each thread's pin cache may use (rounded down
	 * to a power of two, at least 64, at most 16 MiB); 0: 16 bytes for
	 * each 4 KiB of the pool, at most 1 MiB. Fixed when the region is
	 * created. */
	size_t mp_tcache_size;
} DB_ENV;

typedef struct __db_mpool DB_MPOOL;
typedef struct __db_mpoolfile DB_MPOOLFILE;

typedef struct __db_mpool_stat {
	size_t st_cachesize;
	unsigned long st_cache_hit;
	unsigned long st_cache_miss;
	unsigned long st_map;
	unsigned long st_page_create;
	unsigned long st_page_in;
	unsigned long st_page_out;
	unsigned long st_ro_evict;
	unsigned long st_rw_evict;
	unsigned long st_hash_buckets;
	unsigned long st_hash_searches;
	unsigned long st_hash_longest;
	unsigned long st_hash_examined;
	/* Beyond the 2.x page (later Berkeley DB releases have them). */
	unsigned long st_page_clean; /* valid clean frames now */
	unsigned long st_page_dirty; /* valid dirty frames now */
	unsigned long st_pages;	     /* frames holding a page now */
	/* lfmpool's own: of st_page_in, the pages copied from a read-only
	 * mapping of their file instead of read(2) (see memp_open), and the
	 * copies that faulted (file truncated, I/O error) and were read
	 * with read(2) instead. */
	unsigned long st_page_in_mapped;
	unsigned long st_map_faults;
	/* Eviction effort, as later Berkeley DB releases name it: misses
	 * that took a frame by evicting a page (not a fresh frame), the
	 * frames the CLOCK hand examined for them, and the most for one. */
	unsigned long st_alloc;
	unsigned long st_alloc_pages;
	unsigned long st_alloc_max_pages;
	/* memp_fget calls that slept on a frame held for I/O (a read in
	 * flight, or a write or eviction: st_io_wait, as later releases),
	 * and of those, on a read in flight (lfmpool's own). */
	unsigned long st_io_wait;
	unsigned long st_read_wait;
	unsigned long st_nomem;	    /* memp_fget calls that returned ENOMEM */
	unsigned long st_fdatasync; /* fdatasync(2) calls by syncs */
	unsigned long st_fdatasync_errors; /* of those, failed */
	/* Writes a flusher could not make (the pages stayed dirty and were
	 * written later; no call returns these errors). */
	unsigned long st_bg_write_errors;
	unsigned long st_log_flush; /* memp_set_logflush function calls */
	/* memp_sync: calls, DB_INCOMPLETE answers, pages written, and how
	 * long the last call took, in microseconds. */
	unsigned long st_ckpt;
	unsigned long st_ckpt_incomplete;
	unsigned long st_ckpt_pages;
	unsigned long st_ckpt_last_usec;
	unsigned long st_pin_limit; /* memp_fget calls that returned EAGAIN */
	/* memp_fprefetch and read-ahead: pages read ahead of their gets, and
	 * those whose read failed or came up short (their gets read them). */
	unsigned long st_prefetch;
	unsigned long st_prefetch_lost;
	/* The engine of this process's prefetch reads: 0 none yet, 1
	 * io_uring, 2 I/O threads (io_uring refused). */
	unsigned long st_io_engine;
} DB_MPOOL_STAT;

typedef struct __db_mpool_fstat {
	char *file_name;
	size_t st_pagesize;
	unsigned long st_cache_hit;
	unsigned long st_cache_miss;
	unsigned long st_map;
	unsigned long st_page_create;
	unsigned long st_page_in;
	unsigned long st_page_out;
	unsigned long st_page_in_mapped; /* as in DB_MPOOL_STAT */
	unsigned long st_map_faults;
	/* As in DB_MPOOL_STAT, for this file's pages. */
	unsigned long st_alloc;
	unsigned long st_alloc_pages;
	unsigned long st_alloc_max_pages;
	unsigned long st_io_wait;
	unsigned long st_read_wait;
	unsigned long st_nomem;
	unsigned long st_fdatasync;
	unsigned long st_fdatasync_errors;
	unsigned long st_bg_write_errors;
	unsigned long st_log_flush;
	unsigned long st_pin_limit;
	unsigned long st_prefetch;
	unsigned long st_prefetch_lost;
} DB_MPOOL_FSTAT;

/* memp_open / memp_fopen flags (Berkeley DB 2.x values). */
#define DB_CREATE	 0x000001
#define DB_NOMMAP	 0x000002
#define DB_THREAD	 0x000004
#define DB_RDONLY	 0x010000
#define DB_MPOOL_PRIVATE 0x040000
/* memp_open: read and write the pool's files with O_DIRECT, so that pages
 * are cached once, in the pool, and not again in the kernel's page cache
 * (an lfmpool extension; no mapped reads then). memp_fopen fails with
 * EINVAL where the file system refuses O_DIRECT (tmpfs) or the page size
 * is not a multiple of 512 bytes. In a shared pool each process passes it
 * for its own descriptors. */
#define DB_MPOOL_DIRECT 0x400000

/* memp_fget flags. */
#define DB_MPOOL_CREATE 0x001
#define DB_MPOOL_LAST	0x002
#define DB_MPOOL_NEW	0x004

/* memp_fput / memp_fset flags. */
#define DB_MPOOL_CLEAN	 0x001
#define DB_MPOOL_DIRTY	 0x002
#define DB_MPOOL_DISCARD 0x004

/* memp_sync / memp_fsync: some pages could not be written (pinned). */
#define DB_INCOMPLETE (-1)

/* Length of the unique file identifier given to memp_fopen. */
#define DB_FILE_ID_LEN 20

/* The longest pgcookie memp_fopen takes (lfmpool's limit: the pool keeps
 * the cookie with the file in its region, where every process reads it). */
#define DB_MPOOL_PGCOOKIE_MAX 256

/*
 * memp_open: open a pool. With DB_MPOOL_PRIVATE it is private to the
 * process (`dir` unused). Otherwise it is shared between processes: its
 * region is the file `<dir>/__lfm_mpool.region`, created with DB_CREATE
 * (mode `mode`, less the umask) or joined, and mapped by every process
 * that opens the same `dir`. `dir` NULL: TMPDIR, TEMP, TMP, then the first
 * of /var/tmp, /usr/tmp, /temp, /tmp (the page's body; its ERRORS section
 * also calls a NULL dir EINVAL: we follow the body), and memp_close then
 * removes the region if no other process uses it. A process killed while
 * using a shared pool is recovered by the survivors (see docs/protocol.md,
 * rules 18-20): its pins, half-read frames and locks are taken back.
 * Errors: EINVAL (unknown flag, mp_size below 20 KiB; joining a region of
 * another version or layout, or with a non-zero mp_size other than the
 * creator's), ENOENT (no region and no DB_CREATE), EAGAIN (the region's
 * creator never finished), EMFILE (31 processes attached), ENOMEM, the
 * errors of open(2), ftruncate(2), mmap(2).
 */
LFM_EXPORT int memp_open(char *dir, int flags, int mode, DB_ENV *dbenv,
			 DB_MPOOL **regionp);

/*
 * Mapped reads (lfmpool's own, on by default): a page missing from the
 * cache is copied from a read-only MAP_SHARED mapping of its file instead
 * of read with read(2), which costs less than half as much for a page in
 * the operating system's page cache; a miss that follows the same thread's
 * previous miss in the file is read with read(2), so that the kernel reads
 * a scan ahead. The bytes are the same either way (one page cache). To turn
 * a fault into an error value, the pool installs a SIGBUS handler when it
 * first maps a file in the process: a fault inside one of its copies (the
 * file was truncated by someone else, or the disk failed) makes that miss
 * use read(2), which returns zeroes past the end or the error; any other
 * SIGBUS goes to the handler installed before it, or takes the default
 * action. A thread that has SIGBUS blocked, or runs after the handler was
 * replaced, uses read(2) from its next check on (every 1024 copies: the
 * kernel would turn a blocked fault into the default action). An
 * application that installs its own SIGBUS handler afterwards, or blocks
 * SIGBUS in its threads, should still pass DB_NOMMAP, which turns mapped reads
 * off for the pool (to memp_open) or for the file in this process (to
 * memp_fopen). st_page_in_mapped and st_map_faults count them.
 */

/* memp_close: free the pool. Writes nothing; dirty pages are dropped. Every
 * DB_MPOOLFILE still open in it is closed. */
LFM_EXPORT int memp_close(DB_MPOOL *mp);

/*
 * memp_fopen: open `file` in the pool (NULL: a private temporary file,
 * removed at memp_fclose). Flags DB_CREATE, DB_NOMMAP, DB_RDONLY. A file is
 * known by device and inode, or by `uid` (DB_FILE_ID_LEN bytes) when given,
 * so processes opening it by different paths share its pages. A DB_RDONLY
 * file of type 0 no larger than mp_mmapsize is mapped into the process
 * instead of cached (st_map counts those pages; they are not pinned),
 * unless DB_NOMMAP was given here or to memp_open.
 * The file's type, lsn_offset and pgcookie are those of the open that
 * finds no handle of it open in any process (the first, or the first after
 * all were closed), as in Berkeley DB 2.x; the pool keeps the pgcookie's
 * bytes with the file in its region, and every process's pgin and pgout
 * get them, also in a process that never opened the file.
 * Errors: EINVAL (pagesize 0, unknown flag, file length not a multiple of
 * pagesize, file already in the pool with another page size, DB_RDONLY with
 * file NULL, a pgcookie longer than DB_MPOOL_PGCOOKIE_MAX bytes or with
 * data NULL and size non-zero), ENOENT (no file and no DB_CREATE), the
 * errors of open(2).
 */
LFM_EXPORT int memp_fopen(DB_MPOOL *mp, char *file, int ftype, int flags,
			  int mode, size_t pagesize, int lsn_offset,
			  DBT *pgcookie, u_int8_t *uid, DB_MPOOLFILE **mpf);

/* memp_fclose: close the handle (writes nothing). When it is the file's
 * last handle in this process, every pin the process still holds on the
 * file's pages is released (pins are not tracked per handle: with several
 * handles open on one file, they go with the last). */
LFM_EXPORT int memp_fclose(DB_MPOOLFILE *mpf);

/*
 * memp_fget: pin page *pgnoaddr (DB_MPOOL_CREATE: create it if missing;
 * DB_MPOOL_LAST: the last page; DB_MPOOL_NEW: append a page) and return it.
 * A created page is zeroed and passed through pgin. On a DB_RDONLY file
 * CREATE creates the page in the pool only: it is never written, and a
 * DB_MPOOL_DIRTY put or set of it is EACCES.
 * Errors: EINVAL (bad flags, missing page, NEW on a read-only file),
 * ENOMEM (every frame pinned), EAGAIN (pin count would overflow), EFBIG
 * (NEW or CREATE past page 0xfffffffe), the errors of read(2) and
 * write(2), or the value a pgin/pgout returned.
 */
LFM_EXPORT int memp_fget(DB_MPOOLFILE *mpf, db_pgno_t *pgnoaddr,
			 unsigned long flags, void **pagep);

/* memp_fput: unpin a page. Errors: EINVAL (bad flags, CLEAN with DIRTY, a
 * pointer memp_fget did not return or that is not pinned), EACCES (DIRTY on
 * a DB_RDONLY file). On error the pin is kept. */
LFM_EXPORT int memp_fput(DB_MPOOLFILE *mpf, void *pgaddr, unsigned long flags);

/* memp_fset: as memp_fput's flags, keeping the pin. */
LFM_EXPORT int memp_fset(DB_MPOOLFILE *mpf, void *pgaddr, unsigned long flags);

/* memp_fsync: write the file's dirty pages and fdatasync the file; pinned
 * ones are skipped and then DB_INCOMPLETE is returned. It returns an
 * error exactly when a change it covers may not be durable: a page it
 * could not write, or an fdatasync of the file that failed while it ran
 * (then every page of the file still cached is dirty again). A flusher's
 * earlier failed write of a page is not one: the page stayed dirty, and
 * this call writes it (st_bg_write_errors counts those). */
LFM_EXPORT int memp_fsync(DB_MPOOLFILE *mpf);

/* memp_unlink: remove the shared pool in `dir` (NULL: as memp_open): its
 * region file and nothing else. Errors: EBUSY (a process has it open and
 * `force` is 0; with `force` it is removed anyway and attached processes
 * keep running in it), the errors of unlink(2). 0 when there is none. */
LFM_EXPORT int memp_unlink(const char *dir, int force, DB_ENV *dbenv);

/* memp_register: pgin/pgout for files of type `ftype`: any non-zero value
 * (negative ones are reserved for the DB library's access methods, which
 * register them here; applications use positive ones). A later call for
 * the same type replaces the pair. A process that has not registered a
 * file's non-zero type never writes that file's pages (eviction, sync,
 * memp_trickle, its flushers pass them over: memp_sync and memp_fsync
 * return DB_INCOMPLETE while such pages are dirty); they stay dirty and
 * intact for a process that has. Errors: EINVAL (ftype 0), ENOMEM (64
 * types registered, or no memory). */
LFM_EXPORT int
memp_register(DB_MPOOL *mp, int ftype,
	      int (*pgin)(db_pgno_t pgno, void *pgaddr, DBT *pgcookie),
	      int (*pgout)(db_pgno_t pgno, void *pgaddr, DBT *pgcookie));

/*
 * memp_sync: a checkpoint. It writes every page modified before it began,
 * whatever LSN the page holds now (a page's LSN is its latest change's; an
 * older change may be on it too), and fdatasyncs the files written. The set
 * is fixed when the checkpoint starts: the pages dirty then, and the pages
 * pinned then, which count once released dirty (and drop out if released
 * clean). While some are pinned it returns DB_INCOMPLETE; called again
 * with the same (or a smaller) *lsn it continues that checkpoint, writing
 * what is left of the set; pages first dirtied after it began do not hold
 * it up. A call with a larger *lsn, or any call after one returned 0,
 * starts a new checkpoint. On success *lsn becomes the largest LSN written
 * by the checkpoint (unchanged if it wrote no page with an LSN).
 * Errors are returned as by memp_fsync, for every file. Errors:
 * EINVAL (mp or lsn NULL), ENOMEM, the errors of write(2) and fdatasync(2)
 * (the pages not made durable stay in the checkpoint).
 */
LFM_EXPORT int memp_sync(DB_MPOOL *mp, LSN *lsn);

/* memp_stat: allocate (with db_malloc, or malloc) and fill the statistics;
 * *fsp is a NULL-terminated array, or NULL when the pool has no files. */
LFM_EXPORT int memp_stat(DB_MPOOL *mp, DB_MPOOL_STAT **gsp,
			 DB_MPOOL_FSTAT *(*fsp)[], void *(*db_malloc)(size_t));

/*
 * Write-back, beyond Berkeley DB 2.x.
 *
 * Background flushers: threads of the pool that write dirty, unpinned pages
 * (coldest first, adjacent pages of a file in one pwritev) whenever fewer
 * than `clean_pct` percent of the pool's frames are clean and unpinned, and
 * also every dirty page whose CLOCK usage has run down to zero (the next
 * victims: misses pass over a few of those while flushers run), so that a
 * miss finds a clean victim instead of writing one. memp_open with
 * DB_THREAD starts the default number (one per four CPUs, at least one, at
 * most eight) with a 20% target; without DB_THREAD no library thread runs
 * unless memp_set_flushers asks for one, and mpool_open pools start with
 * none. Flushers read and write pages from threads of their own: while
 * they run, pgin, pgout and the memp_set_logflush function may be called
 * from those threads, concurrently with the application's, and must be
 * thread-safe. A write a flusher could
 * not make (EIO, ENOSPC, a pgout error, a refused log flush) leaves the page
 * dirty and intact; the flusher retries it later, and a sync writes it
 * (returning its own result: the same whether or not a flusher tried
 * first). st_bg_write_errors counts such failures.
 */

/* memp_set_flushers: run `nflushers` flusher threads (0: none; -1: the
 * default number) keeping `clean_pct` percent (1..99; 0: the default 20) of
 * the frames clean. Replaces the running set: the old threads finish the
 * write they are making and stop first. memp_close stops them before it
 * returns; nothing is written after. Errors: EINVAL (nflushers below -1 or
 * above 64, clean_pct out of range), the errors of pthread_create. */
LFM_EXPORT int memp_set_flushers(DB_MPOOL *mp, int nflushers, int clean_pct);

/* memp_trickle: write dirty, unpinned pages from the calling thread until
 * `pct` percent (1..100) of the frames are clean, or no more can be written;
 * *nwrotep (if not NULL) gets the number of pages written. As in later
 * Berkeley DB releases. Errors: EINVAL (pct out of range), the first write
 * error (the page stays dirty). */
LFM_EXPORT int memp_trickle(DB_MPOOL *mp, int pct, int *nwrotep);

/*
 * memp_set_logflush: the write-ahead-log rule. Before the pool writes a page
 * of a file that has an lsn_offset, and whose LSN is past the log position
 * known to be durable, it calls logflush(arg, lsn) with the largest LSN
 * among the pages it is about to write; the callback makes the log durable
 * up to at least that LSN and returns 0 (the pool then records it as
 * durable), or an error, which fails the write (the pages stay dirty).
 * The callback may run in any thread, flushers included, with frames held
 * for writing: it must not call memp_fget. NULL turns the rule off (the
 * default). Errors: EINVAL (mp NULL).
 */
LFM_EXPORT int memp_set_logflush(DB_MPOOL *mp,
				 int (*logflush)(void *arg, const DB_LSN *lsn),
				 void *arg);

/*
 * memp_fprefetch: start reading pages pgnos[0..n) of mpf's file into the
 * pool without waiting for them. A memp_fget of a page being read waits for
 * that read only; a page already cached or being read costs nothing; a
 * page past the end of the file is ignored. A prefetched page is clean and
 * the first the pool may evict until a get uses it. At most the process's
 * prefetch depth of reads are in flight (memp_set_prefetch_depth, 32 by
 * default): the pages after that are not started. A read that fails
 * leaves its page uncached, so the memp_fget of that page reads it itself
 * and returns that read's result. *startedp (if not NULL) gets the reads
 * started. Errors: EINVAL (mpf NULL, or pgnos NULL with n > 0).
 */
LFM_EXPORT int memp_fprefetch(DB_MPOOLFILE *mpf, const db_pgno_t *pgnos,
			      size_t n, size_t *startedp);

/* memp_set_prefetch_depth: the prefetch reads this process keeps in flight
 * at most (1..4096), before its first memp_fprefetch. Errors: EINVAL (mp
 * NULL, depth out of range, or a prefetch already ran). */
LFM_EXPORT int memp_set_prefetch_depth(DB_MPOOL *mp, int depth);

#ifdef __cplusplus
}
#endif
#endif /* LFMPOOL_DB_MPOOL_H */
