/*
 * pins.h - this process's direct pins. In a shared region each is logged
 * in the process's pin log, under the log's entry for the frame (pinlog.h,
 * P1), so that whatever instant the process dies at, recovery knows its
 * pins exactly; a private pool's pins need no owner and skip the log.
 */
#ifndef LFM_PINS_H
#define LFM_PINS_H

#include "crashpoint.h"
#include "pinlog.h"
#include "pool.h"

/* This process's pin-log entry for f: NULL in a private region. */
static inline _Atomic uint16_t *lfm__pins_log(struct lfm__pool *mp,
					      const struct lfm__frame *f)
{
	return mp->plog != NULL ? &mp->plog[lfm__frame_idx(mp->rh, f)] : NULL;
}

/* Whether this process may hold a direct pin on f: its logged COUNT (a
 * hint, read without the entry; always "maybe", 1, in a private region,
 * where pins are not attributed). */
static inline int lfm__pins_holds(struct lfm__pool *mp,
				  const struct lfm__frame *f)
{
	_Atomic uint16_t *e = lfm__pins_log(mp, f);
	return e == NULL || (atomic_load_explicit(e, memory_order_relaxed) &
			     LFM_PINLOG_COUNT) != 0;
}

/* The shared-region forms of the two below (pins.c). */
enum lfm__pin_result lfm__pin_direct_logged(struct lfm__pool *mp,
					    struct lfm__frame *f, uint64_t tag);
int lfm__unpin_direct_logged(struct lfm__pool *mp, struct lfm__frame *f,
			     uint32_t set, uint32_t clear, int wait);
int lfm__pins_holds_logged(struct lfm__pool *mp, const struct lfm__frame *f);

/* As lfm__pins_holds, but exact: waits for a thread of this process that
 * holds f's entry (moving its cache entry's pins to DIRECT as it exits,
 * tcache.c entry_to_direct) and reads the COUNT it leaves. */
static inline int lfm__pins_holds_wait(struct lfm__pool *mp,
				       const struct lfm__frame *f)
{
	return mp->plog == NULL || lfm__pins_holds_logged(mp, f);
}

/* Pins f, expected to hold `tag`, directly: LFM_PIN_* as lfm__frame_pin
 * (a retagged frame is MISMATCH, the stale pin undone). */
static inline enum lfm__pin_result
lfm__pin_direct(struct lfm__pool *mp, struct lfm__frame *f, uint64_t tag)
{
	if (mp->plog == NULL)
		return lfm__frame_pin(f, tag, LFM_F_DIRECT_ONE);
	return lfm__pin_direct_logged(mp, f, tag);
}

/* Drops one direct pin of this process's on f, or-ing in `set` and and-ing
 * out `clear` in the same step: in a shared region only a pin this
 * process logged. 0, or -1 with nothing changed. */
static inline int lfm__unpin_direct(struct lfm__pool *mp, struct lfm__frame *f,
				    uint32_t set, uint32_t clear)
{
	if (mp->plog == NULL)
		return lfm__frame_unpin(f, LFM_F_DIRECT_ONE, set, clear);
	return lfm__unpin_direct_logged(mp, f, set, clear, 0);
}

/* As lfm__unpin_direct, but exact where that one trusts the hint: waits
 * for a thread of this process that holds f's entry (an exiting thread
 * moving its pins here) before reading the COUNT. */
static inline int lfm__unpin_direct_wait(struct lfm__pool *mp,
					 struct lfm__frame *f, uint32_t set,
					 uint32_t clear)
{
	if (mp->plog == NULL)
		return lfm__frame_unpin(f, LFM_F_DIRECT_ONE, set, clear);
	return lfm__unpin_direct_logged(mp, f, set, clear, 1);
}

/* A fill's end: releases f's EXCL with the page VALID, used once, and
 * pinned for the caller (logged in a shared region). */
void lfm__pins_fill_done(struct lfm__pool *mp, struct lfm__frame *f);

/* mpool_delete's step: the caller's pin on f, if it is the only pin and
 * direct (and, in a shared region, logged by this process), becomes EXCL
 * in one CAS. 1: EXCL held; 0: nothing changed. */
int lfm__pins_direct_to_excl(struct lfm__pool *mp, struct lfm__frame *f);

#endif
