/* pageio.c - page reads and writes with pgin/pgout (see pageio.h). */
#include "pageio.h"

#include "fileio.h"
#include "writeback.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
		uint64_t off = (uint64_t)pgno * ps;
		enum lfm__mapio_rc m = LFM_MAPIO_NO;
		/* A scan goes to pread, which reads ahead (mapio.h). */
		if (t == NULL || tag != t->last_fill + 1)
			m = lfm__mapio_read(&pf->map, page, ps, off);
		if (t != NULL)
			t->last_fill = tag;
		if (m == LFM_MAPIO_COPIED) {
			lfm__stat_add(t, mp->rh, slot, LFM_ST_INMAP, 1);
		} else {
			size_t got;
			if (m == LFM_MAPIO_FAULT)
				lfm__stat_add(t, mp->rh, slot, LFM_ST_MAPFAULT,
					      1);
			rc = lfm__pread_full(pf->fd, page, ps, off, &got);
			if (rc != 0)
				return rc;
			if (got == ps)
				lfm__mapio_learn(&pf->map, off + ps);
		}
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
			rc = pgin(pgno, page, lfm__pfile_cookie(pf, &none));
	}
	return rc;
}

int lfm__page_write(DB_MPOOL *mp, struct lfm__frame *f, uint64_t tag,
		    struct lfm__tls_node *t)
{
	return lfm__wb_write_one(mp, f, tag, t);
}

/*
 * Users may hold the page pinned (mpool_sync), so DIRTY is cleared before
 * the bytes are copied (a change made during the copy dirties it again),
 * and the write goes from the copy, which pgout may transform. A failed
 * write sets DIRTY back: the page is never lost.
 */
int lfm__page_write_copy(DB_MPOOL *mp, struct lfm__frame *f, uint64_t tag,
			 struct lfm__tls_node *t)
{
	uint32_t slot = lfm__tag_slot(tag), pgno = lfm__tag_pgno(tag);
	struct lfm__pfile *pf = &mp->pfiles[slot];
	size_t ps = lfm__files(mp->rh)[slot].pagesize;
	lfm__pgfn pgout =
	    atomic_load_explicit(&pf->pgout, memory_order_acquire);
	DB_LSN lsn;
	int rc = 0;

	int fd = lfm__pfile_wfd(mp, slot);
	if (fd < 0)
		return EACCES; /* cannot happen: dirty needs a writable open */
	void *copy = malloc(ps);
	if (copy == NULL)
		return ENOMEM;
	atomic_fetch_and_explicit(&f->state, ~LFM_F_DIRTY,
				  memory_order_acq_rel);
	memcpy(copy, lfm__frame_page(mp->rh, f), ps);
	if (lfm__wb_page_lsn(mp->rh, slot, copy, &lsn))
		rc = lfm__wb_wal(mp, slot, &lsn);
	if (rc == 0 && pgout != NULL) {
		DBT none = {0};
		rc = pgout(pgno, copy, lfm__pfile_cookie(pf, &none));
	}
	if (rc == 0) {
		struct iovec iov = {.iov_base = copy, .iov_len = ps};
		rc = lfm__page_store(mp, slot, fd, &iov, 1, (uint64_t)pgno * ps,
				     t);
	}
	free(copy);
	if (rc != 0) {
		atomic_fetch_or_explicit(&f->state, LFM_F_DIRTY,
					 memory_order_relaxed);
		return rc;
	}
	atomic_store_explicit(&lfm__files(mp->rh)[slot].unsynced, 1,
			      memory_order_relaxed);
	lfm__stat_add(t, mp->rh, slot, LFM_ST_OUT, 1);
	return 0;
}

int lfm__page_store(DB_MPOOL *mp, uint32_t slot, int fd, struct iovec *iov,
		    uint32_t n, uint64_t off, struct lfm__tls_node *t)
{
	struct lfm__mapio *m = &mp->pfiles[slot].map;
	uint32_t i = 0;
	for (; i < n; i++) {
		size_t len = iov[i].iov_len;
		enum lfm__mapio_rc rc =
		    lfm__mapio_write(m, off, iov[i].iov_base, len);
		if (rc != LFM_MAPIO_COPIED) {
			if (rc == LFM_MAPIO_FAULT)
				lfm__stat_add(t, mp->rh, slot, LFM_ST_MAPFAULT,
					      1);
			break;
		}
		off += len;
	}
	int rc = 0;
	if (i < n) {
		uint64_t end = off;
		for (uint32_t j = i; j < n; j++)
			end += iov[j].iov_len;
		rc = lfm__pwritev_full(fd, iov + i, (int)(n - i), off);
		if (rc == 0)
			lfm__mapio_learn(m, end);
	}
	/* Counted as LFM_ST_OUT is: only when the whole run is written. */
	if (rc == 0 && i != 0)
		lfm__stat_add(t, mp->rh, slot, LFM_ST_OUTMAP, i);
	return rc;
}
