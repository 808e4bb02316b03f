/*
 * pool.h - the process-local side of a pool: the struct lfm__pool and struct
 * lfm__fh handles, file descriptors, pgin/pgout registrations.
 *
 * Nothing here is in the region: pointers, descriptors and callbacks are
 * meaningful only in this process. `lock` guards opening and closing files
 * and registering callbacks; the hot paths read only the atomics of a
 * lfm__pfile and fields fixed while the pool is open.
 */
#ifndef LFM_POOL_H
#define LFM_POOL_H

#include <pthread.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>

#include "engine.h"
#include "fcookie.h"
#include "mapread.h"
#include "region.h"
#include "tcache.h"

#define LFM_MAX_FTYPES 64

/* The engine's parts of the region (region.h, LFM_REGION_NPARTS): each is
 * one module's shared state, which that module alone sizes, initialises
 * and reads (parts.c asks each at the region's creation). */
enum {
	LFM_PART_POLICY, /* the replacement policy (policy.h) */
	LFM_PART_WAL,	 /* the log's durable LSN (pagewrite.c) */
	LFM_PART_FLUSH,	 /* the flushers' wake-up word (bgwriter.c) */
	LFM_PART_CKPT,	 /* memp_sync's checkpoint (ckpt_state.h) */
	LFM_PART_COUNT
};
_Static_assert(LFM_PART_COUNT <= LFM_REGION_NPARTS, "the region's parts");

struct lfm__policy_methods; /* policy.h */

/* Per file slot, this process's view. */
struct lfm__pfile {
	int fd; /* for reads; -1: slot unused by this process */
	/* For writes; -1 until a read-write open here, or until a write of
	 * a page another process dirtied opens the file (lfm__pfile_wfd).
	 * Stored under struct lfm__pool.lock with release; read with acquire.
	 */
	_Atomic int fd_rw;
	int nopen;    /* struct lfm__fh handles open on it */
	int borrowed; /* fd belongs to the caller (mpool(3)): never closed */
	/* Misses copied from a mapping of fd (mapread.h): made with fd. */
	struct lfm__mapread map;
};

/* The write-ahead-log callback (memp_set_logflush): replaced whole, with
 * release; read with acquire before a write. Replaced ones are kept until
 * memp_close, since a writer may still hold one. */
struct lfm__logflush {
	lfm__fnptr fn; /* called through lfm__calls.logflush */
	void *arg;
	struct lfm__logflush *next; /* retired list */
};

struct lfm__flushers; /* bgwriter.c */
struct lfm__aio;      /* src/os/aio */

/* One memp_register of this process: never changed once published; a
 * later registration of the type replaces it whole (pfile.h). */
struct lfm__ftype {
	int ftype;
	lfm__fnptr pgin, pgout;
	struct lfm__ftype *next; /* retired list */
};

struct lfm__pool {
	struct lfm__region_hdr *rh;
	uint64_t serial; /* unique per open in this process (thread caches) */
	const struct lfm__calls *calls; /* the adapter's (engine.h) */
	void *calls_arg;		/* passed to calls->page */
	int nomap;			/* no file is mapped or copied from */
	/* Files are read and written with O_DIRECT (pool_open.c): no copy in
	 * the kernel's page cache. Implies nomap. Fixed while open. */
	int direct;
	size_t mmapsize;
	pthread_mutex_t lock;
	struct lfm__pfile *pfiles; /* rh->nfiles_max entries */
	/* This process's registrations, read without the lock on a miss or
	 * a write (lfm__pfile_fn): an entry is stored (release) before
	 * `nftypes` counts it (release); replaced ones are kept on
	 * `old_ftypes` until memp_close, since a reader may hold one.
	 * Changed under lock. */
	_Atomic(struct lfm__ftype *) ftypes[LFM_MAX_FTYPES];
	_Atomic int nftypes;
	struct lfm__ftype *old_ftypes;
	struct lfm__fh *mpfs;	     /* open handles, under lock */
	struct lfm__pool *live_next; /* registry of live pools (tls.c) */
	_Atomic(struct lfm__logflush *) logflush;
	struct lfm__logflush *old_logflush; /* retired, under lock */
	/* Background flushers of this process; changed under flush_lock. */
	pthread_mutex_t flush_lock;
	struct lfm__flushers *flushers;
	/* Shared pools: the region file and our process slot (NULL:
	 * private). `unlink_at_close`: memp_open's dir was NULL, so
	 * memp_close removes the region if nobody else uses it. */
	struct lfm__shm *shm;
	int unlink_at_close;
	/* OWNER bits (frame.h) this process records with EXCL: its slot + 1
	 * in a shared region, 0 in a private one. */
	uint32_t owner_bits;
	uint32_t lock_owner; /* the same id, for region locks (futex.h) */
	/* Shared regions: this process's pin log (pinlog.h); NULL: private.
	 * Fixed while the pool is open. */
	_Atomic uint16_t *plog;
	/* The I/O queue of prefetches and flusher runs (ioq.h), opened at
	 * first use under lock (published with release, read with acquire);
	 * its depth, fixed from then on; and whether it failed to open or
	 * was closed (then it is never opened again). */
	struct lfm__aio *_Atomic aio;
	unsigned aio_depth;
	int aio_failed;
	/* The region's replacement policy (policy.h) and its state in the
	 * region: fixed while the pool is open; misses call it. */
	const struct lfm__policy_methods *policy;
	void *policy_state;
};

