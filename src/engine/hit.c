/* hit.c - the hit path's early exits (see hit.h for why they are safe). */
#include "hit.h"

#include "buf.h"
#include "victim.h"
#include "ftab.h"
#include "pins.h"

/* The owner's counters (tcache.h): a plain add, only the owner writes. */
static inline void bump(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c,
			      atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

/* The thread's counters for mpf's file, in its handle (tcache.h). */
static inline _Atomic uint64_t *owner_stats(const struct lfm__tls_node *t,
					    const struct lfm__fh *mpf)
{
	return (_Atomic uint64_t *)((char *)t->h + mpf->stats_off);
}

/* A pin that found the frame retagged: undone, then the general path. */
static __attribute__((noinline)) int stale_get(struct lfm__fh *mpf,
					       uint32_t *pgnoaddr, void **pagep,
					       struct lfm__frame *f,
					       uint32_t before)
{
	lfm__frame_unpin_stale(f, LFM_F_DIRECT_ONE, before);
	return lfm__buf_get(mpf, pgnoaddr, 0, pagep);
}

/* A shared region's direct pin, logged under the log's entry (pins.h):
 * out of line, so that the private walk saves no register for it. */
static __attribute__((noinline)) int
pin_logged(struct lfm__fh *mpf, struct lfm__frame *f, uint64_t tag)
{
	return (int)lfm__pin_direct_logged(mpf->mp, f, tag);
}

/* The walk found f, which probably holds tag: the direct pin, the ghost
 * note, the counters and the put's record. Inlined into both walks. */
static inline __attribute__((always_inline)) int
walk_found(struct lfm__fh *mpf, uint32_t *pgnoaddr, void **pagep, uint64_t tag,
	   struct lfm__tc_entry *e, struct lfm__frame *f, uint32_t examined)
{
	uint32_t before = 0;
	int r = __builtin_expect(mpf->shared, 0)
		    ? pin_logged(mpf, f, tag) /* never LFM_PIN_STALE */
		    : lfm__frame_pin_try(f, tag, LFM_F_DIRECT_ONE, &before);
	if (r != LFM_PIN_OK) {
		if (r == LFM_PIN_STALE)
			return stale_get(mpf, pgnoaddr, pagep, f, before);
		return lfm__buf_get(mpf, pgnoaddr, 0, pagep);
	}
	/* Remembered as a ghost (tcache.h, admission). */
	lfm__tcache_note(lfm__tc_free_way(e), tag);
	struct lfm__tls_node *t = lfm__tls_fast;
	_Atomic uint64_t *st = owner_stats(t, mpf);
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
	void *page = lfm__frame_page(mpf->rh, f);
	t->last_page = page;
	t->last_mpf = mpf;
	t->last_word = NULL;
	t->last_frame = f;
	t->last_tag = tag;
	*pagep = page;
	return 0;
}

/* The rest of the walk (ftab.h), when the chain's first frame f is not
 * the page. */
static __attribute__((noinline)) int
walk_long(struct lfm__fh *mpf, uint32_t *pgnoaddr, void **pagep, uint64_t tag,
	  struct lfm__tc_entry *e, struct lfm__frame *first)
{
	uint32_t examined = 1;
	struct lfm__frame *f = lfm__ftab_walk(
	    mpf->frames, mpf->data,
	    atomic_load_explicit(&mpf->rh->uniform_stride,
				 memory_order_relaxed),
	    mpf->limit - 1,
	    atomic_load_explicit(&first->next, memory_order_acquire), tag,
	    &examined);
	if (f == NULL)
		return lfm__buf_get(mpf, pgnoaddr, 0, pagep);
	return walk_found(mpf, pgnoaddr, pagep, tag, e, f, examined);
}

/* A first use, or one the thread's cache does not hold: the lock-free walk
 * and a direct pin. Its own function, so that each half needs fewer
 * registers (the cached hit above then saves none). The chain's first
 * frame is the page most of the time (two buckets a frame): that step is
 * lfm__ftab_walk's first, written out, so that this function keeps few
 * enough values to need no saved registers; walk_long does the rest. */
static __attribute__((noinline)) int walk_get(struct lfm__fh *mpf,
					      uint32_t *pgnoaddr, void **pagep,
					      uint64_t tag, uint64_t hash,
					      struct lfm__tc_entry *e)
{
	struct lfm__bucket *b = &mpf->buckets[hash & mpf->bmask];
	uint32_t i = atomic_load_explicit(&b->head, memory_order_acquire);
	if (i == LFM_NIL)
		return lfm__buf_get(mpf, pgnoaddr, 0, pagep);
	struct lfm__frame *f = &mpf->frames[i - 1];
	__builtin_prefetch(mpf->data +
			   (uint64_t)(i - 1) *
			       atomic_load_explicit(&mpf->rh->uniform_stride,
						    memory_order_relaxed));
	if (atomic_load_explicit(&f->tag, memory_order_relaxed) != tag)
		return walk_long(mpf, pgnoaddr, pagep, tag, e, f);
	return walk_found(mpf, pgnoaddr, pagep, tag, e, f, 1);
}

int lfm__hit_get(struct lfm__fh *mpf, uint32_t *pgnoaddr, void **pagep)
{
	/* No calls before the exits: this function needs no saved registers.
	 * A mapped file, another pool's node, a thread without a pin cache
	 * or without a node fails the one compare (pool.h, tls.c); the
	 * general path then makes the thread's node if it has none. */
	struct lfm__tls_node *t = lfm__tls_fast;
	if (t->fast_serial != mpf->fast_serial)
		return lfm__get(mpf, pgnoaddr, 0, pagep);
	/* Past the end: EINVAL, or a page being created; the general path
	 * tells which. */
	uint32_t pgno = *pgnoaddr;
	if (pgno >=
	    atomic_load_explicit(&mpf->file->npages, memory_order_relaxed))
		goto slow;

	uint64_t tag = mpf->tag_hi | pgno;
	uint64_t hash = lfm__hash_tag(tag);

	/* The thread's own entry: lfm__tcache_get, keeping the entry for the
	 * put's record below. */
	struct lfm__tc_entry *e = lfm__tc_set_of(t->tc, t->tc_mask, hash);
	uint32_t way = lfm__tc_find_way(e, tag);
	if (way < LFM_TC_WAYS) {
		uint64_t w =
		    atomic_load_explicit(&e[way].word, memory_order_relaxed);
		/* w == 0: a ghost, whose second use earns an entry
		 * (tcache.h, admission); the general path makes it.
		 * Acquire pairs with a foreign putter's release. */
		if (w == 0 || lfm__tc_count(w) >= LFM_TC_COUNT_MAX)
			goto slow;
		/* The page without the frame's descriptor, while every page
		 * is at data + idx * stride (region.h): the stride was not
		 * cleared before this thread's pin that made the entry, and
		 * it is never set again once cleared. The prefetch goes
		 * before the CAS, whose lock would otherwise hold it back. */
		uint32_t stride = atomic_load_explicit(&mpf->rh->uniform_stride,
						       memory_order_relaxed);
		uint64_t idx = lfm__tc_frame(w) - 1;
		void *page = stride != 0
				 ? (char *)mpf->data + idx * stride
				 : lfm__frame_page(mpf->rh, &mpf->frames[idx]);
		__builtin_prefetch(page);
		uint64_t held = (w + LFM_TC_COUNT_ONE) | LFM_TC_REF;
		if (!atomic_compare_exchange_strong_explicit(
			&e[way].word, &w, held, memory_order_acquire,
			memory_order_relaxed))
			goto slow;
		bump(&owner_stats(t, mpf)[LFM_ST_HIT], 1);
		t->last_page = page;
		t->last_mpf = mpf;
		t->last_word = &e[way].word;
		t->last_w = held;
		*pagep = page;
		return 0;
	}

	return walk_get(mpf, pgnoaddr, pagep, tag, hash, e);
slow:
	return lfm__buf_get(mpf, pgnoaddr, 0, pagep);
}

/* Out of line, so that the put itself makes no call. mpool(3) puts go
 * through buf.c, which names the released frame; this one sheds by CLOCK. */
static __attribute__((noinline)) int shrink(struct lfm__pool *mp)
{
	lfm__victim_shrink(mp, lfm__tls(mp), NULL);
	return 0;
}

/* The end of every put that dropped its pin: mpool(3) pools grown past
 * maxcache give frames back (buf.c). */
static inline int put_done(struct lfm__fh *mpf)
{
	if (mpf->elastic)
		return shrink(mpf->mp);
	return 0;
}

/* The put of any pin the fast path can name, found through its frame. */
static __attribute__((noinline)) int put_frame(struct lfm__fh *mpf, void *page,
					       unsigned long flags)
{
	struct lfm__region_hdr *rh = mpf->rh;

	/* Pointer to frame by shifting, when every page is at
	 * off_data + idx << shift (region.h, uniform_shift; it is cleared
	 * before a chunk that breaks the pattern publishes a frame). */
	uint32_t shift =
	    atomic_load_explicit(&rh->uniform_shift, memory_order_relaxed);
	uint64_t rel = (uintptr_t)page - (uintptr_t)mpf->data;
	if (shift == 0 || (rel & ((1ull << shift) - 1)) != 0 ||
	    (rel >> shift) >= mpf->limit)
		goto slow;
	struct lfm__frame *f = &mpf->frames[rel >> shift];
	uint32_t s = atomic_load_explicit(&f->state, memory_order_acquire);
	uint64_t tag = atomic_load_explicit(&f->tag, memory_order_relaxed);
	/* Not pinned or not this file's: EINVAL; DISCARD: the entry goes
	 * too. The general path does both. */
	if (!(s & LFM_F_REFS_MASK) || (s & LFM_F_DISCARD) || tag == 0 ||
	    lfm__tag_slot(tag) != mpf->slot)
		goto slow;

	uint32_t set = 0;
	if (flags & LFM_PUT_DIRTY) {
		if (mpf->rdonly)
			goto slow; /* EACCES */
		set = LFM_F_DIRTY;
	}
	/* Some cache references the frame: perhaps ours holds the pin. */
	if (lfm__st_slotref(s) != 0) {
		struct lfm__tls_node *t = lfm__tls_fast;
		if (t->fast_serial == mpf->fast_serial &&
		    lfm__tcache_put(rh, t->h, f, lfm__hash_tag(tag), set, 0, 0,
				    NULL) == 0)
			goto done;
	}
	/* Otherwise the pin is direct (pinlog.h: in a shared region, only
	 * one this process logged is its own). */
	if (lfm__unpin_direct(mpf->mp, f, set, 0) != 0)
		goto slow;
done:
	return put_done(mpf);
slow:
	return lfm__buf_put(mpf, page, flags);
}

/* The recorded direct pin in a shared region: one this process logged
 * (pinlog.h). Out of line, so that the private put saves no register. */
static __attribute__((noinline)) int put_logged(struct lfm__fh *mpf, void *page,
						struct lfm__frame *f)
{
	if (lfm__unpin_direct_logged(mpf->mp, f, 0, 0) == 0)
		return put_done(mpf);
	return put_frame(mpf, page, 0);
}

int lfm__hit_put(struct lfm__fh *mpf, void *page, unsigned long flags)
{
	/* The page this thread last got on the fast path: its pin is known.
	 * Through the cache, the entry's pins on that frame are this
	 * thread's (tcache.h); a direct one, the frame must still hold the
	 * page. Either way it is a pin of this thread on that page, and pins
	 * are fungible (rule 10), so the put needs neither the pointer
	 * arithmetic nor the set. An emptied or reused entry, or a retagged
	 * frame, fails the check; the serial keeps a node of a closed pool
	 * from being trusted. */
	struct lfm__tls_node *t = lfm__tls_fast;
	if (flags == 0 && t->last_page == page && t->last_mpf == mpf &&
	    t->fast_serial == mpf->fast_serial) {
		_Atomic uint64_t *word = t->last_word;
		t->last_page = NULL;
		if (word != NULL) {
			/* Most often the word is as the get left it: one
			 * CAS, no load. Otherwise any pin left on the same
			 * frame is ours to drop (rule 10). */
			uint64_t w = t->last_w;
			if (atomic_compare_exchange_strong_explicit(
				word, &w, w - LFM_TC_COUNT_ONE,
				memory_order_release, memory_order_relaxed))
				goto done;
			while (lfm__tc_frame(w) == lfm__tc_frame(t->last_w) &&
			       lfm__tc_count(w) > 0)
				if (atomic_compare_exchange_weak_explicit(
					word, &w, w - LFM_TC_COUNT_ONE,
					memory_order_release,
					memory_order_relaxed))
					goto done;
		} else {
			/* A direct pin: the frame must still hold the page. */
			struct lfm__frame *f = t->last_frame;
			if (atomic_load_explicit(
				&f->tag, memory_order_relaxed) != t->last_tag)
				goto frame;
			if (mpf->shared)
				return put_logged(mpf, page, f);
			if (lfm__frame_unpin(f, LFM_F_DIRECT_ONE, 0, 0) == 0)
				goto done;
		}
	}
frame:
	/* A mapped file's pages are not pinned (memp_page.c). */
	if (mpf->fast_serial == LFM_NO_FAST_SERIAL)
		return lfm__put(mpf, page, flags);
	return put_frame(mpf, page, flags);
done:
	return put_done(mpf);
}
