/*
 * policy.h - the replacement policy: which unpinned frame to give up next.
 *
 * A policy only proposes. It never takes EXCL, writes, unlinks, waits, or
 * knows about files, flushers or processes; the victim module (victim.h)
 * asks it for candidates, decides whether each can go now (dirty pages
 * left to flushers, pages this process cannot write), takes it and
 * writes it. PostgreSQL splits the same way: freelist.c's clock sweep
 * proposes an unpinned buffer, bufmgr.c flushes and invalidates it.
 *
 * The interface a policy implements (CLOCK today, clock_policy.c):
 *
 *   lfm__policy_begin(sc, rh, stride, one_turn)
 *       starts a search for a frame with a buffer of at least `stride`
 *       bytes (0: of any size; the victim module trades frames of other
 *       sizes itself); 0 if there are no frames yet. `one_turn`: give up
 *       after a turn of the frames that changed nothing (pools that grow
 *       instead of failing); otherwise after enough steps that a search
 *       finding nothing has seen every frame pinned, not merely recently
 *       used.
 *   lfm__policy_next(sc, &state)
 *       the next candidate: not pinned, not in EXCL, big enough, and cold
 *       by the policy's rule; `state` is the state word it was judged by.
 *       NULL when the search is over.
 *   lfm__policy_claim(sc, f, state)
 *       the caller would take f: the policy drops the references thread
 *       caches keep on it (tcache.h), or keeps it if they show it was used
 *       (then 0: pass it over). 1: take it, if its EXCL can be had.
 *   lfm__policy_progress(sc)
 *       the caller passed a candidate over for a reason of its own (left
 *       to the flushers, a failed write): the search is not idle.
 *   sc->busy
 *       the last frame seen unpinned but held in EXCL (being written or
 *       evicted): what a caller that found nothing may wait for.
 *
 * What a policy learns of accesses is in the region's own words: a pin
 * raises the frame's USAGE (frame.h) and a pin through a thread cache
 * sets its entry's REF (tcache.h); DISCARD asks for the frame to go
 * first. A second policy (CLOCK-Pro, 2Q) reads those words in its own
 * way; one needing more per-frame history keeps it beside the frames,
 * indexed as they are, and the victim module does not change.
 *
 * Every search is a thread's own (the state is on its stack); the shared
 * state a policy moves (CLOCK's hand, USAGE) is changed by atomic
 * operations only, relaxed: a lost decrement just delays an eviction.
 */
#ifndef LFM_POLICY_H
#define LFM_POLICY_H

#include "frame.h"
#include "region.h"

#include <stdint.h>

struct lfm__policy_scan {
	struct lfm__region_hdr *rh;
	struct lfm__frame *frames;
	struct lfm__frame *busy;
	uint64_t k, steps, idle, max_idle;
	uint64_t pos, left; /* the stretch of the hand this search holds */
	uint32_t n, stride;
	/* The searcher's pin log, for the thread caches' references it
	 * drops (tcache.h; NULL in a private region): set by the caller
	 * after lfm__policy_begin. */
	_Atomic uint16_t *plog;
};

/* 0 if the pool has no frame yet (nothing to propose). */
int lfm__policy_begin(struct lfm__policy_scan *sc, struct lfm__region_hdr *rh,
		      uint32_t stride, int one_turn);
struct lfm__frame *lfm__policy_next(struct lfm__policy_scan *sc,
				    uint32_t *state);
int lfm__policy_claim(struct lfm__policy_scan *sc, struct lfm__frame *f,
		      uint32_t state);

static inline void lfm__policy_progress(struct lfm__policy_scan *sc)
{
	sc->idle = 0;
}

#endif
