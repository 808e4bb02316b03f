/* hit.c - the hit path's early exits (see hit.h for why they are safe). */
#include "hit.h"

#include "getput.h"
#include "victim.h"
#include "ftab.h"
#include "lfm_assert.h"
#include "pins.h"
#include "tcache.h"
#include "tcguard.h"

/* The thread's counters for mpf's file, in its handle (tcache.h). */
static inline _Atomic uint64_t *owner_stats(const struct lfm__tls_node *t,
					    const struct lfm__fh *mpf)
{
	return (_Atomic uint64_t *)((char *)t->h + mpf->stats_off);
}

/* Where frame idx's page is: at idx << shift while the pool has one page
 * size (region.h, uniform_shift: it is cleared before a chunk that breaks
 * the pattern publishes a frame, and never set again, so for a frame the
 * caller pinned a nonzero shift is exact), else in its descriptor. */
static inline void *page_of(const struct lfm__fh *mpf, uint32_t shift,
			    uint64_t idx)
{
	return shift != 0 ? (char *)mpf->data + (idx << shift)
			  : lfm__frame_page(mpf->rh, &mpf->frames[idx]);
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

/* The walk found frame f (index idx), which probably holds tag, and the
 * thread's entry for it is not the page's HELD or CACHED one: what the
 * general path would do (tcache.h, admission), without its second search.
 * A ghost's second use takes the entry; else a direct pin, and then the
 * ghost of a first use in an empty entry, or the note that may make room
 * in one another page holds (pools whose frames share entries). The
 * page's own entry with uses to harvest is the general path's. */
static __attribute__((noinline)) int
walk_found(struct lfm__fh *mpf, uint32_t *pgnoaddr, void **pagep, uint64_t tag,
	   struct lfm__tc_entry *e, struct lfm__frame *f, uint32_t examined)
{
	struct lfm__tls_node *t = lfm__tls_fast();
	uint64_t w = atomic_load_explicit(&e->word, memory_order_relaxed);
	int ghost = e->tag == tag;
	int r;
	if (ghost) {
		if (w != 0)
			return lfm__buf_get(mpf, pgnoaddr, 0, pagep);
		r = lfm__tcache_insert(mpf->rh, t->h, f, tag, mpf->mp->plog);
		if (r == LFM_PIN_OK)
			goto pinned;
		if (r != LFM_PIN_FULL)
			return lfm__buf_get(mpf, pgnoaddr, 0, pagep);
	}
	uint32_t before = 0;
	r = __builtin_expect(mpf->shared, 0)
		? pin_logged(mpf, f, tag) /* never LFM_PIN_STALE */
		: lfm__frame_pin_try(f, tag, LFM_F_DIRECT_ONE, &before);
	if (r != LFM_PIN_OK) {
		if (r == LFM_PIN_STALE)
			return stale_get(mpf, pgnoaddr, pagep, f, before);
		return lfm__buf_get(mpf, pgnoaddr, 0, pagep);
	}
	if (!ghost) {
		if (w == 0)
			e->tag = tag; /* a ghost: the next use takes an entry */
		else
			lfm__tcache_note(mpf->rh, t->h, f, tag, mpf->mp->plog);
	}
pinned:;
	_Atomic uint64_t *st = owner_stats(t, mpf);
	if (examined == 1) {
		lfm__owner_add(&st[LFM_ST_WALKHIT],
			       1); /* hit, search, one examined */
	} else {
		lfm__owner_add(&st[LFM_ST_SEARCH], 1);
		lfm__owner_add(&st[LFM_ST_EXAMINED], examined);
		if (examined > atomic_load_explicit(&st[LFM_ST_LONGEST],
						    memory_order_relaxed))
			atomic_store_explicit(&st[LFM_ST_LONGEST], examined,
					      memory_order_relaxed);
		lfm__owner_add(&st[LFM_ST_HIT], 1);
	}
	uint64_t idx = (uint64_t)(f - mpf->frames);
	*pagep = page_of(
	    mpf, atomic_load_explicit(mpf->shiftp, memory_order_relaxed), idx);
	return 0;
}

/* The chain's first frame is not the page, or the thread's entry for it
 * is not the page's: the rest of the walk (ftab.h), then the page's own
 * entry, else a direct pin. */
static __attribute__((noinline)) int walk_get(struct lfm__fh *mpf,
					      uint32_t *pgnoaddr, void **pagep,
					      uint64_t tag, uint32_t head)
{
	uint32_t examined = 0;
	struct lfm__frame *f =
	    lfm__ftab_walk(mpf->frames, mpf->data,
			   atomic_load_explicit(&mpf->rh->uniform_stride,
						memory_order_relaxed),
			   mpf->limit, head, tag, &examined);
	if (f == NULL)
		return lfm__buf_get(mpf, pgnoaddr, 0, pagep);
	struct lfm__tls_node *t = lfm__tls_fast();
	uint32_t idx = (uint32_t)(f - mpf->frames);
	struct lfm__tc_entry *e = lfm__tc_entry_of(t->tc, t->tc_mask, idx);
	uint64_t w = atomic_load_explicit(&e->word, memory_order_relaxed);
	if (e->tag != tag || lfm__tc_frame(w) != idx + 1)
		return walk_found(mpf, pgnoaddr, pagep, tag, e, f, examined);
	/* The page's entry after all (it is not its chain's first); the
	 * pin counts the hit (tcache.h, uses: full ones carry into the
	 * frame field, and the general path harvests them). */
	uint64_t n = w + LFM_TC_PIN_USE;
	if (lfm__tc_count(w) >= LFM_TC_COUNT_MAX ||
	    lfm__tc_frame(n) != idx + 1 ||
	    !atomic_compare_exchange_strong_explicit(
		&e->word, &w, n | LFM_TC_REF, memory_order_acquire,
		memory_order_relaxed))
		return lfm__buf_get(mpf, pgnoaddr, 0, pagep);
	*pagep = page_of(
	    mpf, atomic_load_explicit(mpf->shiftp, memory_order_relaxed), idx);
	return 0;
}

/* Every LFM_TCGUARD_PERIOD gets and puts on the CAS protocol: perhaps
 * the owners may be plain again (tcguard.h). */
static inline void guard_tick(struct lfm__fh *mpf, struct lfm__tls_node *t)
{
	if (__builtin_expect(++t->guard_ops % LFM_TCGUARD_PERIOD == 0, 0))
		lfm__tcguard_try_open(mpf->rh);
}

/* The get's body, `plain` (a constant) chosen by lfm__hit_get: a plain
 * get has announced itself (lfm__tcguard_begin) and withdraws before it
 * leaves for anything else. */
static inline __attribute__((always_inline)) int
get_through_entry(struct lfm__fh *mpf, uint32_t *pgnoaddr, void **pagep,
		  struct lfm__tls_node *t, struct lfm__tc_entry *tc, int plain)
{
	/* The page's frame, probably: its chain's first (two buckets a frame:
	 * most chains hold one). A page past the end is in no chain. */
	uint64_t tag = mpf->tag_hi | *pgnoaddr;
	uint32_t head = atomic_load_explicit(
	    &mpf->buckets[lfm__hash_bucket(tag, mpf->bshift)].head,
	    memory_order_acquire);
	/* The thread's entry for that frame (tcache.h): if it names the
	 * frame and carries the page's tag, the frame holds the page for as
	 * long as the entry references it, whatever the chain did since.
	 * An empty chain (head 0) must not take an empty word (which names
	 * "frame 0") for a match. The page is at its index << uniform_shift
	 * (page_of); a pool of several page sizes takes the walk. */
	uint32_t shift =
	    atomic_load_explicit(mpf->shiftp, memory_order_relaxed);
	/* The page, fetched as soon as the chain names it, so that its miss
	 * overlaps the entry's (and, off this path, the descriptor's). */
	void *page = (char *)mpf->data + ((uint64_t)(head - 1) << shift);
	__builtin_prefetch(page);
	/* Stored now, so that no register holds it across the checks (the
	 * function then saves none); a path that fails stores its own page,
	 * and a caller reads *pagep only when the get returns 0. */
	*pagep = page;
	struct lfm__tc_entry *e = lfm__tc_entry_of(tc, t->tc_mask, head - 1);
	uint64_t w = atomic_load_explicit(&e->word, memory_order_relaxed);
	/* The pin counts the hit in the same word (tcache.h, uses): the
	 * new word's frame is checked, so that uses at their top, which
	 * carry into it, go the long way and are harvested there. */
	uint64_t n = w + LFM_TC_PIN_USE;
	if (__builtin_expect(shift == 0 || head == 0 || e->tag != tag ||
				 lfm__tc_frame(n) != head ||
				 (uint16_t)w == LFM_TC_COUNT_MAX,
			     0)) {
		if (plain)
			lfm__tcguard_done(lfm__tcguard_handle(tc));
		return walk_get(mpf, pgnoaddr, pagep, tag, head);
	}
	if (plain) {
		/* Nobody else writes the word now (tcguard.h). */
		atomic_store_explicit(&e->word, n | LFM_TC_REF,
				      memory_order_relaxed);
		lfm__tcguard_done(lfm__tcguard_handle(tc));
		return 0;
	}
	/* Acquire pairs with a foreign putter's release. */
	if (!atomic_compare_exchange_strong_explicit(
		&e->word, &w, n | LFM_TC_REF, memory_order_acquire,
		memory_order_relaxed))
		return lfm__buf_get(mpf, pgnoaddr, 0, pagep);
	return 0;
}

/* A get while the owners may not be plain (thieves about, or a region
 * whose owners never are). */
static __attribute__((noinline)) int guarded_get(struct lfm__fh *mpf,
						 uint32_t *pgnoaddr,
						 void **pagep,
						 struct lfm__tls_node *t)
{
	guard_tick(mpf, t);
	return get_through_entry(mpf, pgnoaddr, pagep, t, t->tc, 0);
}

int lfm__hit_get(struct lfm__fh *mpf, uint32_t *pgnoaddr, unsigned long zero,
		 void **pagep)
{
	(void)zero;
	/* No calls before the exits (one saved register: the entries' base
	 * stays live for the guard's last store). A mapped file, another
	 * pool's node, a thread without a pin cache or without a node fails
	 * the one compare (pool.h, tls.c); the general path then makes the
	 * thread's node if it has none. */
	struct lfm__tls_node *t = lfm__tls_fast();
	if (t->fast_serial != mpf->fast_serial)
		return lfm__get(mpf, pgnoaddr, 0, pagep);
	/* Before the entry is loaded (tcguard.h). */
	struct lfm__tc_entry *tc = t->tc;
	if (__builtin_expect(!lfm__tcguard_begin(lfm__tcguard_handle(tc)), 0))
		return guarded_get(mpf, pgnoaddr, pagep, t);
	return get_through_entry(mpf, pgnoaddr, pagep, t, tc, 1);
}

/* Out of line, so that the put itself makes no call. mpool(3) puts go
 * through getput.c, which names the released frame; this one sheds by CLOCK. */
static __attribute__((noinline)) int shrink(struct lfm__pool *mp)
{
	lfm__victim_shrink(mp, lfm__tls(mp), NULL);
	return 0;
}

/* The end of every put that dropped its pin: mpool(3) pools grown past
 * maxcache give frames back (getput.c). */
static inline int put_done(struct lfm__fh *mpf)
{
	if (mpf->elastic)
		return shrink(mpf->mp);
	return 0;
}

/* Frame f, whose state s was loaded with acquire (so that its tag is at
 * least as new), holds a page of mpf's file not marked DISCARD: a put
 * may drop a pin there without the general path. */
static inline int put_here(const struct lfm__fh *mpf,
			   const struct lfm__frame *f, uint32_t s)
{
	uint64_t tag = atomic_load_explicit(&f->tag, memory_order_relaxed);
	return !(s & LFM_F_DISCARD) && tag != 0 &&
	       lfm__tag_slot(tag) == mpf->slot;
}

/* The put of a pin the fast path did not find in the thread's entry, or
 * of a DIRTY one: through its frame (the thread's entry, or a direct pin);
 * anything else (a foreign pin, a mapped file, another pool's node,
 * DISCARD) is the general path's. */
__attribute__((noinline)) int
lfm__hit_put_flags(struct lfm__fh *mpf, void *page, unsigned long flags)
{
	struct lfm__region_hdr *rh = mpf->rh;

	/* A mapped file's pages are not pinned (mapped.c). */
	if (mpf->fast_serial == LFM_NO_FAST_SERIAL)
		return lfm__put(mpf, page, flags);
	uint32_t shift =
	    atomic_load_explicit(&rh->uniform_shift, memory_order_relaxed);
	uint64_t rel = (uintptr_t)page - (uintptr_t)mpf->data;
	if (shift == 0 || (rel & ((1ull << shift) - 1)) != 0 ||
	    (rel >> shift) >= mpf->limit)
		goto slow;
	struct lfm__frame *f = &mpf->frames[rel >> shift];
	uint32_t s = atomic_load_explicit(&f->state, memory_order_acquire);
	/* Not pinned or not this file's: EINVAL; DISCARD: the entry goes
	 * too. The general path does both. */
	if (!(s & LFM_F_REFS_MASK) || !put_here(mpf, f, s))
		goto slow;

	uint32_t set = 0;
	if (flags & LFM_PUT_DIRTY) {
		if (mpf->rdonly)
			goto slow; /* EACCES */
		set = LFM_F_DIRTY;
	}
	/* The thread's entry, if it holds the pin (a put with flags). */
	struct lfm__tls_node *t = lfm__tls_fast();
	if (lfm__st_slotref(s) != 0 && t->fast_serial == mpf->fast_serial &&
	    lfm__tcache_put(rh, t->h, f, set, 0, 0, NULL) == 0)
		goto done;
	/* Otherwise the pin is direct (pinlog.h: in a shared region, only
	 * one this process logged is its own). */
	if (lfm__unpin_direct(mpf->mp, f, set, 0) != 0)
		goto slow;
done:
	return put_done(mpf);
slow:
	return lfm__buf_put(mpf, page, flags);
}

/* The put of a page whose frame the thread's entry does not name with a
 * pin (frames sharing entries: the walk pinned it directly): what
 * lfm__hit_put_flags would do, less what lfm__hit_put has established
 * (one page size, a page's start, within the frames) and its look through
 * the entry. Pins are fungible (rule 10): any direct pin may go. Anything
 * else is lfm__hit_put_flags's. */
static __attribute__((noinline)) int put_direct(struct lfm__fh *mpf, void *page,
						uint64_t idx)
{
	LFM_ASSERT(idx < mpf->limit &&
		   atomic_load_explicit(mpf->shiftp, memory_order_relaxed) !=
		       0);
	struct lfm__frame *f = &mpf->frames[idx];
	uint32_t s = atomic_load_explicit(&f->state, memory_order_acquire);
	if (lfm__st_direct(s) == 0 || !put_here(mpf, f, s) ||
	    lfm__unpin_direct(mpf->mp, f, 0, 0) != 0)
		return lfm__hit_put_flags(mpf, page, 0);
	return put_done(mpf);
}

/* The put's body through the thread's entry of frame idx, `plain` as
 * get_through_entry's. */
static inline __attribute__((always_inline)) int
put_through_entry(struct lfm__fh *mpf, void *page, struct lfm__tls_node *t,
		  struct lfm__tc_entry *tc, uint64_t idx, int plain)
{
	struct lfm__tc_entry *e =
	    lfm__tc_entry_of(tc, t->tc_mask, (uint32_t)idx);
	uint64_t w = atomic_load_explicit(&e->word, memory_order_relaxed);
	/* An entry naming the frame carries the frame's tag, whose file must
	 * be the handle's (another file's page is EINVAL through this one).
	 * Release: the user's page writes reach whoever takes EXCL next. */
	if (__builtin_expect(
		(w >> LFM_TC_FRAME_SHIFT) != idx + 1 || (uint16_t)w == 0 ||
		    (uint32_t)(e->tag >> 32) != (uint32_t)(mpf->tag_hi >> 32),
		0)) {
		if (plain)
			lfm__tcguard_done(lfm__tcguard_handle(tc));
		if ((w >> LFM_TC_FRAME_SHIFT) != idx + 1 || (uint16_t)w == 0)
			return put_direct(mpf, page, idx);
		return lfm__hit_put_flags(mpf, page, 0);
	}
	if (plain) {
		atomic_store_explicit(&e->word, w - LFM_TC_COUNT_ONE,
				      memory_order_release);
		lfm__tcguard_done(lfm__tcguard_handle(tc));
		return 0;
	}
	if (!atomic_compare_exchange_strong_explicit(
		&e->word, &w, w - LFM_TC_COUNT_ONE, memory_order_release,
		memory_order_relaxed))
		return lfm__hit_put_flags(mpf, page, 0);
	return 0;
}

static __attribute__((noinline)) int guarded_put(struct lfm__fh *mpf,
						 void *page,
						 struct lfm__tls_node *t,
						 uint64_t idx)
{
	guard_tick(mpf, t);
	return put_through_entry(mpf, page, t, t->tc, idx, 0);
}

int lfm__hit_put(struct lfm__fh *mpf, void *page)
{
	/* The page's frame by its address alone (one page size: region.h,
	 * uniform_shift), and the thread's entry for it: if the entry holds
	 * a pin of that frame, it is this thread's, and pins are fungible
	 * (rule 10). The address is rotated, not shifted: a pointer that is
	 * not a page's start (low bits set) or lies past the frames (or
	 * below the data) gives an index past `limit`, one compare for both.
	 * Anything else goes the long way. */
	struct lfm__tls_node *t = lfm__tls_fast();
	uint32_t shift =
	    atomic_load_explicit(mpf->shiftp, memory_order_relaxed);
	uint64_t rel = (uintptr_t)page - (uintptr_t)mpf->data;
	uint64_t idx = (rel >> (shift & 63)) | (rel << ((64 - shift) & 63));
	if (__builtin_expect(t->fast_serial != mpf->put_serial || shift == 0 ||
				 idx >= mpf->limit,
			     0))
		return lfm__hit_put_flags(mpf, page, 0);
	struct lfm__tc_entry *tc = t->tc;
	if (__builtin_expect(!lfm__tcguard_begin(lfm__tcguard_handle(tc)), 0))
		return guarded_put(mpf, page, t, idx);
	return put_through_entry(mpf, page, t, tc, idx, 1);
}
