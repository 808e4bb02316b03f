/* pinlog.c - taking back a process's logged direct pins (see pinlog.h). */
#include "pinlog.h"

#include "frame.h"
#include "lfm_assert.h"

uint32_t lfm__pinlog_take(struct lfm__region_hdr *rh, uint32_t proc,
			  uint32_t idx)
{
	/* Shared regions only: private ones have no log. */
	LFM_ASSERT(rh->off_pins != 0 && proc < LFM_NPROCS);
	LFM_ASSERT(idx <
		   atomic_load_explicit(&rh->nframes, memory_order_relaxed));
	_Atomic uint16_t *log = lfm__pinlog_of(rh, proc);
	uint32_t c =
	    atomic_exchange_explicit(&log[idx], 0, memory_order_relaxed);
	if (c == 0)
		return 0;
	struct lfm__frame *f = &lfm__frames(rh)[idx];
	uint32_t s = atomic_load_explicit(&f->state, memory_order_relaxed);
	uint32_t d;
	do {
		/* Never below zero, whatever the log says. */
		d = c < lfm__st_direct(s) ? c : lfm__st_direct(s);
	} while (d > 0 && !atomic_compare_exchange_weak_explicit(
			      &f->state, &s, s - d * LFM_F_DIRECT_ONE,
			      memory_order_release, memory_order_relaxed));
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
