/*
 * mpool_api.c - the 4.4BSD/FreeBSD mpool(3) API on the engine.
 *
 * An MPOOL is an engine pool holding one file: the caller's fd, attached
 * as borrowed (never closed) with a partial last page ignored, as the
 * original did. With a key (a NUL-terminated byte string) the pool is a
 * shared region in <tmpdir>/__lfm_mpool.key.<hex>: every process using the
 * same key shares the buffers, and when the region already holds a file
 * the fd is ignored (the file is opened by its recorded path). The region
 * is removed by the last mpool_close. The pool is elastic (region.h): it carves
 * frames past maxcache while every cached page is pinned and gives them back as
 * pins go, which is what btree and recno expect; the budget is an engine
 * option (the region's geometry) set here. The void-returning filters are
 * the engine's pgin/pgout through an internal file type; the engine hands
 * back this process's MPOOL with each call (a file's cookie, which is in
 * the region and the same in every process, could not name it).
 */
#include "engine.h"

/* db_mpool.h must come before mpool.h (see mpool.h): for its types. */
#include "db_mpool.h"
#include "mpool.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
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
/* Read-only files up to this size are mapped; an MPOOL's never is (it is
 * attached read-write), so only misses copy from a mapping. */
#define MPOOL_MMAPSIZE (10 * 1024 * 1024)

typedef void (*mpool_filter_fn)(void *, pgno_t, void *);

struct __lfm_mpool {
	struct lfm__pool *epool;
	struct lfm__fh *fh;
	/* Set by mpool_filter while other threads may be reading a page in:
	 * atomics, and the cookie is published before the functions. */
	_Atomic(mpool_filter_fn) filter_pgin;
	_Atomic(mpool_filter_fn) filter_pgout;
	_Atomic(void *) filter_cookie;
};

/* The engine's page functions of MPOOL_FTYPE: these two markers, which
 * call_page tells apart to run the MPOOL's pgin or pgout filter. */
static void filter_in(void)
{
}
static void filter_out(void)
{
}

static int call_page(void *arg, lfm__fnptr fn, uint32_t pgno, void *page,
		     const void *cookie, uint32_t cookie_size)
{
	struct __lfm_mpool *m = arg;
	(void)cookie;
	(void)cookie_size;
	mpool_filter_fn f = atomic_load_explicit(
	    fn == filter_in ? &m->filter_pgin : &m->filter_pgout,
	    memory_order_acquire);
	if (f != NULL)
		f(atomic_load_explicit(&m->filter_cookie, memory_order_relaxed),
		  pgno, page);
	return 0;
}

/* mpool(3) pages carry no LSN, so nothing calls this. */
static int call_logflush(lfm__fnptr fn, void *arg, const struct lfm__lsn *lsn)
{
	(void)fn;
	(void)arg;
	(void)lsn;
	return 0;
}

static const struct lfm__calls mpool_calls = {
    .page = call_page,
    .logflush = call_logflush,
};

/* The caller's fd, about to be used: 0, EBADF, ESPIPE ("must be
 * seekable") or EINVAL (not a regular file). */
static int check_fd(int fd)
{
	struct stat st;
	if (fstat(fd, &st) != 0 || lseek(fd, 0, SEEK_CUR) < 0)
		return errno;
	return S_ISREG(st.st_mode) ? 0 : EINVAL;
}

/* A shared pool's file: the one already there (its fd then ignored, as
 * the manual page says, whatever it is, -1 too: we open the file by its
 * path), or the caller's. */
static int attach_file(struct __lfm_mpool *m, int fd, pgno_t pagesize,
		       int shared)
{
	char name[LFM_NAME_MAX + 16];
	struct lfm__attach a = {
	    .name = name,
	    .ftype = MPOOL_FTYPE,
	    /* As libc's: a dirty page of a read-only fd is accepted and its
	     * write fails (EBADF) at eviction or sync. */
	    .rdonly = 0,
	    .pagesize = pagesize,
	    .lsn_offset = -1,
	    .borrowed = 1,
	    .partial_ok = 1,
	};
	char apath[LFM_NAME_MAX];
	for (int tries = 0; tries < 2; tries++) {
		if (shared && lfm__pool_first_file(m->epool, apath)) {
			int own = open(apath, O_RDWR | O_CLOEXEC);
			if (own < 0)
				own = open(apath, O_RDONLY | O_CLOEXEC);
			if (own < 0)
				return errno;
			snprintf(name, sizeof(name), "(mpool %s)", apath);
			a.borrowed = 0; /* ours: closed with the pool */
			return lfm__file_attach(m->epool, own, &a, &m->fh);
		}
		int rc = check_fd(fd);
		if (rc != 0)
			return rc;
		snprintf(name, sizeof(name), "(mpool fd %d)", fd);
		rc = lfm__file_attach(m->epool, fd, &a, &m->fh);
		/* Another process attached its file first: share that one. */
		if (!(shared && rc == EMFILE))
			return rc;
	}
	return EMFILE;
}

