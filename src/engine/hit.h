/*
 * hit.h - the hit path: memp_fget and memp_fput of a resident page, in as
 * few instructions as the protocol allows.
 *
 * Nothing here is a new rule. These are early exits of buf.c's general
 * path (get_page and release) for its commonest case, with every choice the
 * general path makes at run time (flags, mapping, which pin, which
 * counters) made once. Anything unusual (a miss, a frame under EXCL or
 * retagged, a full pin field, DISCARD, a pin this thread cannot name)
 * leaves before any shared word has changed, and the general path then runs
 * from the start. So the two paths can never disagree about state: the
 * fast one only ever completes a whole operation or does nothing.
 *
 * It keeps no state of its own. A get finds the page's frame, probably,
 * as its bucket's first (the frame table appends, so a resident page keeps
 * its place), and then the thread's cache entry of that frame (tcache.h:
 * entry = frame number mod the cache's size); the entry names the frame
 * and carries the page's tag only while it references the frame, so a
 * stale guess fails the check and takes the walk. A put finds the frame
 * from the page's address by a shift (one page size: region.h,
 * uniform_shift) and the same entry. One compare each, so no branch is
 * taken at random (docs/hit-path.md).
 */
#ifndef LFM_HIT_H
#define LFM_HIT_H

#include "pool.h"

/* memp_fget(mpf, pgnoaddr, 0, pagep); a mapped file or a thread without a
 * pin cache goes to lfm__get, a page that is not resident to
 * lfm__buf_get. The caller has checked for NULLs. */
int lfm__hit_get(struct lfm__fh *mpf, uint32_t *pgnoaddr, unsigned long zero,
		 void **pagep);

/* memp_fput(mpf, page, flags) for flags 0 or LFM_PUT_DIRTY; anything
 * unusual goes to lfm__put or lfm__buf_put. The caller has
 * checked for NULLs. */
int lfm__hit_put(struct lfm__fh *mpf, void *page, unsigned long flags);

#endif
