/*
 * mpool_api.c - the 4.4BSD/FreeBSD mpool(3) API on the engine.
 *
 * An MPOOL is a private pool (DB_MPOOL) holding one file: the caller's fd,
 * attached as borrowed (never closed) with a partial last page ignored, as
 * the original did. The pool is elastic (region.h): it carves frames past
 * maxcache while every cached page is pinned and gives them back as pins
 * go, which is what btree and recno expect. The void-returning filters are
 * adapted to the engine's pgin/pgout through an internal file type whose
 * cookie names this MPOOL.
 */
/* db_mpool.h (through pool.h) must come before mpool.h: see mpool.h. */
#include "buf.h"
#include "flush.h"
#include "pool.h"

#include "mpool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The library's own file type for mpool(3) files (negative: internal). */
#define MPOOL_FTYPE (-1)
/* How far past maxcache a pool may grow while pages are pinned. */
#define MPOOL_EXTRA_PAGES 256

typedef void (*mpool_filter_fn)(void *, pgno_t, void *);

struct __lfm_mpool {
	DB_MPOOL *mp;
	DB_MPOOLFILE *mpf;
	/* Set by mpool_filter while other threads may be reading a page in:
	 * atomics, and the cookie is published before the functions. */
	_Atomic(mpool_filter_fn) pgin;
	_Atomic(mpool_filter_fn) pgout;
	_Atomic(void *) cookie;
};

static struct __lfm_mpool *from_cookie(const DBT *c)
{
	struct __lfm_mpool *m;
	memcpy(&m, c->data, sizeof(m));
	return m;
}

static int pgin_adapter(db_pgno_t pgno, void *page, DBT *c)
{
	struct __lfm_mpool *m = from_cookie(c);
	mpool_filter_fn fn =
	    atomic_load_explicit(&m->pgin, memory_order_acquire);
	if (fn != NULL)
		fn(atomic_load_explicit(&m->cookie, memory_order_relaxed), pgno,
		   page);
	return 0;
}

static int pgout_adapter(db_pgno_t pgno, void *page, DBT *c)
{
	struct __lfm_mpool *m = from_cookie(c);
	mpool_filter_fn fn =
	    atomic_load_explicit(&m->pgout, memory_order_acquire);
	if (fn != NULL)
		fn(atomic_load_explicit(&m->cookie, memory_order_relaxed), pgno,
		   page);
	return 0;
}

MPOOL *mpool_open(void *key, int fd, pgno_t pagesize, pgno_t maxcache)
{
	struct stat st;

	/* Shared pools (a key) come with region files; not yet. */
	if (key != NULL || pagesize == 0 || pagesize > LFM_CHUNK) {
		errno = EINVAL;
		return NULL;
	}
	if (fstat(fd, &st) != 0)
		return NULL; /* EBADF */
	if (lseek(fd, 0, SEEK_CUR) < 0)
		return NULL; /* ESPIPE: "must be seekable" */
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		return NULL;
	}
	if (maxcache == 0)
		maxcache = 1;

	struct __lfm_mpool *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	uint64_t stride = ((uint64_t)pagesize + LFM_CACHELINE - 1) &
			  ~(uint64_t)(LFM_CACHELINE - 1);
	struct lfm__region_geom g = {
	    .cache_bytes = stride * maxcache,
	    .nfiles_max = 1,
	    .nhandles = LFM_NHANDLES,
	    .elastic = 1,
	    .max_resident = maxcache,
	    .extra_bytes = stride * MPOOL_EXTRA_PAGES,
	};
	int rc = lfm__pool_create(&g, DB_THREAD, NULL, NULL, &m->mp);
	if (rc == 0)
		rc = lfm__pool_register(m->mp, MPOOL_FTYPE, pgin_adapter,
					pgout_adapter);
	if (rc == 0) {
		char name[48];
		snprintf(name, sizeof(name), "(mpool fd %d)", fd);
		DBT cookie = {.data = &m, .size = sizeof(m)};
		struct lfm__attach a = {
		    .name = name,
		    .ftype = MPOOL_FTYPE,
		    /* As libc's: a dirty page of a read-only fd is accepted
		     * and its write fails (EBADF) at eviction or sync. */
		    .rdonly = 0,
		    .pagesize = pagesize,
		    .lsn_offset = -1,
		    .pgcookie = &cookie,
		    .borrowed = 1,
		    .partial_ok = 1,
		};
		rc = lfm__fattach(m->mp, fd, &a, &m->mpf);
	}
	if (rc != 0) {
		if (m->mp != NULL)
			memp_close(m->mp);
		free(m);
		errno = rc;
		return NULL;
	}
	return m;
}

