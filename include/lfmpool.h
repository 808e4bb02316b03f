/*
 * lfmpool.h - lfmpool's native API: a page buffer pool for multithreaded
 * servers, without the shapes of Berkeley DB 2.x's db_mpool(3) or
 * 4.4BSD's mpool(3) (db_mpool.h and mpool.h, the same engine underneath).
 *
 * A pool caches fixed-size pages of files in memory, private to the
 * process or shared with other processes through a region file in a
 * directory (the same region memp_open(3) uses there: memp_* and
 * lfmpool_* processes may share one pool). A page is pinned by a get and
 * stays at its address, unevicted, until its put; pins are counted, so a
 * page may be pinned many times at once, by any threads. Every function
 * may be called from any thread, at any time, on any pool or file handle
 * (free-threaded), but for the closes (below); a file handle may be used
 * by every thread at once.
 *
 * lfmpool_get and lfmpool_put are inline: a page the calling thread has
 * used before (from its second use on), in a pool of one page size, is
 * pinned and released with no call into the library (docs/hit-path.md).
 * Their inline halves read the library's objects through the layout below
 * (LFMPOOL_FAST_ABI), which the library's major version fixes: a program
 * built against this header runs with any liblfmpool.so of the same
 * soname at least as new as the header (its inline halves call
 * lfmpool__get_slow2 and lfmpool__put_slow2, which older ones lack). Link
 * with -llfmpool (pkg-config lfmpool). The shared library is for linking,
 * not dlopen(3) (its thread-local state is initial-exec).
 *
 * Results are 0 or an errno value. Nothing is printed. See lfmpool(3).
 */
#ifndef LFMPOOL_H
#define LFMPOOL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && !defined(LFM_EXPORT)
#define LFM_EXPORT __attribute__((visibility("default")))
#elif !defined(LFM_EXPORT)
#define LFM_EXPORT
#endif

#define LFMPOOL_FAST_ABI 2

/* The inline halves are inlined whatever weight the caller's optimiser
 * gives them. */
#if defined(__GNUC__)
#define LFMPOOL__INLINE static inline __attribute__((always_inline))
#else
#define LFMPOOL__INLINE static inline
#endif

typedef struct lfmpool lfmpool;		  /* a pool, this process's view */
typedef struct lfmpool_file lfmpool_file; /* a file open in a pool */

/* lfmpool_open flags. */
#define LFMPOOL_CREATE	0x1 /* create the shared pool if it does not exist */
#define LFMPOOL_PRIVATE 0x2 /* a pool of this process only (home unused) */
#define LFMPOOL_FLUSHERS                                                       \
	0x4 /* background threads write cold dirty pages ahead of eviction */
/* Files read and written with O_DIRECT: pages cached once, in the pool
 * (lfmpool_fopen: EINVAL where the file system refuses it). */
#define LFMPOOL_DIRECT 0x8
/* Each thread's pin cache gets an entry for every frame, up to 16 MiB a
 * thread (by default up to 1 MiB: in a pool of more than 256 MiB, frames
 * share entries). For few threads hitting all over a large pool; fixed
 * when the pool is created (a shared pool has its creator's). */
#define LFMPOOL_LARGE_TCACHE 0x10

/* Opens the pool in directory `home` (NULL: the temporary directory, as
 * memp_open(3) chooses it; a shared pool stays after its last close, and
 * memp_unlink(3) removes it), creating it with LFMPOOL_CREATE (region file
 * mode `mode`, modified by the umask), or a private one with
 * LFMPOOL_PRIVATE. `cache_bytes` is the memory for pages (0: 128 KiB; a
 * shared pool that exists has its creator's size, and is joined with 0 or
 * that size). Errors: EINVAL (flags, a size under 20 KiB or of 64 GiB, a
 * shared pool of another layout, version or size), ENOENT (no pool, no
 * LFMPOOL_CREATE), EAGAIN (its creator never finished), EMFILE (31
 * processes attached already), ENAMETOOLONG, ENOMEM, and those of open(2)
 * and mmap(2). */
LFM_EXPORT int lfmpool_open(const char *home, size_t cache_bytes,
			    unsigned flags, int mode, lfmpool **poolp);
/* Closes this process's view of the pool: its flushers stop, its file
 * handles close, pins its threads still hold are dropped. Nothing is
 * written (lfmpool_fsync first). No other thread may be using the pool.
 * 0, EINVAL (pool NULL) or the first error of close(2). */
