/*
 * pageio.h - moving one page between a frame and its file.
 *
 * Both functions run with LFM_F_EXCL held on the frame by the caller, so the
 * page bytes are stable and nobody else reads them meanwhile.
 */
#ifndef LFM_PAGEIO_H
#define LFM_PAGEIO_H

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

/* Writes the frame's page (through pgout on a copy) and clears DIRTY.
 * Returns 0 or an errno / pgout value; on failure the page stays dirty and
 * untouched. */
int lfm__page_write(struct lfm__pool *mp, struct lfm__frame *f, uint64_t tag,
		    struct lfm__tls_node *t);

/* Writes a page that users may hold pinned (the caller holds a pin of its
 * own): DIRTY is cleared first, so a change made during the copy dirties
 * it again; a failed write sets DIRTY back. */
int lfm__page_write_copy(struct lfm__pool *mp, struct lfm__frame *f,
			 uint64_t tag, struct lfm__tls_node *t);

#endif
