/* getput.h - the general get, put and set of a cached page (getput.c);
 * the hit path (hit.c) is their early exit. Arguments are validated by the
 * API layer; these return 0 or an errno value. */
#ifndef LFM_GETPUT_H
#define LFM_GETPUT_H

#include "pool.h"

#include <string.h>

#define LFM_PGNO_MAX 0xfffffffeull

int lfm__buf_get(struct lfm__fh *mpf, uint32_t *pgnoaddr, unsigned long flags,
		 void **pagep);
int lfm__buf_put(struct lfm__fh *mpf, void *page, unsigned long flags);
/* lfm__new_at and lfm__delete (mpool_new with MPOOL_PAGE_REQUEST,
 * mpool_delete) are defined in getput.c and declared in engine.h. */
int lfm__buf_set(struct lfm__fh *mpf, void *page, unsigned long flags);
/* Drops a pin on f (holding `tag`) that is not in the calling thread's own
 * cache, applying set/clear: a direct pin of this process, else a HELD
 * count in another of its threads' entries (rule 10). 0, or -1 when there
 * is none (a stale pointer: nothing changes). */
int lfm__buf_drop_pin(struct lfm__pool *mp, struct lfm__frame *f, uint32_t set,
		      uint32_t clear);
/* memp_fclose of file `slot`'s last handle in this process: every pin this
 * process still holds on the file's pages is released (its users are done
 * with the file, as memp_fclose requires). Returns the pins released. */
uint64_t lfm__buf_release_file(struct lfm__pool *mp, uint32_t slot);

#endif
