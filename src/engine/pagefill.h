/*
 * pagefill.h - reading one page from its file into a frame (writes:
 * pagewrite.h).
 *
 * It runs with LFM_F_EXCL held on the frame by the caller, so the
 * page bytes are stable and nobody else reads them meanwhile.
 */
#ifndef LFM_PAGEFILL_H
#define LFM_PAGEFILL_H

#include "pool.h"
#include "stats.h"

enum lfm__fill {
	LFM_FILL_READ,	 /* read from the file (zeroes past its end); pgin */
	LFM_FILL_CREATE, /* zeroes; pgin (LFM_GET_CREATE of a missing page) */
	LFM_FILL_NEW	 /* zeroes; no pgin (LFM_GET_NEW) */
};

/* Fills the frame with page `tag`. Returns 0 or an errno / pgin value. */
int lfm__page_fill(struct lfm__pool *mp, struct lfm__frame *f, uint64_t tag,
		   enum lfm__fill how, struct lfm__tls_node *t);

#endif
