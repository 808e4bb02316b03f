/*
 * engine.h - the buffer pool engine, as the API adapters (src/api) see it.
 *
 * The engine has its own pool, file and page vocabulary, flags and
 * results; it knows nothing of db_mpool(3) or mpool(3). An adapter
 * translates its API's arguments, flags, errors and rules to these, and
 * its handles are the engine's own objects under the API's type name (a
 * pointer conversion, so the hit path pays nothing for the layer).
 *
 * Results are 0 or an errno value, and LFM_INCOMPLETE where a sync could
 * not write everything (pages pinned). Every function here may be called
 * from any thread; the per-call rules (which handle, which page) are the
 * ones the manual pages give, and docs/protocol.md says how they hold.
 */
#ifndef LFM_ENGINE_H
#define LFM_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "stat_table.h"

struct lfm__pool; /* a pool: one region, this process's view of it */
struct lfm__fh;	  /* an open file of a pool */

/* A log sequence number, as a page stores it at its file's LSN offset. */
struct lfm__lsn {
	uint32_t file;
	uint32_t offset;
};

/* A sync left pages unwritten because users hold them pinned. */
#define LFM_INCOMPLETE (-1)

/* Get: one of these, or 0 (the page must exist). */
#define LFM_GET_CREATE 0x1 /* a missing page is made (zeroes, then pgin) */
#define LFM_GET_LAST   0x2 /* the file's last page; its number is returned */
#define LFM_GET_NEW    0x4 /* a new page past the end (zeroes, no pgin) */
/* Put and set: any of these; CLEAN and DIRTY not both. */
#define LFM_PUT_CLEAN	0x1 /* the page is unchanged since it was written */
#define LFM_PUT_DIRTY	0x2 /* the page was changed: it must be written */
#define LFM_PUT_DISCARD 0x4 /* the page is unlikely to be used soon */

/*
 * The fast path's view of a file handle and of a thread's pin cache: the
 * first fields of struct lfm__fh and of the thread's node (pool.h), laid
 * out once for the native API's inline get and put (include/lfmpool.h,
 * which holds a copy its adapter checks against this one). Changing them
 * changes the library's ABI (LFM_FAST_ABI, the soname's major number).
 * Every field is fixed while its object lives; the protocol the inline
 * calls follow is hit.c's (docs/hit-path.md).
 */
#define LFM_FAST_ABI 2
struct lfm__fast_entry {
	uint64_t word; /* tcache.h: count 0..15, REF 16, frame + 1 32..63 */
	uint64_t tag;
};
struct lfm__fast_bucket {
	uint32_t lock;
	uint32_t head; /* frame index + 1 of the chain's first, 0: none */
};
struct lfm__fast_thread {
	uint64_t serial; /* the pool's serial if the thread has a cache */
	struct lfm__fast_entry *tc;
	uint64_t tc_mask;   /* frame i's entry: tc[i & tc_mask] */
	uint32_t guard_ops; /* hit ops while the guard was shut: owner-only */
};
struct lfm__fast_file {
	uint64_t serial;	/* the pool's serial, or none: the slow path */
	uint64_t put_serial;	/* the same for the put */
	uint64_t tag_hi;	/* the file's half of a page's tag */
	const uint32_t *shiftp; /* log2 of the page stride, or 0 */
	const struct lfm__fast_bucket *buckets;
	const char *data; /* frame i's page: data + (i << *shiftp) */
	uint32_t bshift;  /* a tag's bucket: tag * 2^64/phi >> bshift */
	uint32_t limit;
};
/* The entry word's fields (tcache.h), for the inline get and put: the
 * reference bit, the largest pin count, where the frame index + 1 begins.
 * geom.c checks them against the region's. */
#define LFM_FAST_REF	     (1ull << 16)
#define LFM_FAST_COUNT_MAX   0xffffu
#define LFM_FAST_FRAME_SHIFT 32
/* The owner-plain guard's words of a thread's cache (the region's
 * tcguard.h): LFM_FAST_GUARD_OFF bytes before its first entry. */
struct lfm__fast_guard {
	uint32_t busy, plain;
};
#define LFM_FAST_GUARD_OFF 64
/* The shut guard's ops between the owner's tries to open it. */
#define LFM_FAST_GUARD_PERIOD 1024u
/* The calling thread's struct lfm__fast_thread (never NULL: a thread with
 * none sees one whose serial matches no pool). Initial-exec in the shared
 * library's objects (-fPIC; and in lfmpool.h, for the programs that
 * include it); in the others (-fPIE or no PIC: the static archive's,
 * which only executables link), local-exec: one instruction a read
 * instead of two. */
#if defined(__PIC__) && !defined(__PIE__)
#define LFM_TLS_FAST_MODEL "initial-exec"
#else
#define LFM_TLS_FAST_MODEL "local-exec"
#endif
extern __thread void *lfmpool__tls_fast
    __attribute__((tls_model(LFM_TLS_FAST_MODEL)));

/* The longest file name the engine records (with its NUL). */
#define LFM_NAME_MAX 256
/* The longest pgcookie a file keeps (in the region, with the file). */
#define LFM_PGCOOKIE_MAX 256

