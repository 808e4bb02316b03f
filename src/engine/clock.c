/* clock.c - victim selection (see clock.h). */
#include "clock.h"
#include "pfile.h"

#include "flusher.h"
#include "ftab.h"
#include "pageio.h"
#include "recover.h"

#include <errno.h>

#define HAND_BATCH 8
/* While flushers run, a sweep passes over up to this many cold dirty
 * frames looking for a clean one (the flushers will write them), before it
 * takes a dirty victim and writes it itself. */
#define DIRTY_SKIP 16

int lfm__clock_evict(struct lfm__pool *mp, struct lfm__frame *f,
		     struct lfm__tls_node *t)
{
	struct lfm__region_hdr *rh = mp->rh;
	uint32_t s = atomic_load_explicit(&f->state, memory_order_relaxed);
	if (!(s & LFM_F_VALID))
		return 0;
	uint64_t tag = atomic_load_explicit(&f->tag, memory_order_relaxed);
	if (s & LFM_F_DIRTY) {
		int rc = lfm__page_write(mp, f, tag, t);
		if (rc != 0)
			return rc;
		atomic_fetch_add_explicit(&rh->evict[t ? t->stripe : 0].rw, 1,
					  memory_order_relaxed);
		/* A miss paid for a write: the flushers are behind. */
		lfm__flushers_kick(rh);
	} else {
		atomic_fetch_add_explicit(&rh->evict[t ? t->stripe : 0].ro, 1,
					  memory_order_relaxed);
	}
	struct lfm__bucket *b = lfm__ftab_bucket(rh, tag);
	lfm__mutex_lock_as(&b->lock, mp->lock_owner);
	lfm__ftab_unlink(rh, b, f);
	atomic_store_explicit(&f->tag, 0, memory_order_relaxed);
	lfm__mutex_unlock(&b->lock);
	atomic_store_explicit(&f->ckpt, 0, memory_order_relaxed);
	atomic_fetch_and_explicit(
	    &f->state,
	    ~(LFM_F_VALID | LFM_F_DIRTY | LFM_F_USAGE_MASK | LFM_F_DISCARD),
	    memory_order_relaxed);
	if (rh->elastic)
		atomic_fetch_sub_explicit(&rh->resident, 1,
					  memory_order_relaxed);
	return 0;
}

/* mpool(3) pools: more pages cached than maxcache. */
static int over_budget(struct lfm__region_hdr *rh)
{
	return atomic_load_explicit(&rh->resident, memory_order_relaxed) >
	       atomic_load_explicit(&rh->max_resident, memory_order_relaxed);
}

/* Tries to make f the victim. 1: taken (EXCL, clean, unlinked); 0: not
 * now; -1: it was dirty and its write failed (*werr set, frame released). */
static int try_take(struct lfm__pool *mp, struct lfm__frame *f, uint32_t stride,
		    uint32_t require, struct lfm__tls_node *t, int *werr)
{
	if (lfm__frame_bufsize(f) < stride ||
	    !lfm__frame_try_excl(f, require, mp->owner_bits))
		return 0;
	int rc = lfm__clock_evict(mp, f, t);
	if (rc == 0)
		return 1;
	*werr = rc;
	/* Keep it, dirty and intact; it is passed over until the next turn. */
	lfm__frame_release_excl(f, LFM_F_USAGE_ONE, 0);
	return -1;
}

/* The frame the last over-budget put shed, if it is still free. */
static struct lfm__frame *take_shed(struct lfm__pool *mp, uint32_t stride,
				    struct lfm__tls_node *t)
{
	struct lfm__region_hdr *rh = mp->rh;
	uint32_t h = atomic_load_explicit(&rh->shed_hint, memory_order_relaxed);
	if (h == 0 || !atomic_compare_exchange_strong_explicit(
			  &rh->shed_hint, &h, 0, memory_order_relaxed,
			  memory_order_relaxed))
		return NULL;
	struct lfm__frame *f = &lfm__frames(rh)[h - 1];
	uint32_t s = atomic_load_explicit(&f->state, memory_order_relaxed);
	int werr = 0;
	/* Filled again since (another miss took it): not a free frame. */
	if (s & LFM_F_VALID || try_take(mp, f, stride, 0, t, &werr) != 1)
		return NULL;
	return f;
}

