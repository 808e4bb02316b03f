/* pagefill.c - a page read (or zeroed) into its frame, then pgin (see
 * pagefill.h). */
#include "pagefill.h"
#include "pfile.h"

#include "fileio.h"
#include "lockrank.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int lfm__page_fill(struct lfm__pool *mp, struct lfm__frame *f, uint64_t tag,
		   enum lfm__fill how, struct lfm__tls_node *t)
{
	uint32_t slot = lfm__tag_slot(tag), pgno = lfm__tag_pgno(tag);
	struct lfm__file *file = &lfm__files(mp->rh)[slot];
	struct lfm__pfile *pf = &mp->pfiles[slot];
	void *page = lfm__frame_page(mp->rh, f);
	size_t ps = file->pagesize;
	int rc = 0;
	/* Under EXCL on the frame, already tagged with the page; no lock
	 * held across the read and pgin. */
	LFM_ASSERT(atomic_load_explicit(&f->state, memory_order_relaxed) &
		   LFM_F_EXCL);
	LFM_ASSERT(atomic_load_explicit(&f->tag, memory_order_relaxed) == tag);
	LFM_ASSERT(lfm__rank_none_held());

	if (how == LFM_FILL_READ) {
		uint64_t off = (uint64_t)pgno * ps;
		enum lfm__mapread_rc m = LFM_MAPREAD_NO;
		/* A scan goes to pread, which reads ahead (mapread.h). */
		if (t == NULL || tag != t->last_fill + 1)
			m = lfm__mapread_copy(&pf->map, page, ps, off);
		if (t != NULL)
			t->last_fill = tag;
		if (m == LFM_MAPREAD_COPIED) {
			lfm__stat_add(t, mp->rh, slot, LFM_ST_INMAP, 1);
		} else {
			size_t got;
			if (m == LFM_MAPREAD_FAULT)
				lfm__stat_add(t, mp->rh, slot, LFM_ST_MAPFAULT,
					      1);
			rc = lfm__pread_full(pf->fd, page, ps, off, &got);
			if (rc != 0)
				return rc;
			if (got == ps)
				lfm__mapread_learn(&pf->map, off + ps);
		}
		lfm__stat_add(t, mp->rh, slot, LFM_ST_IN, 1);
	} else {
		memset(page, 0, ps);
		lfm__stat_add(t, mp->rh, slot, LFM_ST_CREATE, 1);
	}
	if (how != LFM_FILL_NEW) {
		lfm__fnptr pgin = lfm__pfile_fn(mp, slot, 0);
		if (pgin != NULL)
			rc = lfm__pgcall(mp, slot, pgin, pgno, page);
	}
	return rc;
}
