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
 *
 * Its part of the region is the hand alone, on a line of its own: misses
 * of every thread move it. Relaxed fetch_add: any interleaving is a valid
 * sweep.
 */
#include "policy.h"

#include "tcache.h"

/* Hand positions a search reserves at a time: one shared add for several
 * steps. */
#define HAND_BATCH 8

struct clock_part {
	_Atomic uint64_t hand;
} __attribute__((aligned(LFM_CACHELINE)));

/* A search's own state, in the scan's opaque words. */
struct __attribute__((may_alias)) clock_scan {
	struct lfm__region_hdr *rh;
	struct clock_part *part;
	struct lfm__frame *frames;
	uint64_t steps, idle, max_idle;
	uint64_t pos, left; /* the stretch of the hand this search holds */
	uint32_t n, stride;
};

_Static_assert(sizeof(struct clock_scan) <=
		   sizeof(((struct lfm__policy_scan *)0)->priv),
	       "CLOCK's scan state fits the scan's words");

static struct clock_scan *cs(struct lfm__policy_scan *sc)
{
	return (struct clock_scan *)sc->priv;
}

static uint64_t clock_part_size(void)
{
	return sizeof(struct clock_part);
}

static void clock_part_init(void *state)
{
	atomic_init(&((struct clock_part *)state)->hand, 0);
}

uint64_t lfm__clock_hand(struct lfm__region_hdr *rh)
{
	void *state;
	const struct lfm__policy_methods *m = lfm__policy_of(rh, &state);
	LFM_ASSERT(m == &lfm__clock_policy);
	(void)m;
	return atomic_load_explicit(&((struct clock_part *)state)->hand,
				    memory_order_relaxed);
}

static uint64_t hand_next(struct clock_scan *c)
{
	if (c->left == 0) {
		c->pos = atomic_fetch_add_explicit(&c->part->hand, HAND_BATCH,
						   memory_order_relaxed);
		c->left = HAND_BATCH;
	}
	c->left--;
	return c->pos++;
}

static int clock_begin(struct lfm__policy_scan *sc, struct lfm__region_hdr *rh,
		       void *state, uint32_t stride, int one_turn)
{
	uint32_t n = atomic_load_explicit(&rh->nframes, memory_order_acquire);
	struct clock_scan *c = cs(sc);
	sc->busy = NULL;
	sc->examined = 0;
	*c = (struct clock_scan){
	    .rh = rh,
	    .part = state,
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
	c->steps = (uint64_t)n * (2 * LFM_F_USAGE_MAX + 3);
	/* Pools that grow rather than fail stop after a turn that changed
	 * nothing (every frame pinned: one turn, not the whole bound). The
	 * others keep the bound: while other searches drain USAGE ahead of
	 * this one, a turn of its own steps may see no candidate although
	 * frames are unpinned, and giving up there would be wrong. */
	c->max_idle = one_turn ? n : c->steps;
	return 1;
}

static struct lfm__frame *clock_next(struct lfm__policy_scan *sc,
				     uint32_t *state)
{
	struct clock_scan *c = cs(sc);
	while (sc->examined < c->steps && c->idle++ < c->max_idle) {
		sc->examined++;
		struct lfm__frame *f = &c->frames[hand_next(c) % c->n];
		uint32_t s =
		    atomic_load_explicit(&f->state, memory_order_acquire);
		if ((s & (LFM_F_EXCL | LFM_F_VALID)) ==
			(LFM_F_EXCL | LFM_F_VALID) &&
		    !(s & LFM_F_DIRECT_MASK))
			sc->busy = f; /* being written or evicted: soon free */
		if ((s & (LFM_F_DIRECT_MASK | LFM_F_EXCL)) ||
		    lfm__frame_bufsize(f) < c->stride)
			continue;
		if (lfm__st_usage(s) > 0 && !(s & LFM_F_DISCARD)) {
			/* Relaxed: a lost decrement only delays eviction. */
			atomic_compare_exchange_weak_explicit(
			    &f->state, &s, s - LFM_F_USAGE_ONE,
			    memory_order_relaxed, memory_order_relaxed);
			c->idle = 0;
			continue;
		}
		*state = s;
		return f;
	}
	return NULL;
}

static int clock_claim(struct lfm__policy_scan *sc, struct lfm__frame *f,
		       uint32_t s)
{
	if (lfm__st_slotref(s) == 0)
		return 1;
	struct lfm__region_hdr *rh = cs(sc)->rh;
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
		cs(sc)->idle = 0;
		return 0;
	}
	return stolen != 0; /* 0: HELD by a user through a cache */
}

static void clock_progress(struct lfm__policy_scan *sc)
{
	cs(sc)->idle = 0;
}

const struct lfm__policy_methods lfm__clock_policy = {
    .name = "clock",
    .state_size = clock_part_size,
    .state_init = clock_part_init,
    .scan_begin = clock_begin,
    .scan_next = clock_next,
    .scan_claim = clock_claim,
    .scan_progress = clock_progress,
};
