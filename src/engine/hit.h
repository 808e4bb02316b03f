/*
 * hit.h - the hit path: memp_fget and memp_fput of a resident page, in as
 * few instructions as the protocol allows.
 *
 * Nothing here is a new rule. These are early exits of getput.c's general
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

/* lfm__hit_get and lfm__hit_put are declared in engine.h (through
 * pool.h), the adapters' view: memp_fget(mpf, pgnoaddr, 0, pagep) and
 * memp_fput(mpf, page, flags) for flags 0 or LFM_PUT_DIRTY, the caller
 * having checked for NULLs. A mapped file or a thread without a pin cache
 * goes to lfm__get or lfm__put, anything else unusual to getput.c. */

#endif
