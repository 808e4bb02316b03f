/* pinlog.c - a process's pin log: waiting for an entry, and taking its
 * own pins back (see pinlog.h). */
#include "pinlog.h"

#include "frame.h"
#include "lfm_assert.h"
#include "spin.h"

uint16_t lfm__pinlog_wait(_Atomic uint16_t *e)
{
	/* A holder alive lets go within a few instructions (P2), unless it
	 * was descheduled: spin briefly, then yield to it. Recovery holds an
	 * entry for a frame's recount (a few microseconds); one that died
	 * holding it is undone by the next recovery (pinlog.h). */
	ck_backoff_t backoff = CK_BACKOFF_INITIALIZER;
	for (int round = 0;; lfm__spin_or_yield(&backoff, &round)) {
		uint16_t v = atomic_load_explicit(e, memory_order_relaxed);
		if (!(v & LFM_PINLOG_LOCKS))
			return v;
	}
}

uint32_t lfm__pinlog_take(struct lfm__region_hdr *rh, uint32_t proc,
			  uint32_t idx)
{
	/* Shared regions only: private ones have no log. */
	LFM_ASSERT(rh->off_pins != 0 && proc < LFM_NPROCS);
	LFM_ASSERT(idx <
		   atomic_load_explicit(&rh->nframes, memory_order_relaxed));
	_Atomic uint16_t *e = &lfm__pinlog_of(rh, proc)[idx];
	if ((atomic_load_explicit(e, memory_order_relaxed) &
	     LFM_PINLOG_COUNT) == 0)
		return 0;
	uint32_t c = lfm__pinlog_lock(e);
	struct lfm__frame *f = &lfm__frames(rh)[idx];
	uint32_t s = atomic_load_explicit(&f->state, memory_order_relaxed);
	uint32_t d = 0;
	while (c > 0) {
		/* Never below zero, whatever the log says. Release: our users'
		 * page writes come before whoever takes EXCL next. */
		d = c < lfm__st_direct(s) ? c : lfm__st_direct(s);
		if (d == 0 || atomic_compare_exchange_weak_explicit(
				  &f->state, &s, s - d * LFM_F_DIRECT_ONE,
				  memory_order_release, memory_order_relaxed))
			break;
	}
	lfm__pinlog_unlock(e, 0);
	return d;
}

void lfm__pinlog_drain(struct lfm__region_hdr *rh, uint32_t proc)
{
	LFM_ASSERT(proc < LFM_NPROCS);
	if (rh->off_pins == 0)
		return;
	uint32_t n = atomic_load_explicit(&rh->nframes, memory_order_acquire);
	for (uint32_t i = 0; i < n; i++)
		(void)lfm__pinlog_take(rh, proc, i);
}