void mpool_filter(MPOOL *m, void (*pgin)(void *, pgno_t, void *),
		  void (*pgout)(void *, pgno_t, void *), void *pgcookie)
{
	if (m == NULL)
		return;
	atomic_store_explicit(&m->cookie, pgcookie, memory_order_relaxed);
	atomic_store_explicit(&m->pgin, pgin, memory_order_release);
	atomic_store_explicit(&m->pgout, pgout, memory_order_release);
}

void *(mpool_new)(MPOOL *m, pgno_t *pgnoaddr, unsigned int flags)
{
	void *page = NULL;
	int rc;

	if (m == NULL || pgnoaddr == NULL ||
	    (flags != MPOOL_PAGE_REQUEST && flags != MPOOL_PAGE_NEXT)) {
		errno = EINVAL;
		return NULL;
	}
	if (flags == MPOOL_PAGE_REQUEST) {
		rc = lfm__buf_new_at(m->mpf, *pgnoaddr, &page);
	} else {
		db_pgno_t pgno = 0;
		rc = lfm__buf_get(m->mpf, &pgno, DB_MPOOL_NEW, &page);
		if (rc == 0)
			*pgnoaddr = pgno;
	}
	if (rc != 0) {
		errno = rc;
		return NULL;
	}
	return page;
}

void *mpool_get(MPOOL *m, pgno_t pgno, unsigned int flags)
{
	void *page = NULL;

	if (m == NULL || (flags & ~(unsigned int)MPOOL_IGNOREPIN) != 0) {
		errno = EINVAL;
		return NULL;
	}
	db_pgno_t p = pgno;
	int rc = lfm__buf_get(m->mpf, &p, 0, &page);
	if (rc == 0 && (flags & MPOOL_IGNOREPIN))
		rc = lfm__buf_put(m->mpf, page, 0);
	if (rc != 0) {
		errno = rc;
		return NULL;
	}
	return page;
}

int mpool_put(MPOOL *m, void *pgaddr, unsigned int flags)
{
	if (m == NULL || pgaddr == NULL ||
	    (flags & ~(unsigned int)MPOOL_DIRTY) != 0) {
		errno = EINVAL;
		return -1;
	}
	int rc = lfm__buf_put(m->mpf, pgaddr,
			      (flags & MPOOL_DIRTY) ? DB_MPOOL_DIRTY : 0);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	return 0;
}

int mpool_delete(MPOOL *m, void *page)
{
	if (m == NULL || page == NULL) {
		errno = EINVAL;
		return -1;
	}
	int rc = lfm__buf_delete(m->mpf, page);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	return 0;
}

int mpool_sync(MPOOL *m)
{
	if (m == NULL) {
		errno = EINVAL;
		return -1;
	}
	int wrote = 0;
	int rc = lfm__flush(m->mp, m->mpf->slot, NULL, NULL, &wrote, 1);
	if (rc != 0) {
		errno = rc == DB_INCOMPLETE ? EAGAIN : rc;
		return -1;
	}
	return 0;
}

int mpool_close(MPOOL *m)
{
	if (m == NULL) {
		errno = EINVAL;
		return -1;
	}
	/* Writes nothing; the borrowed fd stays open. */
	int rc = memp_close(m->mp);
	free(m);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	return 0;
}
