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
 * Its only state of its own is the calling thread's record of the page it
 * last got (lfm__tls_node.last_*: owner-only, process-local), which lets
 * that page's put find the pin without the frame; the record is checked
 * against the entry word or the frame's tag before it is trusted, and a
 * stale one just sends the put the long way.
 */
#ifndef LFM_HIT_H
#define LFM_HIT_H

#include "pool.h"

/* memp_fget(mpf, pgnoaddr, 0, pagep); a mapped file or a thread without a
 * pin cache goes to lfm__get, a page that is not resident to
 * lfm__buf_get. The caller has checked for NULLs. */
int lfm__hit_get(struct lfm__fh *mpf, uint32_t *pgnoaddr, void **pagep);

/* memp_fput(mpf, page, flags) for flags 0 or LFM_PUT_DIRTY; anything
 * unusual goes to lfm__put or lfm__buf_put. The caller has
 * checked for NULLs. */
int lfm__hit_put(struct lfm__fh *mpf, void *page, unsigned long flags);

#endif
