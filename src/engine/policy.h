/*
 * policy.h - replacement policies: which unpinned frame to give up next.
 *
 * A policy only proposes. It never takes EXCL, writes, unlinks, waits, or
 * knows about files, flushers or processes; the victim module (victim.h)
 * asks it for candidates, decides whether each can go now (dirty pages
 * left to flushers, pages this process cannot write), takes it and
 * writes it. PostgreSQL splits the same way: freelist.c's clock sweep
 * proposes an unpinned buffer, bufmgr.c flushes and invalidates it.
 *
 * Policies are chosen through a method table (as SQLite's
 * sqlite3_pcache_methods2), called on the miss path only: the hit path
 * never calls a policy. A region's policy is fixed when it is created
 * (the process's choice then, lfm__policy_select; CLOCK unless a test
 * chose another) and recorded in its policy part, so every process that
 * joins it uses the same (lfm__policy_of). The policies:
 *   clock  CLOCK (clock_policy.c), the library's;
 *   fifo   first in, first out with DISCARD first (fifo_policy.c): the
 *          minimal policy the eviction conformance suite also runs.
 *
 * A policy implements (struct lfm__policy_methods):
 *
 *   state_size(), state_init(state)
 *       the bytes of shared state it keeps in the region (its part of
 *       LFM_PART_POLICY, after the policy's id) and their initialisation
 *       in a new region (zeroed memory, before anyone else maps it).
 *       Nobody else reads that state.
 *   scan_begin(sc, rh, state, stride, one_turn)
 *       starts a search for a frame with a buffer of at least `stride`
 *       bytes (0: of any size; the victim module trades frames of other
 *       sizes itself); 0 if there are no frames yet. `one_turn`: give up
 *       after a turn of the frames that changed nothing (pools that grow
 *       instead of failing); otherwise after enough steps that a search
 *       finding nothing has seen every frame pinned, not merely recently
 *       used. It must leave sc->plog as the caller set it.
 *   scan_next(sc, &state)
 *       the next candidate: not pinned, not in EXCL, big enough, and cold
 *       by the policy's rule; `state` is the state word it was judged by.
 *       NULL when the search is over.
 *   scan_claim(sc, f, state)
 *       the caller would take f: the policy drops the references thread
 *       caches keep on it (tcache.h), or keeps it if its rule says they
 *       show it was used (then 0: pass it over). 1: take it, if its EXCL
 *       can be had.
 *   scan_progress(sc)
 *       the caller passed a candidate over for a reason of its own (left
 *       to the flushers, a failed write): the search is not idle.
 *
 * What a policy learns of accesses is in the region's own words: a pin
 * raises the frame's USAGE (frame.h) and a pin through a thread cache
 * sets its entry's REF (tcache.h); DISCARD asks for the frame to go
 * first. A policy reads those words in its own way (FIFO ignores USAGE
 * and REF); one needing more per-frame history keeps it in its part,
 * indexed as the frames are, and the victim module does not change.
 *
 * Every search is a thread's own (struct lfm__policy_scan is on its
 * stack; `priv` is the policy's, opaque to the caller); the shared state
 * a policy moves (its part, USAGE) is changed by atomic operations only.
 */
#ifndef LFM_POLICY_H
#define LFM_POLICY_H

#include "frame.h"
#include "region.h"

#include <stdint.h>

struct lfm__policy_scan {
	/* The searcher's pin log, for the thread caches' references a
	 * claim drops (tcache.h; NULL in a private region): set by the
	 * caller before scan_begin. */
	_Atomic uint16_t *plog;
	/* Set by the policy, read by the caller: the last frame seen
	 * unpinned but held in EXCL (being written or evicted), what a
	 * caller that found nothing may wait for; and the frames the search
	 * examined (st_alloc_pages). */
	struct lfm__frame *busy;
	uint64_t examined;
	/* The policy's own search state (a may_alias struct of its own). */
	uint64_t priv[12];
};

struct lfm__policy_methods {
	const char *name;
	uint64_t (*state_size)(void);
	void (*state_init)(void *state);
	int (*scan_begin)(struct lfm__policy_scan *sc,
			  struct lfm__region_hdr *rh, void *state,
			  uint32_t stride, int one_turn);
	struct lfm__frame *(*scan_next)(struct lfm__policy_scan *sc,
					uint32_t *state);
	int (*scan_claim)(struct lfm__policy_scan *sc, struct lfm__frame *f,
			  uint32_t state);
	void (*scan_progress)(struct lfm__policy_scan *sc);
};

extern const struct lfm__policy_methods lfm__clock_policy;
extern const struct lfm__policy_methods lfm__fifo_policy;

/* The region's part LFM_PART_POLICY for policy m: its size, and its
 * initialisation in a new region (the policy's id, then m->state_init). */
uint64_t lfm__policy_part_size(const struct lfm__policy_methods *m);
void lfm__policy_part_init(struct lfm__region_hdr *rh,
			   const struct lfm__policy_methods *m);

/* The policy of region rh and its state in the region (*state), or NULL
 * if the region names a policy this build does not have. */
const struct lfm__policy_methods *lfm__policy_of(struct lfm__region_hdr *rh,
						 void **state);

/* The policy regions this process creates from now on get. */
const struct lfm__policy_methods *lfm__policy_default(void);

/* CLOCK's hand in region rh (which must use CLOCK): for white-box tests. */
uint64_t lfm__clock_hand(struct lfm__region_hdr *rh);

#endif