/* A struct lfm__fh's fast_serial when the hit path must not serve it (a
 * mapped file): no pool has this serial (tls.c counts from 1). */
#define LFM_NO_FAST_SERIAL UINT64_MAX

struct lfm__fh {
	/* The hit path's copy of what it needs (hit.c), written by
	 * memp_fopen before the handle is returned and fixed for its life,
	 * so that a hit loads them from this one line instead of through mp
	 * and rh (each a dependent load, docs/hit-path.md). These first
	 * fields are also struct lfm__fast_file (engine.h), which the native
	 * API's inline calls read (include/lfmpool.h). */
	uint64_t fast_serial; /* mp->serial, or LFM_NO_FAST_SERIAL */
	/* fast_serial for the put, LFM_NO_FAST_SERIAL where every put has
	 * more to do (an elastic pool's shrinking, a mapped file). */
	uint64_t put_serial;
	uint64_t tag_hi; /* (slot + 1) << 32: the file's half of a tag */
	_Atomic uint32_t *shiftp; /* &rh->uniform_shift */
	struct lfm__bucket *buckets;
	const char *data; /* rh + off_data: base of the page guess */
	uint32_t bshift;  /* rh->bucket_shift (hash.h) */
	uint32_t limit;	  /* rh->nframes_max: a walk's bound */
	struct lfm__region_hdr *rh;
	struct lfm__frame *frames;
	uint32_t elastic; /* rh->elastic */
	uint32_t shared;  /* mp->plog != NULL: direct pins are logged */
	struct lfm__pool *mp;
	uint32_t slot;
	int rdonly;
	/* The file's entry in the region, and where its counters sit in
	 * each handle (tcache.h): fixed for the handle's life, kept here so
	 * that the hit path does not recompute them. */
	struct lfm__file *file;
	uint64_t stats_off;
	/* A read-only file no larger than mp_mmapsize, mapped instead of
	 * cached (memp_fopen): pages are served from here, unpinned. Fixed
	 * while the handle is open. */
	const char *map;
	size_t map_len;
	uint64_t map_pages;
	struct lfm__fh *next;
};

/* Calls page function fn (pgin or pgout, pfile.h) of file `slot` for page
 * pgno, with a copy of the cookie the file keeps in the region: the same
 * bytes in every process, whether or not it opened the file. */
static inline int lfm__pgcall(struct lfm__pool *mp, uint32_t slot,
			      lfm__fnptr fn, uint32_t pgno, void *page)
{
	uint64_t c[LFM_COOKIE_MAX / 8];
	uint32_t n = lfm__fcookie_get(&lfm__files(mp->rh)[slot], c);
	return mp->calls->page(mp->calls_arg, fn, pgno, page, n > 0 ? c : NULL,
			       n);
}

/* Unmaps a handle's mapped file, if any. */
void lfm__funmap(struct lfm__fh *h);

/* The calling thread's node for mp (its pin cache, claimed on first use;
 * h NULL when every handle is taken: the thread then pins directly).
 * NULL only if the node could not be allocated. */
struct lfm__tls_node *lfm__tls_slow(struct lfm__pool *mp);

