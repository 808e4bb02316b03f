/*
 * mpool_api.c - the 4.4BSD/FreeBSD mpool(3) API on the engine.
 *
 * An MPOOL is a pool (DB_MPOOL) holding one file: the caller's fd, attached
 * as borrowed (never closed) with a partial last page ignored, as the
 * original did. With a key (a NUL-terminated byte string) the pool is a
 * shared region in <tmpdir>/__lfm_mpool.key.<hex>: every process using the
 * same key shares the buffers, and when the region already holds a file
 * the fd is ignored (the file is opened by its recorded path). The region
 * is removed by the last mpool_close. The pool is elastic (region.h): it carves
 * frames past maxcache while every cached page is pinned and gives them back as
 * pins go, which is what btree and recno expect. The void-returning filters are
 * adapted to the engine's pgin/pgout through an internal file type whose
 * cookie names this MPOOL.
 */
/* db_mpool.h (through pool.h) must come before mpool.h: see mpool.h. */
#include "buf.h"
#include "flush.h"
#include "pool.h"
#include "shm.h"

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
/* Pages a keyed (shared) region has room for, whatever maxcache asks. */
#define LFM_KEY_MIN_PAGES 1024

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

/* A shared pool's file: the one already there (its fd then ignored, as
 * the manual page says: we open it by its path), or the caller's. */
static int attach_file(struct __lfm_mpool *m, int fd, pgno_t pagesize,
		       int shared)
{
	char name[LFM_PATH_MAX + 16];
	DBT cookie = {.data = &m, .size = sizeof(m)};
	struct lfm__attach a = {
	    .name = name,
	    .ftype = MPOOL_FTYPE,
	    /* As libc's: a dirty page of a read-only fd is accepted and its
	     * write fails (EBADF) at eviction or sync. */
	    .rdonly = 0,
	    .pagesize = pagesize,
	    .lsn_offset = -1,
	    .pgcookie = &cookie,
	    .borrowed = 1,
	    .partial_ok = 1,
	};
	struct lfm__file *f0 = &lfm__files(m->mp->rh)[0];
	for (int tries = 0; tries < 2; tries++) {
		if (shared &&
		    atomic_load_explicit(&f0->state, memory_order_acquire) ==
			LFM_FILE_ACTIVE) {
			int own = open(f0->apath, O_RDWR | O_CLOEXEC);
			if (own < 0)
				own = open(f0->apath, O_RDONLY | O_CLOEXEC);
			if (own < 0)
				return errno;
			snprintf(name, sizeof(name), "(mpool %s)", f0->apath);
			a.borrowed = 0; /* ours: closed with the pool */
			return lfm__fattach(m->mp, own, &a, &m->mpf);
		}
		snprintf(name, sizeof(name), "(mpool fd %d)", fd);
		int rc = lfm__fattach(m->mp, fd, &a, &m->mpf);
		/* Another process attached its file first: share that one. */
		if (!(shared && rc == EMFILE))
			return rc;
	}
	return EMFILE;
}

MPOOL *mpool_open(void *key, int fd, pgno_t pagesize, pgno_t maxcache)
{
	struct stat st;

	if (pagesize == 0 || pagesize > LFM_CHUNK) {
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
	/* A shared region cannot grow, and a later process may ask for a
	 * larger maxcache ("the largest value specified by any of the
	 * processes" rules): room for LFM_KEY_MIN_PAGES at least. Pages never
	 * carved cost address space only. */
	uint64_t room = key != NULL && maxcache < LFM_KEY_MIN_PAGES
			    ? LFM_KEY_MIN_PAGES
			    : maxcache;
	struct lfm__region_geom g = {
	    .cache_bytes = stride * room,
	    .nfiles_max = 1,
	    .nhandles = LFM_NHANDLES,
	    .elastic = 1,
	    .max_resident = maxcache,
	    .extra_bytes = stride * MPOOL_EXTRA_PAGES,
	};
	int rc;
	if (key == NULL) {
		rc = lfm__pool_create(&g, DB_THREAD, NULL, NULL, &m->mp);
	} else {
		char path[PATH_MAX];
		rc = lfm__shm_key_path(key, path, sizeof(path));
		/* A region nobody is attached to is left over from processes
		 * that died: start afresh rather than join their file. */
		if (rc == 0)
			(void)lfm__shm_unlink(path, 0);
		if (rc == 0)
			rc = lfm__pool_attach(path, &g, DB_CREATE | DB_THREAD,
					      0600, 0, NULL, &m->mp);
		if (rc == 0) {
			m->mp->unlink_at_close = 1; /* when the last one goes */
			uint32_t cur = atomic_load_explicit(
			    &m->mp->rh->max_resident, memory_order_relaxed);
			while (cur < maxcache &&
			       !atomic_compare_exchange_weak_explicit(
				   &m->mp->rh->max_resident, &cur, maxcache,
				   memory_order_relaxed, memory_order_relaxed))
				;
		}
	}
	if (rc == 0)
		rc = lfm__pool_register(m->mp, MPOOL_FTYPE, pgin_adapter,
					pgout_adapter);
	if (rc == 0)
		rc = attach_file(m, fd, pagesize, key != NULL);
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
	int rc = lfm__flush(m->mp, m->mpf->slot, 1);
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
