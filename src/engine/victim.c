/* victim.c - taking a frame for a page that is not resident (victim.h). */
#include "victim.h"

#include "tcguard.h"
#include "lockrank.h"
#include "pfile.h"

#include "bgwriter.h"
#include "ftab.h"
#include "policy.h"
#include "recover.h"
#include "pagewrite.h"

#include <errno.h>

/* While flushers run, a sweep passes over up to this many cold dirty
 * frames looking for a clean one (the flushers will write them), before it
 * takes a dirty victim and writes it itself. */
#define DIRTY_SKIP 16

int lfm__victim_evict(struct lfm__pool *mp, struct lfm__frame *f,
		      struct lfm__tls_node *t)
{
	struct lfm__region_hdr *rh = mp->rh;
	uint32_t s = atomic_load_explicit(&f->state, memory_order_relaxed);
	LFM_ASSERT(s & LFM_F_EXCL);
	/* It may write, and it takes a bucket lock. */
	LFM_ASSERT(!lfm__rank_held_any(LFM_RANK_BUCKET));
	if (!(s & LFM_F_VALID))
		return 0;
	uint64_t tag = atomic_load_explicit(&f->tag, memory_order_relaxed);
	if (s & LFM_F_DIRTY) {
		int rc = lfm__wb_write_one(mp, f, tag, t);
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
	lfm__mutex_lock_ranked(&b->lock, mp->lock_owner, LFM_RANK_BUCKET);
	lfm__ftab_unlink(rh, b, f);
	atomic_store_explicit(&f->tag, 0, memory_order_relaxed);
	lfm__mutex_unlock_ranked(&b->lock);
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
	int rc = lfm__victim_evict(mp, f, t);
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

/* Pools mixing page sizes (rule 24): whether a miss may take a frame of
 * another size, to trade it (lfm__region_trade) for one of its own. */
enum {
	OTHERS_UNKNOWN, /* none met yet: ask the region at the first */
	OTHERS_TRADE,	/* a frame of this stride can be carved */
	OTHERS_BIGGER,	/* it cannot: only bigger frames, used as they are */
};

/* Whether candidate f, of another size than `stride`, may be taken. */
static int other_size_ok(struct lfm__pool *mp, struct lfm__frame *f,
			 uint32_t stride, int *others)
{
	if (*others == OTHERS_UNKNOWN)
		*others =
		    lfm__region_could_carve(mp->rh, stride, mp->lock_owner)
			? OTHERS_TRADE
			: OTHERS_BIGGER;
	return *others == OTHERS_TRADE || lfm__frame_bufsize(f) > stride;
}

/* One search of the policy's, passing over up to *skip cold dirty frames
 * (each skip decrements it). Frames of every size are candidates unless
 * *others says only bigger ones can serve. NULL if nothing could be
 * taken. The policy is called through its method table (policy.h). */
static struct lfm__frame *sweep_pass(struct lfm__pool *mp, uint32_t stride,
				     uint32_t require, struct lfm__tls_node *t,
				     int *werr, struct lfm__frame **busy,
				     uint32_t *skip, int *others)
{
	struct lfm__region_hdr *rh = mp->rh;
	const struct lfm__policy_methods *pol = mp->policy;
	struct lfm__policy_scan sc;
	sc.plog = mp->plog;
	if (!pol->scan_begin(&sc, rh, mp->policy_state,
			     *others == OTHERS_BIGGER ? stride : 0,
			     rh->elastic))
		return NULL;
	struct lfm__frame *f, *taken = NULL;
	uint32_t s;
	while ((f = pol->scan_next(&sc, &s)) != NULL) {
		if (lfm__frame_bufsize(f) != stride &&
		    !other_size_ok(mp, f, stride, others))
			continue;
		if ((s & (LFM_F_DIRTY | LFM_F_DISCARD)) == LFM_F_DIRTY &&
		    *skip > 0) {
			if ((*skip)-- == DIRTY_SKIP)
				lfm__flushers_kick(rh); /* work for them */
			pol->scan_progress(&sc);
			continue;
		}
		/* A page this process cannot write: another process's
		 * temporary file, a file type not registered here. The tag
		 * is read after the state: the frame may have been evicted
		 * since (0) and even retired (no file slot at all). */
		if (s & LFM_F_DIRTY) {
			uint64_t tag =
			    atomic_load_explicit(&f->tag, memory_order_relaxed);
			if (tag == 0 || tag == LFM_TAG_RETIRED ||
			    !lfm__pfile_writable(mp, lfm__tag_slot(tag)))
				continue;
		}
		if (!pol->scan_claim(&sc, f, s))
			continue;
		if (try_take(mp, f, 0, require, t, werr) == 1) {
			taken = f;
			break;
		}
		/* A failed write: try it again next turn. */
		pol->scan_progress(&sc);
	}
	if (t != NULL)
		t->swept += sc.examined; /* eviction effort (st_alloc_pages) */
	if (sc.busy != NULL)
		*busy = sc.busy;
	return taken;
}

/* A sweep for a victim. While flushers run it first leaves cold dirty frames to
 * them; if that finds nothing but did pass one over, a second pass takes
 * dirty frames too: in a small pool the only unpinned frame may be dirty,
 * visited fewer times than the skips allowed, and the miss must write it,
 * not call the pool full. */
static struct lfm__frame *sweep(struct lfm__pool *mp, uint32_t stride,
				uint32_t require, struct lfm__tls_node *t,
				int *werr, struct lfm__frame **busy,
				int *others)
{
	const uint32_t budget =
	    atomic_load_explicit(&mp->rh->nflushers, memory_order_relaxed) != 0
		? DIRTY_SKIP
		: 0;
	uint32_t skip = budget;
	/* Its claims steal and age cache entries: one entry into the guard
	 * (tcguard.h) for the whole sweep, not one a frame. */
	lfm__tcguard_enter(mp->rh);
	struct lfm__frame *f =
	    sweep_pass(mp, stride, require, t, werr, busy, &skip, others);
	if (f == NULL && skip != budget) {
		/* No victim, but a dirty frame was passed over. */
		skip = 0;
		f = sweep_pass(mp, stride, require, t, werr, busy, &skip,
			       others);
	}
	lfm__tcguard_exit(mp->rh);
	return f;
}

/* A miss looking for a frame: what it wants, and what it learned on the
 * way. */
struct miss {
	struct lfm__pool *mp;
	struct lfm__tls_node *t;
	uint32_t pagesize, stride;
	/* LFM_F_VALID: only a frame holding a page may be taken (an mpool(3)
	 * pool at maxcache); 0: free frames too. */
	uint32_t require;
	int others; /* OTHERS_* */
	int werr;   /* the last failed write of a dirty victim */
};

/* The frame a carve returned (in EXCL, ours), or NULL for -1. */
static struct lfm__frame *carved(struct lfm__region_hdr *rh, int64_t c)
{
	return c < 0 ? NULL : &lfm__frames(rh)[c];
}

/* The budget: a frame carved from what is unspent, or NULL. */
static struct lfm__frame *from_budget(struct miss *m)
{
	struct lfm__pool *mp = m->mp;
	struct lfm__region_hdr *rh = mp->rh;
	int64_t c = lfm__region_carve_as(rh, m->pagesize, 0, mp->lock_owner);
	if (c >= 0 || !rh->elastic)
		return carved(rh, c);
	uint64_t r = atomic_load_explicit(&rh->resident, memory_order_relaxed);
	uint64_t mx =
	    atomic_load_explicit(&rh->max_resident, memory_order_relaxed);
	/* mpool(3) pools. The frame the last over-budget put shed is named
	 * only while no put has released a page within maxcache since
	 * (lfm__victim_shrink): every cached page is still pinned, so it is
	 * the frame to take. Over maxcache, every unpinned page was shed at
	 * its put, so a sweep would pass pinned frames only: grow within the
	 * reserve. At maxcache a cached page must make room: a free frame
	 * would put the pool over maxcache for good, and every put would
	 * then write its page through. Free frames serve only when every
	 * cached page is pinned (from_sweeps). */
	struct lfm__frame *shed = take_shed(mp, m->stride, m->t);
	if (shed != NULL)
		return shed;
	if (r > mx)
		return carved(rh, lfm__region_carve_as(rh, m->pagesize, 1,
						       mp->lock_owner));
	if (r == mx)
		m->require = LFM_F_VALID;
	return NULL;
}

/* Retire and carve: the coldest frame, v (taken: EXCL, evicted), is
 * another size's, in a pool mixing page sizes. Its bytes go back to the
 * budget and a frame of the miss's size is carved from them; a smaller
 * one may need others retired with it (the next sweeps). So each size
 * holds what its misses win in the policy's order, not what it held
 * first (rule 24). Returns the frame for the miss, or NULL: sweep again. */
static struct lfm__frame *trade(struct miss *m, struct lfm__frame *v)
{
	struct lfm__pool *mp = m->mp;
	int64_t c = lfm__region_trade(mp->rh, v, m->pagesize, mp->lock_owner);
	if (c != -2)
		return carved(mp->rh, c);
	/* No frame of this size can be made (every chunk taken by other
	 * sizes): a bigger frame serves as it is; a smaller one is left
	 * free. */
	m->others = OTHERS_BIGGER;
	if (lfm__frame_bufsize(v) > m->stride)
		return v;
	lfm__frame_release_excl(v, 0, 0);
	return NULL;
}

/* The sweep: the policy's candidates until one is taken (and traded, if
 * it is another size's), or NULL when none can be. Frames a writer holds (a
 * flusher's run, another miss's dirty victim) are not pinned: it waits
 * for one and sweeps again, rather than call the pool full. */
static struct lfm__frame *from_sweeps(struct miss *m)
{
	struct lfm__pool *mp = m->mp;
	struct lfm__region_hdr *rh = mp->rh;
	for (;;) {
		struct lfm__frame *busy = NULL;
		struct lfm__frame *v = sweep(mp, m->stride, m->require, m->t,
					     &m->werr, &busy, &m->others);
		if (v != NULL && lfm__frame_bufsize(v) == m->stride)
			return v;
		if (v != NULL) {
			if ((v = trade(m, v)) != NULL)
				return v;
			continue;
		}
		if (busy == NULL && m->require != 0) {
			/* Every cached page pinned: grow, within the
			 * reserve, else into a free frame. */
			m->require = 0;
			int64_t c = lfm__region_carve_as(rh, m->pagesize, 1,
							 mp->lock_owner);
			if (c >= 0)
				return carved(rh, c);
			continue;
		}
		if (busy == NULL)
			return NULL;
		uint32_t s =
		    atomic_load_explicit(&busy->state, memory_order_acquire);
		if (s & LFM_F_EXCL)
			lfm__frame_wait(busy, s);
	}
}

/* Growth: mpool(3) pools let a client pin more pages than maxcache, up
 * to the reserve. NULL in other pools, or with the reserve spent. */
static struct lfm__frame *grow(struct miss *m)
{
	struct lfm__region_hdr *rh = m->mp->rh;
	if (!rh->elastic)
		return NULL;
	return carved(
	    rh, lfm__region_carve_as(rh, m->pagesize, 1, m->mp->lock_owner));
}

/* A frame for a miss: from the budget, else the sweep's (traded for one
 * of the miss's size if need be), else, in mpool(3) pools, by growing. */
static int take_victim(struct lfm__pool *mp, uint32_t pagesize,
		       struct lfm__tls_node *t, struct lfm__frame **out)
{
	struct miss m = {
	    .mp = mp,
	    .t = t,
	    .pagesize = pagesize,
	    .stride = (pagesize + LFM_CACHELINE - 1) & ~(LFM_CACHELINE - 1),
	    .others = OTHERS_UNKNOWN,
	};
	struct lfm__frame *f = from_budget(&m);
	if (f == NULL)
		f = from_sweeps(&m);
	if (f == NULL)
		f = grow(&m);
	if (f == NULL)
		return m.werr ? m.werr : ENOMEM;
	/* In EXCL, ours: the carve marks it, a victim was taken so. */
	*out = f;
	return 0;
}

int lfm__victim_get(struct lfm__pool *mp, uint32_t pagesize,
		    struct lfm__tls_node *t, struct lfm__frame **out)
{
	/* It may write a dirty victim and wait for frames in EXCL. */
	LFM_ASSERT(!lfm__rank_held_any(LFM_RANK_BUCKET));
	int rc = take_victim(mp, pagesize, t, out);
	/* Shared pools: frames a dead process pinned are reclaimable, but
	 * the flushers' watch takes them back only every 100 ms (or never,
	 * with none running). A miss does it itself before calling the pool
	 * full. */
	if (rc == ENOMEM && mp->shm != NULL && lfm__recover_dead(mp) > 0)
		rc = take_victim(mp, pagesize, t, out);
	LFM_ASSERT(
	    rc != 0 ||
	    ((atomic_load_explicit(&(*out)->state, memory_order_relaxed) &
	      (LFM_F_EXCL | LFM_F_VALID)) == LFM_F_EXCL &&
	     atomic_load_explicit(&(*out)->tag, memory_order_relaxed) == 0 &&
	     lfm__frame_bufsize(*out) >= pagesize));
	return rc;
}

void lfm__victim_shrink(struct lfm__pool *mp, struct lfm__tls_node *t,
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
		if (lfm__st_slotref(atomic_load_explicit(
			&put->state, memory_order_relaxed)) != 0)
			lfm__tcache_steal(rh, put, mp->plog);
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
		int others = OTHERS_TRADE; /* any size: it frees, not fills */
		struct lfm__frame *f =
		    sweep(mp, 0, LFM_F_VALID, t, &werr, &busy, &others);
		if (f == NULL)
			return; /* all pinned, or dirty and unwritable */
		lfm__frame_release_excl(f, 0, 0); /* free, not VALID */
	}
}

int lfm__victim_publish(struct lfm__pool *mp, struct lfm__bucket *b,
			struct lfm__frame *v, uint64_t tag)
{
	struct lfm__region_hdr *rh = mp->rh;
	uint32_t examined = 0;
	LFM_ASSERT(atomic_load_explicit(&v->state, memory_order_relaxed) &
		   LFM_F_EXCL);
	lfm__mutex_lock_ranked(&b->lock, mp->lock_owner, LFM_RANK_BUCKET);
	if (lfm__ftab_find(rh, b, tag, &examined) != NULL) {
		lfm__mutex_unlock_ranked(&b->lock);
		lfm__frame_release_excl(v, 0,
					0); /* free: not VALID, untagged */
		return 0;
	}
	atomic_store_explicit(&v->tag, tag, memory_order_relaxed);
	lfm__ftab_link(rh, b, v);
	lfm__mutex_unlock_ranked(&b->lock);
	return 1;
}
