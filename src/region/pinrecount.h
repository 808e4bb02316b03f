/*
 * pinrecount.h - making a frame's pin counts exact again after processes
 * died, whatever instant they died at (the protocol is pinlog.h's).
 *
 * Recovery calls this for every frame a dead process may have held or been
 * changing: those its pin log names (a COUNT, or its own lock bit) and
 * those its thread caches' entries name. With every other process's log
 * entry for the frame held by recovery (REC), so that no live change is
 * under way (pinlog.h, P1), the frame's DIRECT becomes the sum of the
 * live processes' COUNTs and its SLOTREF the number of live thread-cache
 * entries naming it; the dead processes' entries naming it are emptied and
 * their COUNTs zeroed, in the same step. The result depends only on live
 * state, so a recount can be done again, any number of times: that is
 * what makes recovery itself recoverable. The region header's
 * `recover_frame` names the frame while recovery holds REC bits, so that
 * the next recoverer, if this one dies, takes them as its own and redoes
 * it (lfm__pinrecount_resume) before anything else.
 *
 * Callers: recovery only (recover.h), one process at a time (the RECOVER
 * byte and the process's recover_lock), holding the dead slots' lock
 * bytes, no region lock.
 */
#ifndef LFM_PINRECOUNT_H
#define LFM_PINRECOUNT_H

#include <stdint.h>

#include "region.h"

/* Whether process slot k's owner has died since recovery began: a live
 * process that dies holding its log entry leaves it held for good. */
typedef int (*lfm__died_fn)(void *arg, uint32_t k);

/* Recounts frame idx for the dead slots in mask `dead`. 0, or EAGAIN when
 * a process outside `dead` died holding its entry (nothing was changed:
 * the caller widens `dead` and starts again). */
int lfm__pinrecount_frame(struct lfm__region_hdr *rh, uint32_t idx,
			  uint32_t dead, lfm__died_fn died, void *arg);

/* Redoes the recount a dead recoverer left half done (its frame in
 * recover_frame), if any. 0 or EAGAIN, as lfm__pinrecount_frame. */
int lfm__pinrecount_resume(struct lfm__region_hdr *rh, uint32_t dead,
			   lfm__died_fn died, void *arg);

/* Every frame the dead slots may have left counted wrong: recounts each
 * frame their logs or their thread caches name, then frees their thread
 * caches. 0 or EAGAIN. */
int lfm__pinrecount_dead(struct lfm__region_hdr *rh, uint32_t dead,
			 lfm__died_fn died, void *arg);

#endif
