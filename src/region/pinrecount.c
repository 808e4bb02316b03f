/* pinrecount.c - a frame's pin counts made exact after deaths (see
 * pinrecount.h, and pinlog.h for the protocol). */
#include "pinrecount.h"

#include "crashpoint.h"
#include "frame.h"
#include "lfm_assert.h"
#include "pinlog.h"
#include "tcache.h"

#include <errno.h>
#include <sched.h>

/* Looks at a live process's held entry this many times, yielding between,
 * before asking whether the process died holding it. */
#define DEATH_CHECK_EVERY 64

static int is_dead(uint32_t dead, uint32_t proc_plus_1)
{
	return proc_plus_1 != 0 && (dead >> (proc_plus_1 - 1)) & 1;
}

/* Takes slot k's entry e for recovery: REC set, its COUNT in *count. A REC
 * bit already there is a dead recoverer's (only the frame in
 * recover_frame can have one, and recovery is one process at a time): it
 * is ours now. Acquire: the holder's changes to the frame come first. */
static int take_entry(_Atomic uint16_t *e, uint32_t k, lfm__died_fn died,
		      void *arg, uint16_t *count)
{
	uint16_t v = atomic_load_explicit(e, memory_order_acquire);
	for (uint32_t i = 1;; i++) {
		if (v & LFM_PINLOG_REC)
			break;
		if (!(v & LFM_PINLOG_OWN)) {
			if (atomic_compare_exchange_weak_explicit(
				e, &v, (uint16_t)(v | LFM_PINLOG_REC),
				memory_order_acquire, memory_order_acquire))
				break;
			continue;
		}
		/* Held by one of k's threads, in the middle of a change
		 * (P2: a few instructions), or by one that died with it. */
		if (i % DEATH_CHECK_EVERY == 0 && died(arg, k))
			return EAGAIN;
		sched_yield();
		v = atomic_load_explicit(e, memory_order_acquire);
	}
	*count = v & LFM_PINLOG_COUNT;
	return 0;
}

/* The thread-cache entries naming frame idx: counts the live ones,
 * empties the dead ones (each handle has one entry for the frame,
 * tcache.h). */
static uint32_t count_entries(struct lfm__region_hdr *rh, uint32_t idx,
			      uint32_t dead)
{
	uint32_t live = 0;
	uint32_t hi =
	    atomic_load_explicit(&rh->handles_hiwater, memory_order_acquire);
	for (uint32_t i = 0; i < hi; i++) {
		struct lfm__handle *h = lfm__handle_at(rh, i);
		if (atomic_load_explicit(&h->owner, memory_order_acquire) == 0)
			continue; /* given back empty */
		struct lfm__tc_entry *e = lfm__tc_entry(rh, h, idx);
		uint64_t w =
		    atomic_load_explicit(&e->word, memory_order_acquire);
		if (lfm__tc_frame(w) != idx + 1)
			continue;
		if (!is_dead(dead, atomic_load_explicit(
				       &h->proc, memory_order_relaxed))) {
			live++;
			continue;
		}
		/* A live owner or thief empties an entry only under its log
		 * entry for the frame, which we hold; REF may still change. */
		while (lfm__tc_frame(w) == idx + 1)
			if (atomic_compare_exchange_weak_explicit(
				&e->word, &w, 0, memory_order_acq_rel,
				memory_order_acquire)) {
				/* The dead's hits: counted, as a thief's. */
				lfm__tcache_harvest(rh, NULL, w);
				break;
			}
	}
	return live;
}

