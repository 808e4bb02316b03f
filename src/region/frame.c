/* frame.c - the slow parts of the frame state protocol (see frame.h). */
#include "frame.h"

#include "lockrank.h"
#include "spin.h"

void lfm__frame_release_excl(struct lfm__frame *f, uint32_t set, uint32_t clear)
{
	uint32_t s = atomic_load_explicit(&f->state, memory_order_relaxed);
	uint32_t n;
	LFM_ASSERT(s & LFM_F_EXCL); /* only its holder releases EXCL */
	/* Nobody pins a frame in EXCL, and EXCL is taken only unpinned. */
	LFM_ASSERT((s & LFM_F_REFS_MASK) == 0);
	do {
		n = ((s | set) &
		     ~(clear | LFM_F_EXCL | LFM_F_WAITERS | LFM_F_OWNER_MASK));
	} while (!atomic_compare_exchange_weak_explicit(
	    &f->state, &s, n, memory_order_release, memory_order_relaxed));
	if (s & LFM_F_WAITERS)
		lfm__futex_wake_all(&f->state);
}

void lfm__frame_wait(struct lfm__frame *f, uint32_t seen)
{
	ck_backoff_t backoff = CK_BACKOFF_INITIALIZER;
	LFM_ASSERT(seen & LFM_F_EXCL);
	/* A thread holding a bucket lock never waits for EXCL. */
	LFM_ASSERT(!lfm__rank_held_any(LFM_RANK_BUCKET));

	/* A retag without I/O lasts a few hundred cycles: spin briefly first.
	 */
	for (int i = 0; i < LFM_SPIN_ROUNDS; i++) {
		if (atomic_load_explicit(&f->state, memory_order_acquire) !=
		    seen)
			return;
		ck_backoff_eb(&backoff);
	}
	/* Until the word changes (WAITERS aside), not until EXCL clears: a
	 * frame retired meanwhile (region.h) stays EXCL for good. */
	uint32_t s = seen;
	while ((s & LFM_F_EXCL) && ((s ^ seen) & ~LFM_F_WAITERS) == 0) {
		/* Retired since the caller looked: it will never change. The
		 * caller's acquire load of the placeholder state orders the
		 * retirer's tag store before this load. */
		if (atomic_load_explicit(&f->tag, memory_order_relaxed) ==
		    LFM_TAG_RETIRED)
			return;
		if (!(s & LFM_F_WAITERS) &&
		    !atomic_compare_exchange_weak_explicit(
			&f->state, &s, s | LFM_F_WAITERS, memory_order_relaxed,
			memory_order_relaxed))
			continue;
		lfm__futex_wait(&f->state, s | LFM_F_WAITERS);
		s = atomic_load_explicit(&f->state, memory_order_acquire);
	}
}

void lfm__frame_unpin_stale(struct lfm__frame *f, uint32_t one, uint32_t before)
{
	uint32_t keep = before & (LFM_F_USAGE_MASK | LFM_F_DISCARD);
	uint32_t c = atomic_load_explicit(&f->state, memory_order_relaxed);
	while (!atomic_compare_exchange_weak_explicit(
	    &f->state, &c,
	    ((c - one) & ~(LFM_F_USAGE_MASK | LFM_F_DISCARD)) | keep,
	    memory_order_release, memory_order_relaxed))
		;
}