struct lfm__tls_node {
	/* For the hit path (hit.c), fixed with h: serial if the thread has a
	 * handle (else 0, which no struct lfm__fh carries), h's entries and
	 * their index mask (tc_entries - 1, tcache.h). These first fields
	 * are also struct lfm__fast_thread (engine.h). */
	uint64_t fast_serial;
	struct lfm__tc_entry *tc;
	uint64_t tc_mask;
	/* Hit-path ops on the CAS protocol, counted towards the next try to
	 * open the guard (hit.c, tcguard.h; and the inline halves of
	 * lfmpool.h): owner-only. */
	uint32_t guard_ops;
	uint64_t serial;
	struct lfm__handle *h;
	uint32_t stripe;
	/* The page this thread last read from a file on a miss (pagefill.c):
	 * the next page of the same file is read with pread, so that the
	 * kernel sees a sequential scan and reads ahead. Owner-only. */
	uint64_t last_fill;
	struct lfm__tls_node *next;
	/* Frames the eviction sweeps of this thread's current miss examined
	 * (victim.c adds, getput.c resets and counts): owner-only. */
	uint64_t swept;
	/* Read-ahead (prefetch.h), owner-only: this thread's last read miss,
	 * the first page past the window read ahead of it (0: none), and the
	 * window's size. */
	uint64_t ra_last, ra_end;
	uint32_t ra_win;
} __attribute__((aligned(LFM_CACHELINE)));
extern __thread struct lfm__tls_node *lfm__tls_head;

/* lfm__tls_head, or a node that matches no pool when it is NULL (tls.c):
 * what the hit path reads, through lfmpool__tls_fast (engine.h). */
static inline struct lfm__tls_node *lfm__tls_fast(void)
{
	return (struct lfm__tls_node *)lfmpool__tls_fast;
}

/* The fast views (engine.h) are these structs' first fields. */
#define LFM_FAST_SAME(a, fa, b, fb)                                            \
	_Static_assert(offsetof(a, fa) == offsetof(b, fb) &&                   \
			   sizeof(((a *)0)->fa) == sizeof(((b *)0)->fb),       \
		       #a "." #fa)
LFM_FAST_SAME(struct lfm__fh, fast_serial, struct lfm__fast_file, serial);
LFM_FAST_SAME(struct lfm__fh, put_serial, struct lfm__fast_file, put_serial);
LFM_FAST_SAME(struct lfm__fh, tag_hi, struct lfm__fast_file, tag_hi);
LFM_FAST_SAME(struct lfm__fh, shiftp, struct lfm__fast_file, shiftp);
LFM_FAST_SAME(struct lfm__fh, buckets, struct lfm__fast_file, buckets);
LFM_FAST_SAME(struct lfm__fh, data, struct lfm__fast_file, data);
LFM_FAST_SAME(struct lfm__fh, bshift, struct lfm__fast_file, bshift);
LFM_FAST_SAME(struct lfm__fh, limit, struct lfm__fast_file, limit);
LFM_FAST_SAME(struct lfm__tls_node, fast_serial, struct lfm__fast_thread,
	      serial);
LFM_FAST_SAME(struct lfm__tls_node, tc, struct lfm__fast_thread, tc);
LFM_FAST_SAME(struct lfm__tls_node, tc_mask, struct lfm__fast_thread, tc_mask);
LFM_FAST_SAME(struct lfm__tls_node, guard_ops, struct lfm__fast_thread,
	      guard_ops);
_Static_assert(sizeof(struct lfm__tc_entry) == sizeof(struct lfm__fast_entry),
	       "a cache entry as the fast view reads it");
_Static_assert(offsetof(struct lfm__bucket, head) ==
		       offsetof(struct lfm__fast_bucket, head) &&
		   sizeof(struct lfm__bucket) ==
		       sizeof(struct lfm__fast_bucket),
	       "a bucket as the fast view reads it");

static inline struct lfm__tls_node *lfm__tls(struct lfm__pool *mp)
{
	struct lfm__tls_node *n = lfm__tls_head;
	if (n != NULL && n->serial == mp->serial)
		return n;
	return lfm__tls_slow(mp);
}

/* Registry of live pools, for thread-exit cleanup. */
void lfm__tls_register_pool(struct lfm__pool *mp);

/* lfm__pool_open with the region's geometry itself (geom.c derives it
 * from the adapters' lfm__pool_geom; unit tests give it whole). */
int lfm__pool_open_region(const char *path, const struct lfm__region_geom *g,
			  const struct lfm__pool_opts *o,
			  struct lfm__pool **out);
void lfm__tls_unregister_pool(struct lfm__pool *mp);

#endif
