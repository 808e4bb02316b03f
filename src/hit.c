/* hit.c - the hit path's early exits (see hit.h for why they are safe). */
#include "hit.h"

#include "buf.h"
#include "clock.h"
#include "ftab.h"
#include "pinlog.h"

/* The owner's counters (tcache.h): a plain add, only the owner writes. */
static inline void bump(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c,
			      atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

/* A first use, or one the thread's cache does not hold: the lock-free walk
 * and a direct pin. Its own function, so that each half needs fewer
 * registers (the cached hit above then saves none). */
static __attribute__((noinline)) int walk_get(DB_MPOOLFILE *mpf,
					      db_pgno_t *pgnoaddr, void **pagep,
					      uint64_t tag, uint64_t hash,
					      struct lfm__tc_entry *e)
{
	DB_MPOOL *mp = mpf->mp;
	struct lfm__region_hdr *rh = mp->rh;
	struct lfm__bucket *b = &lfm__buckets(rh)[hash & (rh->nbuckets - 1)];
	uint32_t examined = 0;
	struct lfm__frame *f = lfm__ftab_find(rh, b, tag, &examined);
	if (f == NULL)
		goto slow;
	if (lfm__frame_pin(f, tag, LFM_F_DIRECT_ONE) != LFM_PIN_OK)
		goto slow;
	lfm__pinlog_add(mp, f, 1);
	/* Remembered as a ghost (tcache.h, admission). */
	lfm__tcache_note(lfm__tc_free_way(e), tag);
	_Atomic uint64_t *st =
	    (_Atomic uint64_t *)((char *)lfm__tls_head->h + mpf->stats_off);
	if (examined == 1) {
		bump(&st[LFM_ST_WALKHIT], 1); /* hit, search, one examined */
	} else {
		bump(&st[LFM_ST_SEARCH], 1);
		bump(&st[LFM_ST_EXAMINED], examined);
		if (examined > atomic_load_explicit(&st[LFM_ST_LONGEST],
						    memory_order_relaxed))
			atomic_store_explicit(&st[LFM_ST_LONGEST], examined,
					      memory_order_relaxed);
		bump(&st[LFM_ST_HIT], 1);
	}
	void *page = lfm__frame_page(rh, f);
	struct lfm__tls_node *t = lfm__tls_head;
	t->last_page = page;
	t->last_word = NULL;
	t->last_fi = (uint64_t)lfm__frame_idx(rh, f) + 1;
	t->last_tag = tag;
	t->last_slot = mpf->slot;
	*pagep = page;
	return 0;
slow:
	return lfm__buf_get(mpf, pgnoaddr, 0, pagep);
}

int lfm__hit_get(DB_MPOOLFILE *mpf, db_pgno_t *pgnoaddr, void **pagep)
{
	db_pgno_t pgno = *pgnoaddr;
	DB_MPOOL *mp = mpf->mp;
	struct lfm__region_hdr *rh = mp->rh;
	uint32_t slot = mpf->slot;
	/* No calls before the exits: this function needs no saved registers.
	 * The general path makes the thread's node if it has none. */
	struct lfm__tls_node *t = lfm__tls_head;
	if (t == NULL || t->serial != mp->serial || t->h == NULL)
		goto slow;
	/* Past the end: EINVAL, or a page being created; the general path
	 * tells which. */
	if (pgno >=
	    atomic_load_explicit(&mpf->file->npages, memory_order_relaxed))
		goto slow;

	struct lfm__handle *h = t->h;
	uint64_t tag = lfm__tag(slot, pgno);
	uint64_t hash = lfm__hash_tag(tag);
	_Atomic uint64_t *st =
	    (_Atomic uint64_t *)((char *)h + mpf->stats_off); /* tcache.h */

	/* The thread's own entry: lfm__tcache_get, keeping the entry for the
	 * put's record below. */
	struct lfm__tc_entry *e = lfm__tc_set(h, hash);
	uint32_t way = lfm__tc_find_way(e, tag);
	if (way < LFM_TC_WAYS) {
		uint64_t w =
		    atomic_load_explicit(&e[way].word, memory_order_relaxed);
		/* w == 0: a ghost, whose second use earns an entry
		 * (tcache.h, admission); the general path makes it.
		 * Acquire pairs with a foreign putter's release. */
		if (w == 0 || lfm__tc_count(w) >= LFM_TC_COUNT_MAX ||
		    !atomic_compare_exchange_strong_explicit(
			&e[way].word, &w, w + LFM_TC_COUNT_ONE,
			memory_order_acquire, memory_order_relaxed))
			goto slow;
		bump(&st[LFM_ST_HIT], 1);
		void *page =
		    lfm__frame_page(rh, &lfm__frames(rh)[lfm__tc_frame(w) - 1]);
		t->last_page = page;
		t->last_word = &e[way].word;
		t->last_fi = lfm__tc_frame(w);
		t->last_slot = slot;
		*pagep = page;
		return 0;
	}

	return walk_get(mpf, pgnoaddr, pagep, tag, hash, e);
slow:
	return lfm__buf_get(mpf, pgnoaddr, 0, pagep);
}

/* Out of line, so that the put itself makes no call. */
static __attribute__((noinline)) int shrink(DB_MPOOL *mp)
{
	lfm__clock_shrink(mp, lfm__tls(mp));
	return 0;
}

/* The end of every put that dropped its pin: mpool(3) pools grown past
 * maxcache give frames back (buf.c). */
static inline int put_done(DB_MPOOL *mp)
{
	if (mp->rh->elastic)
		return shrink(mp);
	return 0;
}

/* The put of any pin the fast path can name, found through its frame. */
static __attribute__((noinline)) int put_frame(DB_MPOOLFILE *mpf, void *page,
					       unsigned long flags)
{
	DB_MPOOL *mp = mpf->mp;
	struct lfm__region_hdr *rh = mp->rh;

	/* Pointer to frame by shifting, when every page is at
	 * off_data + idx << shift (region.h, uniform_shift; it is cleared
	 * before a chunk that breaks the pattern publishes a frame). */
	uint32_t shift =
	    atomic_load_explicit(&rh->uniform_shift, memory_order_relaxed);
	uint64_t rel = (uintptr_t)page - (uintptr_t)rh - rh->off_data;
	if (shift == 0 || (rel & ((1ull << shift) - 1)) != 0 ||
	    (rel >> shift) >= rh->nframes_max)
		goto slow;
	uint32_t idx = (uint32_t)(rel >> shift);
	struct lfm__frame *f = &lfm__frames(rh)[idx];
	uint32_t s = atomic_load_explicit(&f->state, memory_order_acquire);
	uint64_t tag = atomic_load_explicit(&f->tag, memory_order_relaxed);
	/* Not pinned or not this file's: EINVAL; DISCARD: the entry goes
	 * too. The general path does both. */
	if (!(s & LFM_F_REFS_MASK) || (s & LFM_F_DISCARD) || tag == 0 ||
	    lfm__tag_slot(tag) != mpf->slot)
		goto slow;

	uint32_t set = 0;
	if (flags & DB_MPOOL_DIRTY) {
		if (mpf->rdonly)
			goto slow; /* EACCES */
		lfm__note_lsn(mpf, f, page);
		set = LFM_F_DIRTY;
	}
	/* Some cache references the frame: perhaps ours holds the pin. */
	if (lfm__st_slotref(s) != 0) {
		struct lfm__tls_node *t = lfm__tls_head;
		if (t != NULL && t->serial == mp->serial && t->h != NULL &&
		    lfm__tcache_put(rh, t->h, f, lfm__hash_tag(tag), set, 0,
				    0) == 0)
			goto done;
	}
	/* Otherwise the pin is direct (pinlog.h: in a shared region, only
	 * one this process logged is its own). */
	if (lfm__pinlog_unpin(mp, f, set, 0) != 0)
		goto slow;
done:
	return put_done(mp);
slow:
	return lfm__buf_put(mpf, page, flags);
}

int lfm__hit_put(DB_MPOOLFILE *mpf, void *page, unsigned long flags)
{
	DB_MPOOL *mp = mpf->mp;

	/* The page this thread last got on the fast path: its pin is known.
	 * Through the cache, the entry's pins on that frame are this
	 * thread's (tcache.h); a direct one, the frame must still hold the
	 * page. Either way it is a pin of this thread on that page, and pins
	 * are fungible (rule 10), so the put needs neither the pointer
	 * arithmetic nor the set. An emptied or reused entry, or a retagged
	 * frame, fails the check. */
	struct lfm__tls_node *last = lfm__tls_head;
	if (flags == 0 && last != NULL && last->last_page == page &&
	    last->serial == mp->serial && last->last_slot == mpf->slot) {
		_Atomic uint64_t *word = last->last_word;
		last->last_page = NULL;
		if (word != NULL) {
			uint64_t w =
			    atomic_load_explicit(word, memory_order_relaxed);
			while (lfm__tc_frame(w) == last->last_fi &&
			       lfm__tc_count(w) > 0)
				if (atomic_compare_exchange_weak_explicit(
					word, &w, w - LFM_TC_COUNT_ONE,
					memory_order_release,
					memory_order_relaxed))
					goto done;
		} else {
			/* A direct pin: the frame must still hold the page. */
			struct lfm__frame *f =
			    &lfm__frames(mp->rh)[last->last_fi - 1];
			if (atomic_load_explicit(&f->tag,
						 memory_order_relaxed) ==
				last->last_tag &&
			    lfm__pinlog_unpin(mp, f, 0, 0) == 0)
				goto done;
		}
	}
	return put_frame(mpf, page, flags);
done:
	return put_done(mp);
}