static uint64_t hand_next(struct lfm__region_hdr *rh, uint64_t *pos,
			  uint64_t *left)
{
	if (*left == 0) {
		*pos = atomic_fetch_add_explicit(&rh->clock_hand, HAND_BATCH,
						 memory_order_relaxed);
		*left = HAND_BATCH;
	}
	(*left)--;
	return (*pos)++;
}

/* One CLOCK sweep passing over up to *skip cold dirty frames (each skip
 * decrements it). NULL if nothing could be taken. */
static struct lfm__frame *sweep_pass(struct lfm__pool *mp, uint32_t stride,
				     uint32_t require, struct lfm__tls_node *t,
				     int *werr, struct lfm__frame **busy,
				     uint32_t *skip)
{
	struct lfm__region_hdr *rh = mp->rh;
	struct lfm__frame *frames = lfm__frames(rh);
	uint32_t n = atomic_load_explicit(&rh->nframes, memory_order_acquire);
	if (n == 0)
		return NULL;

	/* Frames that only thread caches reference (CACHED entries, no user
	 * pin) age like unpinned ones: a cached hit writes no shared state,
	 * so it cannot keep USAGE up; it sets its entry's REF instead
	 * (tcache.h), and at USAGE 0 an entry with REF loses it and gives the
	 * frame full USAGE again, an entry without is stolen. A page that
	 * goes on being hot for its thread comes back into its cache at the
	 * next use (the emptied entry keeps the tag: a ghost). A discarded
	 * page's entries are stolen, REF or not: it is the next to go.
	 * Steps: USAGE_MAX decrements, a REF restoring USAGE_MAX, as many
	 * decrements again and the take, so a sweep that finds nothing has
	 * seen every frame pinned (or in use since it began), never just
	 * recently used. */
	uint64_t steps = (uint64_t)n * (2 * LFM_F_USAGE_MAX + 3), pos = 0,
		 left = 0;
	/* mpool(3) pools grow instead of failing, so they stop after a turn
	 * that changed nothing (every frame pinned: one turn, not the whole
	 * bound). The others keep the bound: while other sweeps drain USAGE
	 * ahead of this one, a turn of its own steps may see no candidate
	 * although frames are unpinned, and ENOMEM there would be false. */
	const uint64_t max_idle = rh->elastic ? n : steps;
	uint64_t idle = 0;
	for (uint64_t k = 0; k < steps && idle++ < max_idle; k++) {
		struct lfm__frame *f = &frames[hand_next(rh, &pos, &left) % n];
		uint32_t s =
		    atomic_load_explicit(&f->state, memory_order_acquire);
		if ((s & (LFM_F_EXCL | LFM_F_VALID)) ==
			(LFM_F_EXCL | LFM_F_VALID) &&
		    !(s & LFM_F_DIRECT_MASK))
			*busy = f; /* being written or evicted: soon free */
		if ((s & (LFM_F_DIRECT_MASK | LFM_F_EXCL)) ||
		    lfm__frame_bufsize(f) < stride)
			continue;
		if (lfm__st_usage(s) > 0 && !(s & LFM_F_DISCARD)) {
			/* Relaxed: a lost decrement only delays eviction. */
			atomic_compare_exchange_weak_explicit(
			    &f->state, &s, s - LFM_F_USAGE_ONE,
			    memory_order_relaxed, memory_order_relaxed);
			idle = 0;
			continue;
		}
		if ((s & (LFM_F_DIRTY | LFM_F_DISCARD)) == LFM_F_DIRTY &&
		    *skip > 0) {
			if ((*skip)-- == DIRTY_SKIP)
				lfm__flushers_kick(rh); /* work for them */
			idle = 0;
			continue;
		}
		/* Shared pools: another process's page this one cannot
		 * write (its temporary file, an unregistered pgout). */
		if (s & LFM_F_DIRTY) {
			uint64_t tag =
			    atomic_load_explicit(&f->tag, memory_order_relaxed);
			if (tag == 0 ||
			    !lfm__pfile_writable(mp, lfm__tag_slot(tag)))
				continue;
		}
		if (lfm__st_slotref(s) != 0) {
			uint64_t tag =
			    atomic_load_explicit(&f->tag, memory_order_relaxed);
			int used = 0;
			uint32_t stolen =
			    (s & LFM_F_DISCARD)
				? lfm__tcache_steal(rh, f, tag)
				: lfm__tcache_age(rh, f, tag, &used);
			if (used) {
				/* Used through a cache since the last turn:
				 * as hot as a page pinned again and again
				 * (an entry exists only from its owner's
				 * second use on). Relaxed, as the decrement. */
				atomic_compare_exchange_strong_explicit(
				    &f->state, &s,
				    (s & ~LFM_F_USAGE_MASK) |
					(LFM_F_USAGE_MAX << LFM_F_USAGE_SHIFT),
				    memory_order_relaxed, memory_order_relaxed);
				idle = 0;
				continue;
			}
			if (stolen == 0)
				continue; /* HELD by a user through a cache */
		}
		if (try_take(mp, f, stride, require, t, werr) == 1)
			return f;
		idle = 0; /* a failed write: try it again next turn */
	}
	return NULL;
}

