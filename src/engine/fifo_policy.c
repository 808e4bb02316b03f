/*
 * fifo_policy.c - FIFO, the minimal replacement policy (policy.h): what
 * the eviction conformance suite runs beside CLOCK, to show that its
 * guarantees come from the mechanism (victim.c) and the interface, not
 * from CLOCK.
 *
 * A hand moves over the carved frames, as CLOCK's, and proposes every
 * frame it reaches that is unpinned, not in EXCL and big enough, however
 * recently it was used: pages leave in the order their frames were
 * filled. USAGE and the thread caches' REF bits are not read; a frame
 * referenced by thread caches has its entries stolen (a HELD entry is a
 * pin: the frame is passed). DISCARD goes first: each search begins with
 * one look over every frame for a discarded one, before the hand moves.
 * That look makes a miss O(frames): fine for a reference policy, which is
 * why CLOCK stays the library's.
 *
 * Its part of the region is the hand, as CLOCK's (relaxed fetch_add).
 */
#include "policy.h"

#include "tcache.h"

#define HAND_BATCH 8

/* Steps of the hand a search that finds nothing makes, per frame:
 * several, since other searches take positions between a search's
 * batches of its own. */
#define TURNS 3

struct fifo_part {
	_Atomic uint64_t hand;
} __attribute__((aligned(LFM_CACHELINE)));

struct __attribute__((may_alias)) fifo_scan {
	struct lfm__region_hdr *rh;
	struct fifo_part *part;
	struct lfm__frame *frames;
	uint64_t steps, idle, max_idle;
	uint64_t pos, left;
	uint32_t n, stride;
	uint32_t looked; /* frames of the DISCARD look done */
};

_Static_assert(sizeof(struct fifo_scan) <=
		   sizeof(((struct lfm__policy_scan *)0)->priv),
	       "FIFO's scan state fits the scan's words");

static struct fifo_scan *fs(struct lfm__policy_scan *sc)
{
	return (struct fifo_scan *)sc->priv;
}

static uint64_t fifo_part_size(void)
{
	return sizeof(struct fifo_part);
}

static void fifo_part_init(void *state)
{
	atomic_init(&((struct fifo_part *)state)->hand, 0);
}

static int fifo_begin(struct lfm__policy_scan *sc, struct lfm__region_hdr *rh,
		      void *state, uint32_t stride, int one_turn)
{
	uint32_t n = atomic_load_explicit(&rh->nframes, memory_order_acquire);
	struct fifo_scan *c = fs(sc);
	sc->busy = NULL;
	sc->examined = 0;
	*c = (struct fifo_scan){
	    .rh = rh,
	    .part = state,
	    .frames = lfm__frames(rh),
	    .n = n,
	    .stride = stride,
	    .steps = (uint64_t)n * TURNS,
	    .max_idle = one_turn ? n : (uint64_t)n * TURNS,
	};
	return n != 0;
}

/* Whether f, in state s, can be proposed; notes a frame being written or
 * evicted as the scan's busy one. */
static int free_now(struct lfm__policy_scan *sc, struct lfm__frame *f,
		    uint32_t s)
{
	if ((s & (LFM_F_EXCL | LFM_F_VALID)) == (LFM_F_EXCL | LFM_F_VALID) &&
	    !(s & LFM_F_DIRECT_MASK))
		sc->busy = f;
	return !(s & (LFM_F_DIRECT_MASK | LFM_F_EXCL)) &&
	       lfm__frame_bufsize(f) >= fs(sc)->stride;
}

static struct lfm__frame *fifo_next(struct lfm__policy_scan *sc,
				    uint32_t *state)
{
	struct fifo_scan *c = fs(sc);
	while (c->looked < c->n) {
		struct lfm__frame *f = &c->frames[c->looked++];
		sc->examined++;
		uint32_t s =
		    atomic_load_explicit(&f->state, memory_order_acquire);
		if ((s & LFM_F_DISCARD) && free_now(sc, f, s)) {
			*state = s;
			return f;
		}
	}
	uint64_t k = 0;
	while (c->steps > 0 && c->idle++ < c->max_idle) {
		c->steps--;
		k++;
		if (c->left == 0) {
			c->pos = atomic_fetch_add_explicit(
			    &c->part->hand, HAND_BATCH, memory_order_relaxed);
			c->left = HAND_BATCH;
		}
		c->left--;
		struct lfm__frame *f = &c->frames[c->pos++ % c->n];
		uint32_t s =
		    atomic_load_explicit(&f->state, memory_order_acquire);
		if (free_now(sc, f, s)) {
			sc->examined += k;
			*state = s;
			return f;
		}
	}
	sc->examined += k;
	return NULL;
}

static int fifo_claim(struct lfm__policy_scan *sc, struct lfm__frame *f,
		      uint32_t s)
{
	if (lfm__st_slotref(s) == 0)
		return 1;
	/* 0 stolen: an entry is HELD, a pin through a cache. */
	return lfm__tcache_steal(fs(sc)->rh, f, sc->plog) != 0;
}

static void fifo_progress(struct lfm__policy_scan *sc)
{
	fs(sc)->idle = 0;
}

const struct lfm__policy_methods lfm__fifo_policy = {
    .name = "fifo",
    .state_size = fifo_part_size,
    .state_init = fifo_part_init,
    .scan_begin = fifo_begin,
    .scan_next = fifo_next,
    .scan_claim = fifo_claim,
    .scan_progress = fifo_progress,
};
