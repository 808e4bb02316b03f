/*
 * clock_policy.c - CLOCK, the replacement policy (policy.h).
 *
 * The hand moves over carved frames: a frame with pins or EXCL is passed,
 * one with USAGE > 0 loses one, one with USAGE 0 (or DISCARD) and no pins
 * is proposed. Frames referenced only by thread caches age the same way:
 * a cached hit writes no shared state, so it cannot keep USAGE up; it
 * sets its entry's REF instead (tcache.h), and at USAGE 0 an entry with
 * REF loses it and gives the frame full USAGE again, an entry without is
 * stolen. A page that goes on being hot for its thread comes back into
 * its cache at the next use (the emptied entry keeps the tag: a ghost). A
 * discarded page's entries are stolen, REF or not: it is the next to go.
 */
#include "policy.h"

#include "tcache.h"

/* Hand positions a search reserves at a time: one shared add for several
 * steps. */
#define HAND_BATCH 8

static uint64_t hand_next(struct lfm__policy_scan *sc)
{
	if (sc->left == 0) {
		sc->pos = atomic_fetch_add_explicit(
		    &sc->rh->clock_hand, HAND_BATCH, memory_order_relaxed);
		sc->left = HAND_BATCH;
	}
	sc->left--;
	return sc->pos++;
}

int lfm__policy_begin(struct lfm__policy_scan *sc, struct lfm__region_hdr *rh,
		      uint32_t stride, int one_turn)
{
	uint32_t n = atomic_load_explicit(&rh->nframes, memory_order_acquire);
	*sc = (struct lfm__policy_scan){
	    .rh = rh,
	    .frames = lfm__frames(rh),
	    .n = n,
	    .stride = stride,
	};
	if (n == 0)
		return 0;
	/* USAGE_MAX decrements, a REF restoring USAGE_MAX, as many
	 * decrements again and the take: a search that finds nothing has
	 * seen every frame pinned (or in use since it began), never just
	 * recently used. */
	sc->steps = (uint64_t)n * (2 * LFM_F_USAGE_MAX + 3);
	/* Pools that grow rather than fail stop after a turn that changed
	 * nothing (every frame pinned: one turn, not the whole bound). The
	 * others keep the bound: while other searches drain USAGE ahead of
	 * this one, a turn of its own steps may see no candidate although
	 * frames are unpinned, and giving up there would be wrong. */
	sc->max_idle = one_turn ? n : sc->steps;
	return 1;
}

struct lfm__frame *lfm__policy_next(struct lfm__policy_scan *sc,
				    uint32_t *state)
{
	while (sc->k < sc->steps && sc->idle++ < sc->max_idle) {
		sc->k++;
		struct lfm__frame *f = &sc->frames[hand_next(sc) % sc->n];
		uint32_t s =
		    atomic_load_explicit(&f->state, memory_order_acquire);
		if ((s & (LFM_F_EXCL | LFM_F_VALID)) ==
			(LFM_F_EXCL | LFM_F_VALID) &&
		    !(s & LFM_F_DIRECT_MASK))
			sc->busy = f; /* being written or evicted: soon free */
		if ((s & (LFM_F_DIRECT_MASK | LFM_F_EXCL)) ||
		    lfm__frame_bufsize(f) < sc->stride)
			continue;
		if (lfm__st_usage(s) > 0 && !(s & LFM_F_DISCARD)) {
			/* Relaxed: a lost decrement only delays eviction. */
			atomic_compare_exchange_weak_explicit(
			    &f->state, &s, s - LFM_F_USAGE_ONE,
			    memory_order_relaxed, memory_order_relaxed);
			sc->idle = 0;
			continue;
		}
		*state = s;
		return f;
	}
	return NULL;
}

int lfm__policy_claim(struct lfm__policy_scan *sc, struct lfm__frame *f,
		      uint32_t s)
{
	if (lfm__st_slotref(s) == 0)
		return 1;
	struct lfm__region_hdr *rh = sc->rh;
	int used = 0;
	uint32_t stolen = (s & LFM_F_DISCARD)
			      ? lfm__tcache_steal(rh, f, sc->plog)
			      : lfm__tcache_age(rh, f, &used, sc->plog);
	if (used) {
		/* Used through a cache since the last turn: as hot as a page
		 * pinned again and again (an entry exists only from its
		 * owner's second use on). Relaxed, as the decrement. */
		atomic_compare_exchange_strong_explicit(
		    &f->state, &s,
		    (s & ~LFM_F_USAGE_MASK) |
			(LFM_F_USAGE_MAX << LFM_F_USAGE_SHIFT),
		    memory_order_relaxed, memory_order_relaxed);
		sc->idle = 0;
		return 0;
	}
	return stolen != 0; /* 0: HELD by a user through a cache */
}
