/*
 * frame.h - the frame state word: bit budget and the atomic transitions.
 *
 * One 32-bit word per frame carries everything the hit path needs, so a pin
 * is a single CAS on one cache line (the frame's own descriptor):
 *
 *   bits  0..11  DIRECT   pins not held through a thread cache (max 4095)
 *   bits 12..19  SLOTREF  thread-cache entries that reference the frame
 *                         (at most one per handle; max 255)
 *   bits 20..21  USAGE    CLOCK reference count, 0..3
 *   bit  22      VALID    the buffer holds the page named by the tag
 *   bit  23      DIRTY    the buffer differs from the file
 *   bit  24      EXCL     one thread owns the frame for I/O or a retag;
 *                         no new pin may be taken
 *   bit  25      WAITERS  someone sleeps on the word (futex) for EXCL to clear
 *   bit  26      DISCARD  put with LFM_PUT_DISCARD: next victim; cleared by
 *                         the next pin
 *   bits 27..31  OWNER    with EXCL in a shared region: the holder's process
 *                         slot + 1 (0: private pool, or a placeholder), so
 *                         that a holder that died can be recovered (shm.h)
 *
 * Writers and orders:
 * - Pin (DIRECT+1 or SLOTREF+1, USAGE+1): any thread, CAS, only while EXCL
 *   is clear; acquire, so the pinner sees the page bytes and the tag written
 *   before the EXCL holder released. The tag is re-read after the pin: a pin
 *   freezes the tag (rule: the tag changes only under EXCL with no pins).
 * - Unpin (-1, possibly | DIRTY): the pin holder, CAS, release, so its page
 *   writes are visible to whoever takes EXCL next (the writer of the page).
 * - Take EXCL: CAS from a word with no pins and EXCL clear; acquire.
 * - Release EXCL: the holder; release, so waiters and later pinners see the
 *   page bytes and tag; wakes sleepers if WAITERS was set.
 * - While EXCL is held other threads change only WAITERS, so the holder
 *   updates VALID/DIRTY with fetch_or/fetch_and and never loses WAITERS.
 * - USAGE decrement by the sweeper: CAS, relaxed (a lost decrement only
 *   delays eviction).
 */
#ifndef LFM_FRAME_H
#define LFM_FRAME_H

#include <stdatomic.h>
#include <stdint.h>

#include "lfm_assert.h"
#include "region.h"

#define LFM_F_DIRECT_SHIFT  0
#define LFM_F_DIRECT_BITS   12
#define LFM_F_SLOTREF_SHIFT 12
#define LFM_F_SLOTREF_BITS  8
#define LFM_F_USAGE_SHIFT   20
#define LFM_F_USAGE_BITS    2

#define LFM_F_DIRECT_ONE (1u << LFM_F_DIRECT_SHIFT)
#define LFM_F_DIRECT_MASK                                                      \
	(((1u << LFM_F_DIRECT_BITS) - 1) << LFM_F_DIRECT_SHIFT)
#define LFM_F_SLOTREF_ONE (1u << LFM_F_SLOTREF_SHIFT)
#define LFM_F_SLOTREF_MASK                                                     \
	(((1u << LFM_F_SLOTREF_BITS) - 1) << LFM_F_SLOTREF_SHIFT)
#define LFM_F_USAGE_ONE	  (1u << LFM_F_USAGE_SHIFT)
#define LFM_F_USAGE_MASK  (((1u << LFM_F_USAGE_BITS) - 1) << LFM_F_USAGE_SHIFT)
#define LFM_F_USAGE_MAX	  ((1u << LFM_F_USAGE_BITS) - 1)
#define LFM_F_VALID	  (1u << 22)
#define LFM_F_DIRTY	  (1u << 23)
#define LFM_F_EXCL	  (1u << 24)
#define LFM_F_WAITERS	  (1u << 25)
#define LFM_F_DISCARD	  (1u << 26)
#define LFM_F_REFS_MASK	  (LFM_F_DIRECT_MASK | LFM_F_SLOTREF_MASK)
#define LFM_F_OWNER_SHIFT 27
#define LFM_F_OWNER_MASK  (0x1Fu << LFM_F_OWNER_SHIFT)

#define LFM_DIRECT_MAX	((1u << LFM_F_DIRECT_BITS) - 1)
#define LFM_SLOTREF_MAX ((1u << LFM_F_SLOTREF_BITS) - 1)