/* The CLOCK sweep. While flushers run it first leaves cold dirty frames to
 * them; if that finds nothing but did pass one over, a second pass takes
 * dirty frames too: in a small pool the only unpinned frame may be dirty,
 * visited fewer times than the skips allowed, and the miss must write it,
 * not call the pool full. */
static struct lfm__frame *sweep(struct lfm__pool *mp, uint32_t stride,
				uint32_t require, struct lfm__tls_node *t,
				int *werr, struct lfm__frame **busy)
{
	const uint32_t budget =
	    atomic_load_explicit(&mp->rh->nflushers, memory_order_relaxed) != 0
		? DIRTY_SKIP
		: 0;
	uint32_t skip = budget;
	struct lfm__frame *f =
	    sweep_pass(mp, stride, require, t, werr, busy, &skip);
	if (f != NULL || skip == budget)
		return f; /* taken, or no dirty frame was passed over */
	skip = 0;
	return sweep_pass(mp, stride, require, t, werr, busy, &skip);
}

static int victim(struct lfm__pool *mp, uint32_t pagesize,
		  struct lfm__tls_node *t, struct lfm__frame **out)
{
	struct lfm__region_hdr *rh = mp->rh;
	uint32_t stride = (pagesize + LFM_CACHELINE - 1) & ~(LFM_CACHELINE - 1);
	int werr = 0;

