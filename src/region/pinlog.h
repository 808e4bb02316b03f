/*
 * pinlog.h - who holds the pins of a shared region, exactly, whenever a
 * process dies.
 *
 * A frame's pins are anonymous counts in its state word (frame.h): DIRECT
 * pins, and one SLOTREF per thread-cache entry naming it (tcache.h). In a
 * shared region each process also keeps a pin log: one 16-bit entry per
 * frame descriptor (in the region: untouched parts of the sparse file cost
 * nothing):
 *
 *   bits  0..13  COUNT  the process's DIRECT pins on the frame
 *   bit   14     REC    recovery holds the entry (lfm__pinrecount_frame,
 * pinrecount.h) bit   15     OWN    a thread of the owning process holds the
 * entry
 *
 * The entry is also a lock (OWN or REC; acquire to take, release to give
 * back), and the rule that makes death recoverable at every instant is:
 *
 *   P1. A process changes a frame's DIRECT or SLOTREF field, or empties or
 *       fills a thread-cache entry naming the frame (its own or, as a
 *       thief, another process's), only while it holds its own log entry
 *       for that frame, and leaves COUNT equal to its DIRECT pins on the
 *       frame when it lets go.
 *   P2. Nothing is waited for, and no other lock is taken, while an entry
 *       is held: a holder that is alive lets go within a few instructions.
 *
 * So while a process P holds none of its entries for frame f, P's part of
 * f's counts is exactly COUNT plus the entries of P's thread caches naming
 * f; only P's held entries (at most one per thread of P) mark frames whose
 * counts P may have left half-changed when it died. Recovery does not try
 * to tell how far such a change got: with every other process's entry for
 * f held (REC), so that no live change is under way either, it *recounts*
 * f (lfm__pinrecount_frame, pinrecount.h): DIRECT = the sum of the live
 * processes' COUNTs, SLOTREF = the live thread-cache entries naming f; the dead
 * processes' entries naming f are emptied and their COUNTs zeroed in the same
 * step. A recount depends only on live state, so it can be done again with the
 * same result: a recoverer that dies half-way leaves its frame in
 * hdr->recover_frame and the next recoverer, after taking the REC bits it
 * finds as its own, redoes it (recovery is one process at a time).
 *
 * Private regions have no log: every pin operation skips it there.
 */
#ifndef LFM_PINLOG_H
#define LFM_PINLOG_H

#include "frame.h"
#include "lockrank.h"
#include "region.h"

#define LFM_PINLOG_COUNT 0x3fffu
#define LFM_PINLOG_REC	 0x4000u
#define LFM_PINLOG_OWN	 0x8000u
#define LFM_PINLOG_LOCKS (LFM_PINLOG_REC | LFM_PINLOG_OWN)
_Static_assert(LFM_DIRECT_MAX <= LFM_PINLOG_COUNT,
	       "a log entry counts every DIRECT pin a frame can have");

/* Process slot `proc`'s log: nframes_max entries. */
static inline _Atomic uint16_t *lfm__pinlog_of(struct lfm__region_hdr *rh,
					       uint32_t proc)
{
	return (_Atomic uint16_t *)lfm__at(rh, rh->off_pins) +
	       (uint64_t)proc * rh->nframes_max;
}

/* Waits for a held entry (out of line: rare). Returns its value once
 * neither lock bit is set. */
uint16_t lfm__pinlog_wait(_Atomic uint16_t *e);

/* Takes this process's entry `e` (P1); returns the COUNT it holds. Spins
 * while another thread of the process or recovery holds it. Acquire: the
 * previous holder's changes to the frame's counts and entries are seen. */
static inline uint32_t lfm__pinlog_lock(_Atomic uint16_t *e)
{
	lfm__rank_acquire(e, LFM_RANK_PINLOG);
	uint16_t v = atomic_load_explicit(e, memory_order_relaxed);
	for (;;) {
		if (__builtin_expect(v & LFM_PINLOG_LOCKS, 0))
			v = lfm__pinlog_wait(e);
		if (atomic_compare_exchange_weak_explicit(
			e, &v, (uint16_t)(v | LFM_PINLOG_OWN),
			memory_order_acquire, memory_order_relaxed))
			return v;
	}
}

/* Lets go of entry `e`, with `count` DIRECT pins of this process on the
 * frame. Release: the changes made under it come first. */
static inline void lfm__pinlog_unlock(_Atomic uint16_t *e, uint32_t count)
{
	LFM_ASSERT(count <= LFM_PINLOG_COUNT);
	LFM_ASSERT(atomic_load_explicit(e, memory_order_relaxed) &
		   LFM_PINLOG_OWN);
	atomic_store_explicit(e, (uint16_t)count, memory_order_release);
	lfm__rank_release(e);
}

/* Whether process `proc` holds a logged DIRECT pin on frame idx: a hint,
 * read without the lock. */
static inline int lfm__pinlog_count(struct lfm__region_hdr *rh, uint32_t proc,
				    uint32_t idx)
{
	return atomic_load_explicit(&lfm__pinlog_of(rh, proc)[idx],
				    memory_order_relaxed) &
	       LFM_PINLOG_COUNT;
}

/* Takes back the DIRECT pins process slot `proc` logged on frame `idx`
 * (never more than the frame has), under its entry. Returns how many. Only
 * the owning process, once it cannot pin the frame any more (memp_fclose,
 * memp_close). */
uint32_t lfm__pinlog_take(struct lfm__region_hdr *rh, uint32_t proc,
			  uint32_t idx);

/* The same for every frame: all of `proc`'s direct pins. */
void lfm__pinlog_drain(struct lfm__region_hdr *rh, uint32_t proc);

#endif