LFM_EXPORT int lfmpool_close(lfmpool *pool);

/* lfmpool_fopen flags. */
#define LFMPOOL_FCREATE 0x1 /* create the file if it does not exist */
#define LFMPOOL_RDONLY	0x2 /* read-only: no page may be put dirty */

/* Opens the file `path` in the pool with pages of `pagesize` bytes (at
 * most 1 MiB and the pool's size), creating it with LFMPOOL_FCREATE (mode
 * `mode`). The file's size must be a multiple of pagesize. Every process
 * and handle that opens the same file (device and inode) shares its cached
 * pages. Errors: EINVAL (flags, page size, a file whose size is not a
 * multiple of it, not a regular file, or known to the pool with another
 * page size), ENAMETOOLONG (a path of 256 bytes or more), EMFILE (256
 * files have been opened in the pool: a file keeps its place after its
 * last handle is closed), ENOMEM, and those of open(2). */
LFM_EXPORT int lfmpool_fopen(lfmpool *pool, const char *path, size_t pagesize,
			     unsigned flags, int mode, lfmpool_file **filep);
/* Closes a file handle; the file's last handle in this process drops the
 * pins its threads still hold on its pages. Its cached pages stay in the
 * pool (dirty ones are written when evicted or synced). 0 or EINVAL. */
LFM_EXPORT int lfmpool_fclose(lfmpool_file *file);

/* lfmpool_get_flags flags (at most one). */
#define LFMPOOL_GET_CREATE 0x1 /* a page past the end is made (zeroes) */
#define LFMPOOL_GET_LAST   0x2 /* the file's last page; *pgnop is set */
#define LFMPOOL_GET_NEW	   0x4 /* a new zero page past the end; *pgnop set */
/* lfmpool_put_flags and lfmpool_set flags. */
#define LFMPOOL_PUT_CLEAN   0x1 /* unchanged since it was last written */
#define LFMPOOL_PUT_DIRTY   0x2 /* changed: it must be written */
#define LFMPOOL_PUT_DISCARD 0x4 /* unlikely to be used soon: evict first */

/* Pins page `pgno` of the file and sets *pagep to its memory, reading it
 * if it is not cached. Errors: EINVAL (a page past the end, an argument
 * NULL), ENOMEM (every frame pinned), EAGAIN (the page's pin count is
 * full), EIO and the errors of pread(2) and pwrite(2) (writing the dirty
 * page the frame held). Inline (below). */
static inline int lfmpool_get(lfmpool_file *file, uint32_t pgno, void **pagep);
/* Releases a pin lfmpool_get took, the page unchanged by the caller (or
 * changed and marked with lfmpool_set). Any thread may release any pin of
 * the page. EINVAL: page is not a pinned page of this file. Inline. */
static inline int lfmpool_put(lfmpool_file *file, void *page);

/* lfmpool_get with LFMPOOL_GET_* flags: *pgnop is the page (set to the
 * page made or found with GET_LAST and GET_NEW). Errors: lfmpool_get's,
 * EINVAL for flags, EFBIG past the largest page number. */
LFM_EXPORT int lfmpool_get_flags(lfmpool_file *file, uint32_t *pgnop,
				 unsigned flags, void **pagep);
/* lfmpool_put with LFMPOOL_PUT_* flags (not CLEAN with DIRTY). Errors:
 * lfmpool_put's, EINVAL for flags, EACCES for DIRTY on a read-only file. */
LFM_EXPORT int lfmpool_put_flags(lfmpool_file *file, void *page,
				 unsigned flags);
/* Marks a page the caller holds pinned with LFMPOOL_PUT_* flags, keeping
 * the pin. Errors: as lfmpool_put_flags. */
LFM_EXPORT int lfmpool_set(lfmpool_file *file, void *page, unsigned flags);
/* Writes every dirty page of the file that is not pinned, then
 * fdatasync(2)s it. 0; LFMPOOL_INCOMPLETE if pinned dirty pages were left
 * unwritten (call again once they are released); or the error of a write
 * or fdatasync that may have lost a change. */
#define LFMPOOL_INCOMPLETE (-1)
LFM_EXPORT int lfmpool_fsync(lfmpool_file *file);
/* Starts `n` background flusher threads (0: none) keeping `clean_pct`
 * percent of frames clean (0: 20). 0, EINVAL, or pthread_create's error. */