	int64_t c = lfm__region_carve_as(rh, pagesize, 0, mp->lock_owner);
	uint32_t require = 0;
	if (c < 0 && rh->elastic) {
		uint64_t r =
		    atomic_load_explicit(&rh->resident, memory_order_relaxed);
		uint64_t m = atomic_load_explicit(&rh->max_resident,
						  memory_order_relaxed);
		/* mpool(3) pools. The frame the last over-budget put shed is
		 * named only while no put has released a page within maxcache
		 * since (lfm__clock_shrink): every cached page is still
		 * pinned, so it is the frame to take. Over maxcache, every
		 * unpinned page was shed at its put, so a sweep would pass
		 * pinned frames only: grow within the reserve. At maxcache a
		 * cached page must make room: a free frame would put the pool
		 * over maxcache for good, and every put would then write its
		 * page through. Free frames serve only when every cached page
		 * is pinned (below). */
		if ((*out = take_shed(mp, stride, t)) != NULL)
			return 0;
		if (r > m)
			c = lfm__region_carve_as(rh, pagesize, 1,
						 mp->lock_owner);
		else if (r == m)
			require = LFM_F_VALID;
	}
	/* Frames a writer holds (a flusher's run, another miss's dirty
	 * victim) are not pinned: wait for one and sweep again, rather than
	 * call the pool full. */
	while (c < 0) {
		struct lfm__frame *busy = NULL;
		*out = sweep(mp, stride, require, t, &werr, &busy);
		if (*out != NULL)
			return 0;
		/* Pools mixing page sizes: the budget may be held by unpinned
		 * frames too small for this page. Retire one (any unpinned
		 * frame, in CLOCK order) and carve again. */
		if (busy == NULL &&
		    lfm__region_could_carve(rh, pagesize, mp->lock_owner)) {
			struct lfm__frame *v = sweep(mp, 0, 0, t, &werr, &busy);
			if (v != NULL && lfm__frame_bufsize(v) >= stride) {
				*out = v; /* unpinned since the sweep above */
				return 0;
			}
			if (v != NULL) {
				lfm__region_retire(rh, v, mp->lock_owner);
				c = lfm__region_carve_as(rh, pagesize, 0,
							 mp->lock_owner);
				continue;
			}
		}
		if (busy == NULL && require != 0) {
			/* Every cached page pinned: grow, within the
			 * reserve, else into a free frame. */
			require = 0;
			c = lfm__region_carve_as(rh, pagesize, 1,
						 mp->lock_owner);
			continue;
		}
		if (busy == NULL)
			break;
		uint32_t s =
		    atomic_load_explicit(&busy->state, memory_order_acquire);
		if (s & LFM_F_EXCL)
			lfm__frame_wait(busy, s);
	}
	if (c < 0) {
		/* mpool(3): a client may pin more pages than maxcache. */
		if (rh->elastic)
			c = lfm__region_carve_as(rh, pagesize, 1,
						 mp->lock_owner);
		if (c < 0)
			return werr ? werr : ENOMEM;
	}
	*out = &lfm__frames(rh)[c];
	/* Ours since the carve: only WAITERS may change meanwhile. */
	atomic_fetch_or_explicit(&(*out)->state, mp->owner_bits,
				 memory_order_relaxed);
	return 0;
}

int lfm__clock_victim(struct lfm__pool *mp, uint32_t pagesize,
		      struct lfm__tls_node *t, struct lfm__frame **out)
{
	int rc = victim(mp, pagesize, t, out);
	/* Shared pools: frames a dead process pinned are reclaimable, but
	 * the flushers' watch takes them back only every 100 ms (or never,
	 * with none running). A miss does it itself before calling the pool
	 * full. */
	if (rc == ENOMEM && mp->shm != NULL && lfm__recover_dead(mp) > 0)
		rc = victim(mp, pagesize, t, out);
	return rc;
}

void lfm__clock_shrink(struct lfm__pool *mp, struct lfm__tls_node *t,
		       struct lfm__frame *put)
{
	struct lfm__region_hdr *rh = mp->rh;
	int werr = 0;
	if (put != NULL) {
		/* Over budget, every other frame is pinned (each put evicted
		 * its own), so the sweep would find only this one after
		 * draining its USAGE: O(frames) per put. Take it directly;
		 * if it is pinned again or held, a later put sheds one. */
		if (!over_budget(rh)) {
			/* A page released within maxcache: the pool is not
			 * all pinned any more, so a miss must not take the
			 * shed frame (that would put it over maxcache). */
			if (atomic_load_explicit(&rh->shed_hint,
						 memory_order_relaxed) != 0)
				atomic_store_explicit(&rh->shed_hint, 0,
						      memory_order_relaxed);
			return;
		}
		uint64_t tag =
		    atomic_load_explicit(&put->tag, memory_order_relaxed);
		if (lfm__st_slotref(atomic_load_explicit(
			&put->state, memory_order_relaxed)) != 0)
			lfm__tcache_steal(rh, put, tag);
		if (try_take(mp, put, 0, LFM_F_VALID, t, &werr) == 1) {
			lfm__frame_release_excl(put, 0, 0); /* free */
			atomic_store_explicit(&rh->shed_hint,
					      lfm__frame_idx(rh, put) + 1,
					      memory_order_relaxed);
		}
		return;
	}
	while (over_budget(rh)) {
		struct lfm__frame *busy = NULL;
		struct lfm__frame *f =
		    sweep(mp, 0, LFM_F_VALID, t, &werr, &busy);
		if (f == NULL)
			return; /* all pinned, or dirty and unwritable */
		lfm__frame_release_excl(f, 0, 0); /* free, not VALID */
	}
}
