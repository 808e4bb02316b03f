/* pageio.c - page reads and writes with pgin/pgout (see pageio.h). */
#include "pageio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int lfm__pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done,
				  (off_t)(off + done));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	memset((char *)buf + done, 0, len - done);
	return 0;
}

int lfm__pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = pwrite(fd, (const char *)buf + done, len - done,
				   (off_t)(off + done));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (n == 0)
			return EIO;
		done += (size_t)n;
	}
	return 0;
}

/* The file's cookie, or `none` (an empty DBT on the caller's stack) so that
 * pgin/pgout always get a valid pointer. */
static DBT *cookie_of(struct lfm__pfile *pf, DBT *none)
{
	struct lfm__cookie *c =
	    atomic_load_explicit(&pf->cookie, memory_order_acquire);
	return c != NULL ? &c->dbt : none;
}

int lfm__page_fill(DB_MPOOL *mp, struct lfm__frame *f, uint64_t tag,
		   enum lfm__fill how, struct lfm__tls_node *t)
{
	uint32_t slot = lfm__tag_slot(tag), pgno = lfm__tag_pgno(tag);
	struct lfm__file *file = &lfm__files(mp->rh)[slot];
	struct lfm__pfile *pf = &mp->pfiles[slot];
	void *page = lfm__frame_page(mp->rh, f);
	size_t ps = file->pagesize;
	int rc = 0;

	if (how == LFM_FILL_READ) {
		rc = lfm__pread_full(pf->fd, page, ps, (uint64_t)pgno * ps);
		if (rc != 0)
			return rc;
		lfm__stat_add(t, mp->rh, slot, LFM_ST_IN, 1);
	} else {
		memset(page, 0, ps);
		lfm__stat_add(t, mp->rh, slot, LFM_ST_CREATE, 1);
	}
	if (how != LFM_FILL_NEW) {
		lfm__pgfn pgin =
		    atomic_load_explicit(&pf->pgin, memory_order_acquire);
		DBT none = {0};
		if (pgin != NULL)
			rc = pgin(pgno, page, cookie_of(pf, &none));
	}
	return rc;
}

/*
 * Writes f's page. `shared`: users may hold the page pinned (mpool_sync),
 * so DIRTY is cleared before the bytes are copied (a change made during the
 * copy dirties it again) and the write always goes from a copy. Otherwise
 * the caller holds EXCL: the page is written in place unless pgout needs a
 * copy, and DIRTY is cleared after the write. Either way a failed write
 * leaves the page dirty and unchanged.
 */
static int write_page(DB_MPOOL *mp, struct lfm__frame *f, uint64_t tag,
		      struct lfm__tls_node *t, int shared)
{
	uint32_t slot = lfm__tag_slot(tag), pgno = lfm__tag_pgno(tag);
	struct lfm__file *file = &lfm__files(mp->rh)[slot];
	struct lfm__pfile *pf = &mp->pfiles[slot];
	void *page = lfm__frame_page(mp->rh, f);
	size_t ps = file->pagesize;
	lfm__pgfn pgout =
	    atomic_load_explicit(&pf->pgout, memory_order_acquire);
	const void *src = page;
	void *copy = NULL;
	int rc = 0;

	if (pf->fd_rw < 0)
		return EACCES; /* cannot happen: dirty needs a writable open */
	if (shared || pgout != NULL) {
		/* pgout may transform in place (byte-swap, checksum): it gets
		 * a copy so the cached page keeps its in-memory form. */
		copy = malloc(ps);
		if (copy == NULL)
			return ENOMEM;
		if (shared)
			atomic_fetch_and_explicit(&f->state, ~LFM_F_DIRTY,
						  memory_order_acq_rel);
		memcpy(copy, page, ps);
		src = copy;
		if (pgout != NULL) {
			DBT none = {0};
			rc = pgout(pgno, copy, cookie_of(pf, &none));
		}
	}
	if (rc == 0)
		rc = lfm__pwrite_full(pf->fd_rw, src, ps, (uint64_t)pgno * ps);
	free(copy);
	if (rc != 0) {
		if (shared)
			atomic_fetch_or_explicit(&f->state, LFM_F_DIRTY,
						 memory_order_relaxed);
		return rc;
	}
	if (!shared)
		atomic_fetch_and_explicit(&f->state, ~LFM_F_DIRTY,
					  memory_order_relaxed);
	lfm__stat_add(t, mp->rh, slot, LFM_ST_OUT, 1);
	return 0;
}

int lfm__page_write(DB_MPOOL *mp, struct lfm__frame *f, uint64_t tag,
		    struct lfm__tls_node *t)
{
	return write_page(mp, f, tag, t, 0);
}

int lfm__page_write_copy(DB_MPOOL *mp, struct lfm__frame *f, uint64_t tag,
			 struct lfm__tls_node *t)
{
	return write_page(mp, f, tag, t, 1);
}