MPOOL *mpool_open(void *key, int fd, pgno_t pagesize, pgno_t maxcache)
{
	int rc;
	if (pagesize == 0 || pagesize > LFM_PAGESIZE_MAX) {
		errno = EINVAL;
		return NULL;
	}
	/* With a key, fd is checked only if it is used (attach_file). */
	if (key == NULL && (rc = check_fd(fd)) != 0) {
		errno = rc;
		return NULL;
	}
	if (maxcache == 0)
		maxcache = 1;

	struct __lfm_mpool *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	uint64_t stride = lfm__page_footprint(pagesize);
	/* A shared region cannot grow, and a later process may ask for a
	 * larger maxcache ("the largest value specified by any of the
	 * processes" rules): room for LFM_KEY_MIN_PAGES at least. Pages never
	 * carved cost address space only. */
	uint64_t room = key != NULL && maxcache < LFM_KEY_MIN_PAGES
			    ? LFM_KEY_MIN_PAGES
			    : maxcache;
	struct lfm__pool_geom g = {
	    .cache_bytes = stride * room,
	    .nfiles_max = 1,
	    .elastic = 1,
	    .max_resident = maxcache,
	    .extra_bytes = stride * MPOOL_EXTRA_PAGES,
	};
	struct lfm__pool_opts o = {
	    .calls = &mpool_calls,
	    .calls_arg = m,
	    .create = 1,
	    .mode = 0600,
	    .mmapsize = MPOOL_MMAPSIZE,
	    .unlink_close = 1, /* when the last one goes */
	};
	if (key == NULL) {
		rc = lfm__pool_open(NULL, &g, &o, &m->epool);
	} else {
		char path[PATH_MAX];
		rc = lfm__pool_key_path(key, path, sizeof(path));
		/* A region nobody is attached to is left over from processes
		 * that died: start afresh rather than join their file. */
		if (rc == 0)
			(void)lfm__pool_unlink(path, 0);
		if (rc == 0)
			rc = lfm__pool_open(path, &g, &o, &m->epool);
		if (rc == 0)
			lfm__pool_raise_budget(m->epool, maxcache);
	}
	if (rc == 0)
		rc = lfm__pool_register(m->epool, MPOOL_FTYPE, filter_in,
					filter_out);
	if (rc == 0)
		rc = attach_file(m, fd, pagesize, key != NULL);
	if (rc != 0) {
		if (m->epool != NULL)
			lfm__pool_close(m->epool);
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
	atomic_store_explicit(&m->filter_cookie, pgcookie,
			      memory_order_relaxed);
	atomic_store_explicit(&m->filter_pgin, pgin, memory_order_release);
	atomic_store_explicit(&m->filter_pgout, pgout, memory_order_release);
}

void *(mpool_new)(MPOOL *m, pgno_t *pgnoaddr, unsigned int flags)
{
	void *newpage = NULL;
	int rc;

	if (m == NULL || pgnoaddr == NULL ||
	    (flags != MPOOL_PAGE_REQUEST && flags != MPOOL_PAGE_NEXT)) {
		errno = EINVAL;
		return NULL;
	}
	if (flags == MPOOL_PAGE_REQUEST) {
		rc = lfm__new_at(m->fh, *pgnoaddr, &newpage);
	} else {
		uint32_t next = 0;
		rc = lfm__get(m->fh, &next, LFM_GET_NEW, &newpage);
		if (rc == 0)
			*pgnoaddr = next;
	}
	if (rc != 0) {
		errno = rc;
		return NULL;
	}
	return newpage;
}

void *mpool_get(MPOOL *m, pgno_t pgno, unsigned int flags)
{
	void *page = NULL;

	if (m == NULL || (flags & ~(unsigned int)MPOOL_IGNOREPIN) != 0) {
		errno = EINVAL;
		return NULL;
	}
	uint32_t p = pgno;
	int rc = lfm__get(m->fh, &p, 0, &page);
	if (rc == 0 && (flags & MPOOL_IGNOREPIN))
		rc = lfm__put(m->fh, page, 0);
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
	int rc =
	    lfm__put(m->fh, pgaddr, (flags & MPOOL_DIRTY) ? LFM_PUT_DIRTY : 0);
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
	int rc = lfm__delete(m->fh, page);
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
	int rc = lfm__file_sync(m->fh, 1);
	if (rc != 0) {
		errno = rc == LFM_INCOMPLETE ? EAGAIN : rc;
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
	int rc = lfm__pool_close(m->epool);
	free(m);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	return 0;
}