LFM_EXPORT int lfmpool_set_flushers(lfmpool *pool, int n, int clean_pct);
/* Starts reading pages pgnos[0..n) of the file without waiting, as
 * memp_fprefetch(3) does: a get of a page being read waits for that read
 * only; cached pages and pages past the end cost nothing; at most the
 * pool's prefetch depth (lfmpool_set_prefetch_depth, 32 by default) are in
 * flight. *startedp (if not NULL) gets the reads started. 0 or EINVAL. */
LFM_EXPORT int lfmpool_prefetch(lfmpool_file *file, const uint32_t *pgnos,
				size_t n, size_t *startedp);
/* The prefetch reads in flight at most (1..4096), before the first
 * prefetch. 0 or EINVAL. */
LFM_EXPORT int lfmpool_set_prefetch_depth(lfmpool *pool, int depth);

/* "lfmpool X.Y.Z": the library's own version (declared in db_mpool.h
 * too, with LFMPOOL_VERSION_MAJOR and the rest). */
LFM_EXPORT const char *lfmpool_version(void);

/* The library halves of lfmpool_get and lfmpool_put: what runs when the
 * inline half cannot serve the call. (The library also keeps the names
 * without the 2, which programs built against LFMPOOL_FAST_ABI 1 call.) */
LFM_EXPORT int lfmpool__get_slow2(lfmpool_file *file, uint32_t pgno,
				  void **pagep);
LFM_EXPORT int lfmpool__put_slow2(lfmpool_file *file, void *page);

/*
 * The inline halves. They follow the library's own hit path (hit.c) over
 * the first fields of the objects, whose layout LFMPOOL_FAST_ABI names:
 * the calling thread's pin cache (a direct-mapped table of entries: frame
 * i's is tc[i & tc_mask]; an entry {word, tag} whose word names a frame
 * holds a reference that keeps the frame's page in it) and the file's
 * bucket table (a page's frame, probably: its bucket's first). The get
 * pins through the thread's entry when that names the frame and carries
 * the page's tag; the put releases through the entry of the frame the
 * page's address names. Anything else is the library's. While the
 * thread's cache is plain (its guard's words, LFMPOOL__GUARD_OFF bytes
 * before the first entry: docs/protocol.md, rule 8b), the pin and the
 * release are a load and a store of the entry word, announced in `busy`;
 * otherwise the library's hit path (a CAS).
 */
struct lfmpool__entry {
	uint64_t word; /* count 0..15, REF 16, frame index + 1 32..63; bits
			* 17..31 are the library's (hits), kept as they are */
	uint64_t tag;  /* (file slot + 1) << 32 | page number */
};
struct lfmpool__guard {
	uint32_t busy;	/* this thread is between its test of plain and its
			 * store to an entry word (the thread's own) */
	uint32_t plain; /* its entry words may be changed by plain stores */
};
#define LFMPOOL__GUARD_OFF 64
struct lfmpool__bucket {
	uint32_t lock;
	uint32_t head; /* frame index + 1 of the chain's first, 0: empty */
};
struct lfmpool__thread {
	uint64_t serial; /* the pool's serial if the thread has a cache */
	struct lfmpool__entry *tc;
	uint64_t tc_mask;
	uint32_t guard_ops; /* ops while the guard was shut (the thread's) */
};
/* One op in this many while the guard is shut is the library's: it
 * counts it too, and tries to open the guard. */
#define LFMPOOL__GUARD_PERIOD 1024u
struct lfmpool__file {
	uint64_t serial, put_serial, tag_hi;
	const uint32_t *shiftp; /* log2 of the page stride, 0: several */
	const struct lfmpool__bucket *buckets;
	const char *data; /* frame i's page: data + (i << *shiftp) */
	uint32_t bshift;  /* a tag's bucket: tag * 2^64/phi >> bshift */
	uint32_t limit;
};
LFM_EXPORT extern __thread void *lfmpool__tls_fast
    __attribute__((tls_model("initial-exec")));

#define LFMPOOL__REF	 (1ull << 16)
#define LFMPOOL__MAXPINS 0xffffu

/* The guard of the thread's cache whose entries begin at tc: 1 if the
 * thread may change its entry words by plain stores, having announced it
 * (lfmpool__plain_done after), else 0. */
