/*
 * checkpoint.h - memp_sync: a checkpoint writes every page modified before
 * it began.
 *
 * A transaction manager's checkpoint calls memp_sync(lsn) and, while the
 * answer is LFM_INCOMPLETE, calls again with the same LSN; once it returns
 * 0 the log before lsn may be discarded. So the pages a checkpoint must
 * write are fixed when it starts, whatever their own LSNs (a page's LSN is
 * that of its latest change; an older, committed change may be on it too):
 *   - every page dirty at that moment;
 *   - every page pinned at that moment: its holder may have changed it and
 *     not said so yet. It counts once released dirty (then it is written)
 *     and drops out if released clean.
 * Pages first dirtied after the start are not in the set, so a busy
 * server's checkpoint ends. A page of the set written by anyone since
 * (flusher, eviction, memp_fsync) counts as written; the checkpoint then
 * fdatasyncs it with the rest. This is how Berkeley DB 2.x's memp_sync
 * (BH_WRITE) and PostgreSQL's checkpointer (BM_CHECKPOINT_NEEDED) do it.
 *
 * The set is a mark per frame (lfm__frame.ckpt, region.h): the
 * generation of the checkpoint that put the page in it.
 *
 * State, in the region's part LFM_PART_CKPT (ckpt_state.h; any process
 * may continue a checkpoint):
 *   state = generation << 2 | phase, changed by CAS only:
 *     CLOSED   the last checkpoint finished (or none began);
 *     MARKING  generation g is marking its set; a caller that finds it so
 *              marks too (the marks are the same, and a starter that died
 *              mid-pass must not wedge the next), then opens it;
 *     OPEN     g's set is marked; calls write what is left of it.
 *   lsn: the LSN g was started with.
 * A call starts a new generation (and marks) when the state is CLOSED or
 * its LSN is past `lsn` (the larger LSN supersedes, as in Berkeley DB:
 * its set holds every page the older one still needed); otherwise it
 * continues the open one. The call that finds nothing left of the set
 * closes it, by CAS from the generation it worked on, so a newer one
 * started meanwhile stays open.
 *
 * Returns 0 (then *lsn is the largest page LSN the checkpoint wrote, if it
 * wrote a page with one), LFM_INCOMPLETE (pages of the set are pinned, or
 * belong to another process's temporary file), or the first write or
 * fdatasync error (the set keeps every page not made durable).
 */
#ifndef LFM_CHECKPOINT_H
#define LFM_CHECKPOINT_H

#include "ckpt_state.h"
#include "pool.h"

/* The checkpoint itself is lfm__pool_checkpoint (engine.h). */

#endif
