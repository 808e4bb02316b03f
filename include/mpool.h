/*
 * mpool.h - the 4.4BSD mpool(3) API, with the FreeBSD additions
 * (mpool_new flags, mpool_delete, MPOOL_IGNOREPIN), on the lfmpool engine.
 *
 * A drop-in for the libc db(3) access methods (btree, recno, hash): page N
 * of the file lives at byte N * pagesize of `fd`; the pool never closes
 * `fd`; mpool_close writes nothing.
 *
 * Functions return NULL or -1 with errno set, as the manual pages say; none
 * of them prints anything. An MPOOL may be used by several threads at once
 * (like a DB_THREAD memp handle), except mpool_close.
 *
 * It compiles on its own, or after any <db.h>: a classic one (which
 * defines pgno_t and DBT), Berkeley DB's <db_185.h>, or Berkeley DB 2.x to
 * 5.x's <db.h> (which defines DBT, not pgno_t). Include <db_mpool.h>, if
 * you need both, before this header.
 */
#ifndef LFMPOOL_MPOOL_H
#define LFMPOOL_MPOOL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define LFM_MPOOL_EXPORT __attribute__((visibility("default")))
#else
#define LFM_MPOOL_EXPORT
#endif

/*
 * pgno_t and DBT, unless a <db.h> included before defines them:
 *  - a classic <db.h> (4.4BSD, FreeBSD, glibc <= 2.1, Berkeley DB 1.85:
 *    _DB_H_ without DB_VERSION_MAJOR) and Berkeley DB's <db_185.h>
 *    (_DB_185_H_) define both;
 *  - Berkeley DB 2 and later's <db.h> (_DB_H_ and DB_VERSION_MAJOR, e.g.
 *    Debian's libdb5.3-dev) defines its own DBT but no pgno_t (it has
 *    db_pgno_t): pgno_t is defined here, DBT left to it;
 *  - db_mpool.h defines its own DBT (LFMPOOL_DBT_DEFINED).
 * mpool(3) itself never uses DBT: it is here for the classic access
 * methods' code.
 */
#if !defined(_DB_185_H_) && !(defined(_DB_H_) && !defined(DB_VERSION_MAJOR))
typedef unsigned int pgno_t;
#if !defined(_DB_H_) && !defined(LFMPOOL_DBT_DEFINED)
#define LFMPOOL_DBT_DEFINED
#define LFMPOOL_MPOOL_DBT
typedef struct {
	void *data;
	size_t size;
} DBT;
#endif
#endif

typedef struct __lfm_mpool MPOOL;

#define MPOOL_DIRTY	   0x01 /* mpool_put: page was modified */
#define MPOOL_PAGE_REQUEST 0x01 /* mpool_new: the page number given */
#define MPOOL_PAGE_NEXT	   0x02 /* mpool_new: the next page number */
#define MPOOL_IGNOREPIN	   0x01 /* mpool_get: do not pin the page */

/*
 * mpool_open: a pool over the file open on `fd` (seekable, a regular
 * file), pages of `pagesize` bytes, caching up to `maxcache` pages (more
 * while more are pinned). `key` NULL: private to the process. A non-NULL
 * key is a NUL-terminated byte string: every process using the same key
 * shares the buffers (a region file in the temporary directory, removed by
 * the last mpool_close); when the key's pool already holds a file, `fd` is
 * ignored (it may be -1, it is not checked) and that file is used;
 * maxcache is the largest any of them gave (up to 1024 pages, or the first
 * one's if larger).
 *
 * Errors: EINVAL (pagesize 0 or over 1 MiB, fd not a regular file),
 * ESPIPE (fd not seekable), EBADF (fd not open), ENOMEM, and for a key the
 * errors of memp_open's shared pools.
 */
LFM_MPOOL_EXPORT MPOOL *mpool_open(void *key, int fd, pgno_t pagesize,
				   pgno_t maxcache);

/* mpool_filter: pgin after every read from the file, pgout before every
 * write (on a copy: the cached page keeps its in-memory form). */
LFM_MPOOL_EXPORT void mpool_filter(MPOOL *mp,
				   void (*pgin)(void *, pgno_t, void *),
				   void (*pgout)(void *, pgno_t, void *),
				   void *pgcookie);

/*
 * mpool_new: a new page, pinned, its number stored in *pgnoaddr:
 * MPOOL_PAGE_NEXT the page after the last, MPOOL_PAGE_REQUEST the page
 * number in *pgnoaddr (EEXIST if that page is in the pool now; a page
 * number past the end extends the file). Its contents are zero bytes.
 * The 4.4BSD two-argument form mpool_new(mp, pgnoaddr) means
 * MPOOL_PAGE_NEXT. Errors: EINVAL (flags), ENOMEM, EEXIST, EFBIG (no page
 * number left: the file has page 0xfffffffe, or 0xffffffff was asked).
 */
LFM_MPOOL_EXPORT void *mpool_new(MPOOL *mp, pgno_t *pgnoaddr,
				 unsigned int flags);

/* mpool_delete: drop a page the caller has pinned from the pool, without
 * writing it. -1/EINVAL if it is not pinned; EBUSY if someone else also
 * has it pinned. */
LFM_MPOOL_EXPORT int mpool_delete(MPOOL *mp, void *page);

/* mpool_get: page pgno, pinned unless MPOOL_IGNOREPIN. EINVAL: no such
 * page (past the end of the file) or a bad flag. */
LFM_MPOOL_EXPORT void *mpool_get(MPOOL *mp, pgno_t pgno, unsigned int flags);

/* mpool_put: unpin; MPOOL_DIRTY: write it before it leaves the pool.
 * EINVAL: not a pinned page of this pool, or a bad flag. */
LFM_MPOOL_EXPORT int mpool_put(MPOOL *mp, void *pgaddr, unsigned int flags);

/* mpool_sync: write every modified page (pinned ones too) and fdatasync. */
LFM_MPOOL_EXPORT int mpool_sync(MPOOL *mp);

/* mpool_close: free the pool; writes nothing; leaves fd open. */
LFM_MPOOL_EXPORT int mpool_close(MPOOL *mp);

/* The two-argument 4.4BSD mpool_new. */
static inline void *lfm__mpool_new2(MPOOL *mp, pgno_t *pgnoaddr)
{
	return (mpool_new)(mp, pgnoaddr, MPOOL_PAGE_NEXT);
}

#define LFM__MPOOL_NEW_PICK(a, b, c, name, ...) name
#define mpool_new(...)                                                         \
	LFM__MPOOL_NEW_PICK(__VA_ARGS__, (mpool_new), lfm__mpool_new2,         \
			    lfm__mpool_new_needs_2_or_3_args)                  \
	(__VA_ARGS__)

#ifdef __cplusplus
}
#endif
#endif /* LFMPOOL_MPOOL_H */