static inline int lfmpool__plain_begin(struct lfmpool__entry *tc)
{
	struct lfmpool__guard *g =
	    (struct lfmpool__guard *)(tc - LFMPOOL__GUARD_OFF / sizeof(*tc));
	__atomic_store_n(&g->busy, 1, __ATOMIC_RELAXED);
	/* The fence between the store and the load is the thieves'
	 * membarrier(2); the compiler must keep the order. */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (__builtin_expect(__atomic_load_n(&g->plain, __ATOMIC_ACQUIRE) != 0,
			     1))
		return 1;
	__atomic_store_n(&g->busy, 0, __ATOMIC_RELAXED);
	return 0;
}

static inline void lfmpool__plain_done(struct lfmpool__entry *tc)
{
	struct lfmpool__guard *g =
	    (struct lfmpool__guard *)(tc - LFMPOOL__GUARD_OFF / sizeof(*tc));
	__atomic_store_n(&g->busy, 0, __ATOMIC_RELEASE);
}

/* The library's own tests define it (before including this header) to
 * stop an inline half between its load of the entry word and its plain
 * store; programs leave it alone. */
#ifndef LFMPOOL__PLAIN_WINDOW
#define LFMPOOL__PLAIN_WINDOW() ((void)0)
#endif

/* The entry of the probable frame of page pgno (its bucket's first)
 * when the entry names that frame with the page's tag and can take one
 * more pin, with its word in *wp and the page in *pagep; else NULL. */
static inline struct lfmpool__entry *
lfmpool__get_entry(const struct lfmpool__file *f,
		   const struct lfmpool__thread *t, struct lfmpool__entry *tc,
		   uint32_t pgno, uint64_t *wp, void **pagep)
{
	uint64_t tag = f->tag_hi | pgno;
	uint32_t head = __atomic_load_n(
	    &f->buckets[(tag * 0x9e3779b97f4a7c15ull) >> f->bshift].head,
	    __ATOMIC_ACQUIRE);
	struct lfmpool__entry *e = &tc[(uint32_t)(head - 1) & t->tc_mask];
	uint64_t w = __atomic_load_n(&e->word, __ATOMIC_RELAXED);
	uint32_t shift = __atomic_load_n(f->shiftp, __ATOMIC_RELAXED);
	if (__builtin_expect(e->tag != tag || (uint32_t)(w >> 32) != head ||
				 head == 0 || (uint16_t)w == LFMPOOL__MAXPINS ||
				 shift == 0,
			     0))
		return 0;
	*wp = w;
	*pagep = (void *)(f->data + ((uint64_t)(head - 1) << shift));
	return e;
}

/* The entry of the frame whose page is at `page` when it holds a pin of
 * the file's page, with its word in *wp; else NULL. */
static inline struct lfmpool__entry *
lfmpool__put_entry(const struct lfmpool__file *f,
		   const struct lfmpool__thread *t, struct lfmpool__entry *tc,
		   uint64_t idx, uint64_t *wp)
{
	struct lfmpool__entry *e = &tc[idx & t->tc_mask];
	uint64_t w = __atomic_load_n(&e->word, __ATOMIC_RELAXED);
	if (__builtin_expect((w >> 32) != idx + 1 || (uint16_t)w == 0 ||
				 (uint32_t)(e->tag >> 32) !=
				     (uint32_t)(f->tag_hi >> 32),
			     0))
		return 0;
	*wp = w;
	return e;
}

/* The guard is shut: 1 if this op is the one in LFMPOOL__GUARD_PERIOD
 * that the library serves (it counts it, and tries to open the guard),
 * else 0, counted here. */
static inline int lfmpool__shut_tick(struct lfmpool__thread *t)
{
	uint32_t n = t->guard_ops + 1;
	if (__builtin_expect(n % LFMPOOL__GUARD_PERIOD == 0, 0))
		return 1;
	t->guard_ops = n;
	return 0;
}

/* lfmpool_get while the guard is shut (thieves about): the pin is a CAS
 * (acquire: it pairs with a foreign putter's release). Out of line, so
 * that the plain get keeps no register for it. */