int lfm__pinrecount_frame(struct lfm__region_hdr *rh, uint32_t idx,
			  uint32_t dead, lfm__died_fn died, void *arg)
{
	LFM_ASSERT(rh->off_pins != 0 && dead != 0);
	LFM_ASSERT(idx <
		   atomic_load_explicit(&rh->nframes, memory_order_relaxed));
	struct lfm__frame *f = &lfm__frames(rh)[idx];
	_Atomic uint16_t *ent[LFM_NPROCS];
	uint16_t count[LFM_NPROCS];
	uint32_t taken = 0, direct = 0;

	/* Named before any REC bit is set, so that our death leaves a trail:
	 * the next recoverer's stores and ours are ordered by the RECOVER
	 * lock it takes after the kernel drops ours. */
	atomic_store_explicit(&rh->recover_frame, idx + 1,
			      memory_order_seq_cst);
	for (uint32_t k = 0; k < LFM_NPROCS; k++) {
		ent[k] = &lfm__pinlog_of(rh, k)[idx];
		if ((dead >> k) & 1)
			continue;
		if (take_entry(ent[k], k, died, arg, &count[k]) != 0) {
			for (uint32_t j = 0; j < k; j++)
				if ((taken >> j) & 1)
					atomic_store_explicit(
					    ent[j], count[j],
					    memory_order_release);
			atomic_store_explicit(&rh->recover_frame, 0,
					      memory_order_release);
			return EAGAIN;
		}
		taken |= 1u << k;
		direct += count[k];
	}
	LFM_CRASH_POINT(LFM_CRASH_RECOUNT_HELD);

	/* Nothing live changes the frame's counts now (pinlog.h, P1). */
	uint32_t slotref = count_entries(rh, idx, dead);
	uint32_t s = atomic_load_explicit(&f->state, memory_order_acquire);
	LFM_ASSERT(direct <= LFM_DIRECT_MAX && slotref <= LFM_SLOTREF_MAX);
	uint32_t refs = direct * LFM_F_DIRECT_ONE + slotref * LFM_F_SLOTREF_ONE;
	/* Release: what the dead wrote to the page comes before whoever
	 * takes EXCL once the frame looks unpinned. */
	while ((s & LFM_F_REFS_MASK) != refs &&
	       !atomic_compare_exchange_weak_explicit(
		   &f->state, &s, (s & ~LFM_F_REFS_MASK) | refs,
		   memory_order_acq_rel, memory_order_acquire))
		;
	LFM_CRASH_POINT(LFM_CRASH_RECOUNT_SET);

	for (uint32_t k = 0; k < LFM_NPROCS; k++)
		if ((dead >> k) & 1)
			atomic_store_explicit(ent[k], 0, memory_order_relaxed);
	for (uint32_t k = 0; k < LFM_NPROCS; k++)
		if ((taken >> k) & 1)
			atomic_store_explicit(ent[k], count[k],
					      memory_order_release);
	atomic_store_explicit(&rh->recover_frame, 0, memory_order_release);
	return 0;
}

int lfm__pinrecount_resume(struct lfm__region_hdr *rh, uint32_t dead,
			   lfm__died_fn died, void *arg)
{
	uint32_t v =
	    atomic_load_explicit(&rh->recover_frame, memory_order_acquire);
	return v != 0 ? lfm__pinrecount_frame(rh, v - 1, dead, died, arg) : 0;
}

int lfm__pinrecount_dead(struct lfm__region_hdr *rh, uint32_t dead,
			 lfm__died_fn died, void *arg)
{
	int rc;
	/* Frames the dead's thread caches name (each recount empties the
	 * dead's entries naming its frame). */
	for (uint32_t i = 0; i < rh->nhandles; i++) {
		struct lfm__handle *h = lfm__handle_at(rh, i);
		if (atomic_load_explicit(&h->owner, memory_order_acquire) ==
			0 ||
		    !is_dead(dead, atomic_load_explicit(&h->proc,
							memory_order_relaxed)))
			continue;
		struct lfm__tc_entry *e = lfm__tc_entries(h);
		for (uint32_t k = 0; k < rh->tc_entries; k++) {
			uint64_t w = atomic_load_explicit(&e[k].word,
							  memory_order_acquire);
			if (w != 0 && (rc = lfm__pinrecount_frame(
					   rh, lfm__tc_frame(w) - 1, dead, died,
					   arg)) != 0)
				return rc;
		}
	}
	/* Frames their logs name: a COUNT, or a change cut short. */
	uint32_t n = atomic_load_explicit(&rh->nframes, memory_order_acquire);
	for (uint32_t idx = 0; idx < n; idx++) {
		for (uint32_t k = 0; k < LFM_NPROCS; k++) {
			if (!((dead >> k) & 1) ||
			    atomic_load_explicit(&lfm__pinlog_of(rh, k)[idx],
						 memory_order_relaxed) == 0)
				continue;
			if ((rc = lfm__pinrecount_frame(rh, idx, dead, died,
							arg)) != 0)
				return rc;
			break;
		}
	}
	/* Their caches are empty now: give them back. */
	for (uint32_t i = 0; i < rh->nhandles; i++) {
		struct lfm__handle *h = lfm__handle_at(rh, i);
		if (atomic_load_explicit(&h->owner, memory_order_acquire) ==
			0 ||
		    !is_dead(dead, atomic_load_explicit(&h->proc,
							memory_order_relaxed)))
			continue;
		LFM_DEBUG_ONLY(struct lfm__tc_entry *e = lfm__tc_entries(h));
		LFM_DEBUG_ONLY(
		    for (uint32_t k = 0; k < rh->tc_entries; k++)
			LFM_ASSERT(atomic_load_explicit(
				       &e[k].word, memory_order_relaxed) == 0));
		atomic_store_explicit(&h->proc, 0, memory_order_relaxed);
		atomic_store_explicit(&h->owner, 0, memory_order_release);
	}
	return 0;
}
