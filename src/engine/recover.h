/*
 * recover.h - taking back what a dead process held in a shared region.
 *
 * A process is dead when its slot is claimed and nobody holds the slot's
 * lock byte (shm.h); recovery then runs under LFM_LOCK_RECOVER, holding
 * the dead slot's lock itself, while the survivors go on. What the dead
 * process held is attributable to it, and is taken back in this order:
 *
 *  1. Region locks whose owner id is its slot + 1 are broken (futex.h).
 *     Chains, file slots and carving change by single publishing stores,
 *     so each is consistent at any instant.
 *  2. Frames in EXCL with its OWNER bits (frame.h): recovery adopts the
 *     EXCL. A VALID frame still linked in its chain held a whole page (a
 *     write or an eviction in progress; writes never touch the cached
 *     bytes): it is released as it is, DIRTY kept, for survivors to
 *     write. Anything else (a read in progress, a victim being prepared,
 *     a carved frame) is unlinked if linked, untagged and released free:
 *     the waiters wake, miss, and the next reader reads the page again.
 *  3. Its direct pins, from its pin log (pinlog.h).
 *  4. Its thread caches: entries' references and the pins held through
 *     them (tcache.h).
 *  5. Its flusher threads, from the region's count (proc_flushers).
 *
 * What is not recovered: a pin taken in the few instructions between a
 * state-word CAS and its log entry (pinlog.h) stays, i.e. one frame stays
 * resident; this errs on the safe side. Nothing is ever released twice.
 */
#ifndef LFM_RECOVER_H
#define LFM_RECOVER_H

#include "pool.h"

/* Recovers process slot k (dead; the caller holds its lock byte); `self`
 * is the recoverer's owner id for the locks it takes (futex.h). */
void lfm__recover_proc(struct lfm__region_hdr *rh, uint32_t k, uint32_t self);

/* Recovers every dead process of mp's shared region (0 if private): the
 * flushers' periodic watch, memp_open, and a miss about to fail with
 * ENOMEM call it. Returns how many were recovered. */
int lfm__recover_dead(struct lfm__pool *mp);

#endif