static __attribute__((noinline, unused)) int
lfmpool__get_shut(lfmpool_file *file, uint32_t pgno, void **pagep)
{
	const struct lfmpool__file *f = (const struct lfmpool__file *)file;
	struct lfmpool__thread *t = (struct lfmpool__thread *)lfmpool__tls_fast;
	uint64_t w;
	void *page;
	struct lfmpool__entry *e;
	if (lfmpool__shut_tick(t) ||
	    (e = lfmpool__get_entry(f, t, t->tc, pgno, &w, &page)) == 0 ||
	    !__atomic_compare_exchange_n(&e->word, &w, (w + 1) | LFMPOOL__REF,
					 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return lfmpool__get_slow2(file, pgno, pagep);
	*pagep = page;
	return 0;
}

/* lfmpool_put while the guard is shut: the release is a CAS. */
static __attribute__((noinline, unused)) int
lfmpool__put_shut(lfmpool_file *file, void *page, uint64_t idx)
{
	const struct lfmpool__file *f = (const struct lfmpool__file *)file;
	struct lfmpool__thread *t = (struct lfmpool__thread *)lfmpool__tls_fast;
	uint64_t w;
	struct lfmpool__entry *e;
	if (lfmpool__shut_tick(t) ||
	    (e = lfmpool__put_entry(f, t, t->tc, idx, &w)) == 0 ||
	    !__atomic_compare_exchange_n(&e->word, &w, w - 1, 0,
					 __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		return lfmpool__put_slow2(file, page);
	return 0;
}

LFMPOOL__INLINE int lfmpool_get(lfmpool_file *file, uint32_t pgno, void **pagep)
{
	const struct lfmpool__file *f = (const struct lfmpool__file *)file;
	if (__builtin_expect(f == 0 || pagep == 0, 0))
		return lfmpool__get_slow2(file, pgno, pagep); /* EINVAL */
	struct lfmpool__thread *t = (struct lfmpool__thread *)lfmpool__tls_fast;
	if (__builtin_expect(t->serial != f->serial, 0))
		return lfmpool__get_slow2(file, pgno, pagep);
	/* Announced before the entry is loaded. */
	struct lfmpool__entry *tc = t->tc;
	if (__builtin_expect(!lfmpool__plain_begin(tc), 0))
		return lfmpool__get_shut(file, pgno, pagep);
	uint64_t w;
	void *page;
	struct lfmpool__entry *e =
	    lfmpool__get_entry(f, t, tc, pgno, &w, &page);
	if (__builtin_expect(e == 0, 0)) {
		lfmpool__plain_done(tc);
		return lfmpool__get_slow2(file, pgno, pagep);
	}
	/* Nobody else writes the word now. */
	LFMPOOL__PLAIN_WINDOW();
	__atomic_store_n(&e->word, (w + 1) | LFMPOOL__REF, __ATOMIC_RELAXED);
	lfmpool__plain_done(tc);
	*pagep = page;
	return 0;
}

LFMPOOL__INLINE int lfmpool_put(lfmpool_file *file, void *page)
{
	const struct lfmpool__file *f = (const struct lfmpool__file *)file;
	if (__builtin_expect(f == 0, 0))
		return lfmpool__put_slow2(file, page); /* EINVAL */
	struct lfmpool__thread *t = (struct lfmpool__thread *)lfmpool__tls_fast;
	if (__builtin_expect(t->serial != f->put_serial, 0))
		return lfmpool__put_slow2(file, page);
	uint32_t shift = __atomic_load_n(f->shiftp, __ATOMIC_RELAXED);
	uint64_t rel = (uint64_t)((uintptr_t)page - (uintptr_t)f->data);
	/* Rotated: a pointer that is not a page's start, or lies outside the
	 * frames, gives an index past `limit`. */
	uint64_t idx = (rel >> (shift & 63)) | (rel << ((64 - shift) & 63));
	if (__builtin_expect(shift == 0 || idx >= f->limit, 0))
		return lfmpool__put_slow2(file, page);
	struct lfmpool__entry *tc = t->tc;
	if (__builtin_expect(!lfmpool__plain_begin(tc), 0))
		return lfmpool__put_shut(file, page, idx);
	uint64_t w;
	struct lfmpool__entry *e = lfmpool__put_entry(f, t, tc, idx, &w);
	if (__builtin_expect(e == 0, 0)) {
		lfmpool__plain_done(tc);
		return lfmpool__put_slow2(file, page);
	}
	/* Release: the caller's page writes reach whoever takes it next. */
	LFMPOOL__PLAIN_WINDOW();
	__atomic_store_n(&e->word, w - 1, __ATOMIC_RELEASE);
	lfmpool__plain_done(tc);
	return 0;
}

#ifdef __cplusplus
}
#endif

#endif
