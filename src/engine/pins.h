/*
 * pins.h - this process's direct pins and its pin log (pinlog.h): the log
 * is kept only in a shared region, where a dead process's pins must be
 * attributable; a private pool's pins need no owner.
 */
#ifndef LFM_PINS_H
#define LFM_PINS_H

#include "pinlog.h"
#include "pool.h"

/* Adds d (+1/-1, or a count) to this process's log for frame f. */
static inline void lfm__pinlog_add(struct lfm__pool *mp, struct lfm__frame *f,
				   int d)
{
	if (mp->shm == NULL)
		return;
	_Atomic uint16_t *log = lfm__pinlog_of(mp->rh, mp->lock_owner - 1);
	atomic_fetch_add_explicit(&log[lfm__frame_idx(mp->rh, f)], (uint16_t)d,
				  memory_order_relaxed);
}

/* Whether this process holds a logged direct pin on f (always "maybe",
 * i.e. 1, in a private region, where pins are not attributed). */
static inline int lfm__pinlog_holds(struct lfm__pool *mp, struct lfm__frame *f)
{
	if (mp->shm == NULL)
		return 1;
	_Atomic uint16_t *log = lfm__pinlog_of(mp->rh, mp->lock_owner - 1);
	return atomic_load_explicit(&log[lfm__frame_idx(mp->rh, f)],
				    memory_order_relaxed) != 0;
}

/* Drops one direct pin of this process on f, or-ing in `set` and and-ing
 * out `clear`: unlogged first, logged back if there was none to drop
 * (the order pinlog.h's recovery relies on). 0, or -1 with nothing
 * changed. */
static inline __attribute__((always_inline)) int
lfm__pinlog_unpin(struct lfm__pool *mp, struct lfm__frame *f, uint32_t set,
		  uint32_t clear)
{
	if (!lfm__pinlog_holds(mp, f))
		return -1;
	lfm__pinlog_add(mp, f, -1);
	if (lfm__frame_unpin(f, LFM_F_DIRECT_ONE, set, clear) == 0)
		return 0;
	lfm__pinlog_add(mp, f, 1);
	return -1;
}

#endif
