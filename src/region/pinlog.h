/*
 * pinlog.h - who holds the direct pins of a shared region.
 *
 * A direct pin (frame.h DIRECT) is an anonymous count in the state word.
 * In a shared region each process also counts its own direct pins per
 * frame in its pin log (one 16-bit counter per frame descriptor, in the
 * region: untouched parts of the sparse file cost nothing), so that when
 * it dies recovery can take exactly its pins back.
 *
 * Order, so that a process killed between the two steps leaks a pin (the
 * frame stays resident) and never makes recovery take back a pin it did
 * not hold: a pin is taken on the state word first, then logged; a pin is
 * unlogged first, then dropped from the state word. Only the owning
 * process's threads change its log (fetch_add/sub, relaxed: the log is
 * read by recovery only after the owner is dead, and the lock that says
 * so orders it); recovery zeroes it. Private regions have no log: every
 * call is a no-op there.
 */
#ifndef LFM_PINLOG_H
#define LFM_PINLOG_H

#include "frame.h"
#include "region.h"

static inline _Atomic uint16_t *lfm__pinlog_of(struct lfm__region_hdr *rh,
					       uint32_t proc)
{
	return (_Atomic uint16_t *)lfm__at(rh, rh->off_pins) +
	       (uint64_t)proc * rh->nframes_max;
}

/* Takes back the direct pins process slot `proc` logged on frame `idx`
 * (clearing the entry; never more than the frame has). Returns how many.
 * Only once the process cannot pin any more: it is dead, closing, or done
 * with the frame's file (memp_fclose). */
uint32_t lfm__pinlog_take(struct lfm__region_hdr *rh, uint32_t proc,
			  uint32_t idx);

/* The same for every frame: all of `proc`'s direct pins. */
void lfm__pinlog_drain(struct lfm__region_hdr *rh, uint32_t proc);

#endif