/*
 * An adapter's functions, called by the engine on any thread (flushers'
 * too). A file type's page functions (pgin, pgout) and the log-flush
 * function are the adapter's, registered under an opaque pointer type and
 * handed back to it here to call with its own signature.
 */
typedef void (*lfm__fnptr)(void);
struct lfm__calls {
	/* Calls `fn` (a pgin or pgout) for page `pgno` at `page`, with the
	 * file's cookie bytes (NULL, 0 if it has none): the bytes its first
	 * open gave, the same in every process (a copy, valid for the call).
	 * `arg` is the pool's lfm__pool_opts.calls_arg. */
	int (*page)(void *arg, lfm__fnptr fn, uint32_t pgno, void *page,
		    const void *cookie, uint32_t cookie_size);
	/* Calls the log-flush function `fn(arg, lsn)`. */
	int (*logflush)(lfm__fnptr fn, void *arg, const struct lfm__lsn *lsn);
};

/* The largest page a pool caches (a region chunk, region.h). */
#define LFM_PAGESIZE_MAX (1u << 20)

/* A pool's shape as an adapter asks for it; the engine derives the
 * region's geometry (region.h) from it (geom.c). */
struct lfm__pool_geom {
	uint64_t cache_bytes; /* the page budget */
	uint32_t nfiles_max;  /* file slots; 0: the engine's default */
	/* mpool(3): while every cached page is pinned, carve past the budget
	 * (up to extra_bytes more), and give frames back as pages are
	 * unpinned, down to max_resident pages. */
	uint32_t elastic;
	uint32_t max_resident;
	uint64_t extra_bytes;
	/* The most entries a thread cache may have (lfm__tcache_entries);
	 * 0: the engine's default (1 MiB a thread); above the engine's
	 * largest (16 MiB), its largest. */
	uint64_t tc_cap_entries;
};
/* Bytes of pool memory one page of `pagesize` bytes takes (its buffer,
 * rounded up to a cache line). */
uint64_t lfm__page_footprint(size_t pagesize);
/* The thread-cache entries `bytes` bytes hold (DB_ENV.mp_tcache_size):
 * 0 and *entries set, or EINVAL when bytes is not 0 and holds fewer than
 * a cache needs. */
int lfm__tcache_entries(size_t bytes, uint64_t *entries);

/* A pool's options. */
struct lfm__pool_opts {
	const struct lfm__calls *calls;
	void *calls_arg;  /* this process's, for calls->page */
	int create;	  /* shared: create the region file if missing */
	int mode;	  /* shared: its mode, as open(2)'s */
	int size_given;	  /* shared: the geometry is the caller's wish */
	int nomap;	  /* never read or serve pages from a file mapping */
	size_t mmapsize;  /* read-only files up to this size are mapped */
	int unlink_close; /* shared: the last pool to close removes it */
	int direct;	  /* files read and written O_DIRECT (no page cache) */
};

/* A private pool, or one in the shared region file `path`. */
int lfm__pool_open(const char *path, const struct lfm__pool_geom *g,
		   const struct lfm__pool_opts *o, struct lfm__pool **out);
/* Stops the flushers, releases what this process holds and frees the pool
 * and its handles (writes nothing). 0 or the first close(2) error. */
int lfm__pool_close(struct lfm__pool *mp);
/* Registers the page functions of file type `ftype` in this process. */
int lfm__pool_register(struct lfm__pool *mp, int ftype, lfm__fnptr pgin,
		       lfm__fnptr pgout);
/* The function the engine calls before a page's write with the page's LSN
 * (NULL: none). */
int lfm__pool_set_logflush(struct lfm__pool *mp, lfm__fnptr fn, void *arg);
/* Whether the pool reads and writes its files with O_DIRECT; its files'
 * pages must then be multiples of LFM_DIRECT_ALIGN bytes. */
#define LFM_DIRECT_ALIGN 512
int lfm__pool_direct(const struct lfm__pool *mp);
/* Whether a file of `pagesize` bytes a page can be cached in the pool. */
int lfm__pool_pagesize_ok(const struct lfm__pool *mp, size_t pagesize);
/* A shared mpool(3) region's budget: raised to max_resident, never
 * lowered ("the largest value specified by any of the processes"). */
void lfm__pool_raise_budget(struct lfm__pool *mp, uint32_t max_resident);
/* The recorded absolute path of the pool's file in slot 0 if it is in use
 * (a shared mpool(3) region's one file): 1 and `path` set, else 0. */
int lfm__pool_first_file(struct lfm__pool *mp, char path[LFM_NAME_MAX]);

/* Region files: `dir`'s pool (NULL: the temporary directory) and a key's
 * (mpool(3)). 0, ENAMETOOLONG or EINVAL. */
int lfm__pool_dir_path(const char *dir, char *path, size_t size);
int lfm__pool_key_path(const void *key, char *path, size_t size);
/* Removes a shared region's file: EBUSY if a process uses it (unless
 * `force`), 0 if it is gone. */
