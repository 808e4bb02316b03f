/*
 * recover.h - taking back what dead processes held in a shared region.
 *
 * A process is dead when its slot is claimed and nobody holds the slot's
 * lock byte (shm.h); recovery then runs under LFM_LOCK_RECOVER, holding
 * every dead slot's lock itself, while the survivors go on. What the dead
 * held is attributable to them, and is taken back in this order:
 *
 *  0. A recount a recoverer that died left half done (pinrecount.h) is
 *     redone first: live processes wait on the log entries it held.
 *  1. Region locks whose owner id is a dead slot + 1 are broken
 *     (futex.h). Chains and file slots change by single publishing
 *     stores, so each is consistent at any instant; carving's counts
 *     (several stores under carve_lock) are recomputed from the frames
 *     if a dead process held carve_lock (lfm__region_carve_repair).
 *  2. Frames in EXCL with a dead slot's OWNER bits (frame.h): recovery
 *     adopts the EXCL. A VALID frame still linked in its chain held a
 *     whole page (a write or an eviction in progress; writes never touch
 *     the cached bytes): it is released as it is, DIRTY kept, for
 *     survivors to write. Anything else (a read in progress, a victim
 *     being prepared, a carved frame, one being retired) is unlinked if
 *     linked, untagged and released free: the waiters wake, miss, and the
 *     next reader reads the page again.
 *  3. Pins: every frame a dead process's pin log or thread caches name is
 *     recounted from the live processes (pinlog.h, pinrecount.h), which
 *     takes back exactly the dead's pins whatever instant they died at,
 *     and their thread caches are freed.
 *  4. Their flusher threads, from the region's count (proc_flushers).
 *
 * Every step can be done again with the same result, so a recoverer that
 * dies is recovered in turn by the next, which finds the work as it was
 * left. Nothing is ever released twice.
 */
#ifndef LFM_RECOVER_H
#define LFM_RECOVER_H

#include "pool.h"
#include "shm.h"

/* Recovers the dead process slots in mask `dead` (the caller holds their
 * lock bytes, under RECOVER): lfm__shm_release_fn. 0 or EAGAIN. */
int lfm__recover_procs(struct lfm__shm *s, uint32_t dead);

/* Recovers every dead process of mp's shared region (0 if private): the
 * flushers' periodic watch, memp_open, and a miss about to fail with
 * ENOMEM call it. Returns how many were recovered. */
int lfm__recover_dead(struct lfm__pool *mp);

#endif