_Static_assert((LFM_F_DIRECT_MASK & LFM_F_SLOTREF_MASK) == 0, "bit budget");
_Static_assert(((LFM_F_DIRECT_MASK | LFM_F_SLOTREF_MASK) & LFM_F_USAGE_MASK) ==
		   0,
	       "bit budget");
_Static_assert((LFM_F_USAGE_MASK &
		(LFM_F_VALID | LFM_F_DIRTY | LFM_F_EXCL | LFM_F_WAITERS)) == 0,
	       "bit budget");
_Static_assert(LFM_F_DISCARD < (1u << LFM_F_OWNER_SHIFT), "bit budget");
_Static_assert(LFM_NPROCS <= (LFM_F_OWNER_MASK >> LFM_F_OWNER_SHIFT),
	       "an owner field holds every process slot + 1");

static inline uint32_t lfm__st_direct(uint32_t s)
{
	return (s & LFM_F_DIRECT_MASK) >> LFM_F_DIRECT_SHIFT;
}

static inline uint32_t lfm__st_slotref(uint32_t s)
{
	return (s & LFM_F_SLOTREF_MASK) >> LFM_F_SLOTREF_SHIFT;
}

static inline uint32_t lfm__st_usage(uint32_t s)
{
	return (s & LFM_F_USAGE_MASK) >> LFM_F_USAGE_SHIFT;
}

static inline uint32_t lfm__st_bump_usage(uint32_t s)
{
	return lfm__st_usage(s) < LFM_F_USAGE_MAX ? s + LFM_F_USAGE_ONE : s;
}

static inline uint64_t lfm__tag(uint32_t file_slot, uint32_t pgno)
{
	return ((uint64_t)(file_slot + 1) << 32) | pgno;
}

static inline uint32_t lfm__tag_slot(uint64_t tag)
{
	return (uint32_t)(tag >> 32) - 1;
}

static inline uint32_t lfm__tag_pgno(uint64_t tag)
{
	return (uint32_t)tag;
}

/* Results of the pin primitives. */
enum lfm__pin_result {
	LFM_PIN_OK = 0,
	LFM_PIN_BUSY,	  /* EXCL held: wait and look again */
	LFM_PIN_MISMATCH, /* the frame holds another page now */
	LFM_PIN_FULL	  /* the pin field would overflow */
};

/* A pin that found the tag changed under it: drops it, restoring the
 * USAGE and DISCARD bits of `before` (the word it was taken from), since a
 * lookup that raced a retag must not count as a use of the page now
 * there. Out of line: it is rare. */
void lfm__frame_unpin_stale(struct lfm__frame *f, uint32_t one,
			    uint32_t before);

/* lfm__frame_pin_try's "pinned, but retagged": beyond enum lfm__pin_result on
 * purpose: lfm__frame_pin's callers never see it, so their switches need no
 * case for it. */
#define LFM_PIN_STALE (LFM_PIN_FULL + 1)

/*
 * Pins frame f for page `tag`, adding `one` (LFM_F_DIRECT_ONE or
 * LFM_F_SLOTREF_ONE). On LFM_PIN_OK the frame is pinned, VALID, and holds
 * the page. On LFM_PIN_STALE it is pinned but holds another page: the
 * caller must drop the pin with lfm__frame_unpin_stale(f, one, *before)
 * (lfm__frame_pin does; the hit path does it out of line, so that its own
 * code makes no call).
 */