int lfm__pool_unlink(const char *path, int force);

/* Background flushers (bgwriter.h): n threads keeping pct percent of
 * frames clean and unpinned. */
#define LFM_FLUSH_PCT 20
#define LFM_FLUSH_MAX 64
/* One per four CPUs, at least one, at most eight. */
int lfm__flushers_default(void);
/* Stops the running set and starts n threads keeping pct. n 0: none,
 * except in a shared pool with pct >= 0, where one thread goes on watching
 * for dead processes (recover.h) and writes nothing; pct -1 (pool close):
 * no thread at all. Takes mp->flush_lock. 0 or the error of
 * pthread_create (then none run). */
int lfm__flushers_set(struct lfm__pool *mp, int n, int pct);
/* One pass writing dirty unpinned pages until pct percent are clean. */
int lfm__pool_trickle(struct lfm__pool *mp, int pct, uint32_t *wrote);

/* How to attach an open file descriptor to the pool. */
struct lfm__attach {
	const char *name; /* for statistics; NULL: temporary */
	int ftype;
	int rdonly;
	size_t pagesize;
	int lsn_offset; /* -1: the pages hold no LSN */
	/* The file's type, LSN offset and cookie count only if no handle of
	 * it is open in any process (file.c); a cookie longer than
	 * LFM_PGCOOKIE_MAX is EINVAL. */
	const void *cookie;
	uint32_t cookie_size;
	const uint8_t *uid; /* LFM_ID_LEN bytes naming the file, or NULL */
	int borrowed;	    /* the caller owns fd: never close it */
	int may_map;	    /* read-only and mapping allowed */
	int nomap;	    /* no copies from a mapping of this file either */
	int partial_ok;	    /* a partial last page is ignored, not EINVAL */
};
/* A temporary file, already unlinked: its descriptor, or -errno. */
int lfm__file_temp(void);
/* Takes fd (unless borrowed: closes it on failure too) into the pool. */
int lfm__file_attach(struct lfm__pool *mp, int fd, const struct lfm__attach *a,
		     struct lfm__fh **out);
/* Closes a handle; the last one of a file here releases its pins. EINVAL
 * if fh is not open. */
int lfm__file_detach(struct lfm__fh *fh);
/* Writes the file's dirty pages and fdatasyncs it; with `pinned_too`, from
 * copies of pinned pages as well. 0, LFM_INCOMPLETE or an error. */
int lfm__file_sync(struct lfm__fh *fh, int pinned_too);
/* A checkpoint of the whole pool: the rules are checkpoint.h's. */
int lfm__pool_checkpoint(struct lfm__pool *mp, struct lfm__lsn *lsn);

/* Pages. `flags` are LFM_GET_* and LFM_PUT_*, already checked by the
 * adapter (one GET flag at most; not CLEAN with DIRTY). */
int lfm__get(struct lfm__fh *fh, uint32_t *pgnoaddr, unsigned long flags,
	     void **pagep);
int lfm__put(struct lfm__fh *fh, void *page, unsigned long flags);
int lfm__set(struct lfm__fh *fh, void *page, unsigned long flags);
/* The hit path (hit.h): lfm__get with flags 0, lfm__put with 0
 * (lfm__hit_put) or with 0 or DIRTY (lfm__hit_put_flags), in as few
 * instructions as the protocol allows. */
/* `zero` is memp_fget's flags, 0 here: the arguments stay where the caller
 * has them, so its call is a bare jump. */
int lfm__hit_get(struct lfm__fh *fh, uint32_t *pgnoaddr, unsigned long zero,
		 void **pagep);
int lfm__hit_put(struct lfm__fh *fh, void *page);
int lfm__hit_put_flags(struct lfm__fh *fh, void *page, unsigned long flags);
/* Starts the reads of pages pgnos[0..n) of fh's file without waiting
 * (prefetch.h); *started gets how many it started. 0, or EINVAL. */
int lfm__prefetch(struct lfm__fh *fh, const uint32_t *pgnos, size_t n,
		  size_t *started);
/* This process's prefetch reads in flight at most (1..4096), before its
 * first prefetch: 0 or EINVAL. */
int lfm__prefetch_depth(struct lfm__pool *mp, unsigned depth);
/* mpool(3): page pgno as a new zero page (EEXIST if it is resident), and
 * dropping a pinned page unwritten. */
int lfm__new_at(struct lfm__fh *fh, uint32_t pgno, void **pagep);
int lfm__delete(struct lfm__fh *fh, void *page);

/* Statistics, as Berkeley DB's memp_stat names them: struct lfm__pstat
 * and struct lfm__fstat, made from the statistics table (stat_table.h,
 * the region layer's, which the adapters use through this header to copy
 * them out). */
void lfm__pool_stat(struct lfm__pool *mp, struct lfm__pstat *g);
/* The files this process has open: one malloc'd block (free() it) of *n
 * entries whose names live in the same block. 0 or ENOMEM. */
int lfm__pool_file_stats(struct lfm__pool *mp, struct lfm__fstat **out,
			 size_t *n);

#endif