static inline int lfm__frame_pin_try(struct lfm__frame *f, uint64_t tag,
				     uint32_t one, uint32_t *before)
{
	uint32_t mask =
	    one == LFM_F_DIRECT_ONE ? LFM_F_DIRECT_MASK : LFM_F_SLOTREF_MASK;
	uint32_t s = atomic_load_explicit(&f->state, memory_order_relaxed);
	for (;;) {
		/* One test for the common case: VALID, no EXCL, room. */
		if (__builtin_expect((s & (LFM_F_EXCL | LFM_F_VALID)) !=
					     LFM_F_VALID ||
					 (s & mask) == mask,
				     0)) {
			/* A retired frame stays EXCL: not worth a wait. */
			if (s & LFM_F_EXCL)
				return atomic_load_explicit(
					   &f->tag, memory_order_relaxed) ==
					       LFM_TAG_RETIRED
					   ? LFM_PIN_MISMATCH
					   : LFM_PIN_BUSY;
			return (s & LFM_F_VALID) ? LFM_PIN_FULL
						 : LFM_PIN_MISMATCH;
		}
		if (atomic_compare_exchange_weak_explicit(
			&f->state, &s,
			lfm__st_bump_usage(s + one) & ~LFM_F_DISCARD,
			memory_order_acquire, memory_order_relaxed))
			break;
	}
	*before = s;
	/* The pin froze the tag; it may have moved before we pinned. */
	if (__builtin_expect(
		atomic_load_explicit(&f->tag, memory_order_relaxed) != tag, 0))
		return LFM_PIN_STALE;
	return LFM_PIN_OK;
}

static inline enum lfm__pin_result lfm__frame_pin(struct lfm__frame *f,
						  uint64_t tag, uint32_t one)
{
	uint32_t before;
	int r = lfm__frame_pin_try(f, tag, one, &before);
	if (r == LFM_PIN_STALE) {
		lfm__frame_unpin_stale(f, one, before);
		return LFM_PIN_MISMATCH;
	}
	return (enum lfm__pin_result)r;
}

/*
 * Drops one pin of kind `one`, or-ing in `set` and and-ing out `clear`
 * (DIRTY, USAGE). Fails (returns -1) if there is no such pin to drop.
 */
static inline int lfm__frame_unpin(struct lfm__frame *f, uint32_t one,
				   uint32_t set, uint32_t clear)
{
	uint32_t mask =
	    one == LFM_F_DIRECT_ONE ? LFM_F_DIRECT_MASK : LFM_F_SLOTREF_MASK;
	uint32_t s = atomic_load_explicit(&f->state, memory_order_relaxed);
	do {
		if ((s & mask) == 0)
			return -1;
	} while (!atomic_compare_exchange_weak_explicit(
	    &f->state, &s, ((s - one) | set) & ~clear, memory_order_release,
	    memory_order_relaxed));
	return 0;
}

/* Takes EXCL on an unpinned frame. `require`: bits that must be set;
 * `owner`: the OWNER bits to record (pool.h, lfm__pool's owner_bits). */
static inline int lfm__frame_try_excl(struct lfm__frame *f, uint32_t require,
				      uint32_t owner)
{
	LFM_ASSERT((owner & ~LFM_F_OWNER_MASK) == 0);
	uint32_t s = atomic_load_explicit(&f->state, memory_order_relaxed);
	do {
		if ((s & (LFM_F_REFS_MASK | LFM_F_EXCL)) ||
		    (s & require) != require)
			return 0;
	} while (!atomic_compare_exchange_weak_explicit(
	    &f->state, &s, s | LFM_F_EXCL | owner, memory_order_acquire,
	    memory_order_relaxed));
	return 1;
}

/* Applies flag bits (DIRTY, DISCARD, USAGE) to a frame someone holds
 * pinned, so no writer or eviction touches it. Release: the user's page
 * writes go before whoever sees the bits. */
static inline void lfm__frame_apply_bits(struct lfm__frame *f, uint32_t set,
					 uint32_t clear)
{
	LFM_ASSERT(((set | clear) &
		    ~(LFM_F_DIRTY | LFM_F_DISCARD | LFM_F_USAGE_MASK)) == 0);
	LFM_ASSERT(atomic_load_explicit(&f->state, memory_order_relaxed) &
		   LFM_F_REFS_MASK); /* someone holds it pinned */
	if (set)
		atomic_fetch_or_explicit(&f->state, set, memory_order_release);
	if (clear)
		atomic_fetch_and_explicit(&f->state, ~clear,
					  memory_order_release);
}

/* Releases EXCL, applying `set`/`clear` to the other bits (never WAITERS),
 * and wakes sleepers. */
void lfm__frame_release_excl(struct lfm__frame *f, uint32_t set,
			     uint32_t clear);

/* Sleeps until f's state word changes from `seen` (which has EXCL), after
 * announcing itself with WAITERS; returns once the word changes (EXCL
 * released, or the frame retired). Callers re-check in a loop. */
void lfm__frame_wait(struct lfm__frame *f, uint32_t seen);

#endif
